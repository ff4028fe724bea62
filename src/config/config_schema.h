// The definition of every config key (one table per section) and the v1 -> v2
// conversion.
#ifndef ARCHER_CONFIG_CONFIG_SCHEMA_H_
#define ARCHER_CONFIG_CONFIG_SCHEMA_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {
namespace config {

// The one definition of "an integer >= 1" (config keys, updates, the
// training services' concurrency): the expectation's words, the check of a
// key's value, and the error for a number.
inline constexpr char kPositiveInteger[] = "an integer >= 1";
bool positive_int(const Json& v);
bool non_negative_int(const Json& v);
Status check_positive(const std::string& key, long long n);

enum class KeyType {
  kString,
  kInt,
  kBool,
  kDuration,
  kFile,
  kDirectory,
  kPath,
  kObject,
  kAny,
  kIndices
};

struct Section;

struct KeySpec {
  std::string name;  // canonical camelCase
  KeyType type;
  Json default_value;  // null = unset
  bool required;
  std::string
      expected;  // what the error says was expected, e.g. "an integer >= 1"
  std::function<bool(const Json&)>
      check;  // extra check after the type check (may be empty)
  std::string doc;
  // For a list of mappings (trainingService.machineList): the section each
  // item is checked against; null otherwise.
  const Section* items = nullptr;
};

struct Section {
  std::string name;  // "" for the top level, "tuner", "trainingService"
  std::vector<KeySpec> keys;
};

const Section& top_level_section();
const Section& tuner_section();
const Section& assessor_section();
const Section& advisor_section();
// The trainingService sections are each platform's (training_service/*/).

// A check across keys that failed: where (a JSON pointer into the v2 config),
// the key as the user knows it, and what was expected.
struct KeyError {
  std::string pointer, key, message;
};

// "trialconcurrency" for "trial_Concurrency": v2 keys compare this way.
std::string normalize_key(const std::string& key);

// Converts an NNI v1 config to v2 JSON. `origin` receives, for each v2 JSON
// pointer written, the v1 pointer it came from (for line numbers in later
// errors). Errors name the v1 key.
StatusOr<Json> convert_v1(const Json& v1,
                          std::map<std::string, std::string>* origin);
// True if the document looks like a v1 config.
bool is_v1(const Json& doc);

}  // namespace config
}  // namespace archer

#endif  // ARCHER_CONFIG_CONFIG_SCHEMA_H_
