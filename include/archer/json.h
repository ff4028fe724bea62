// JSON in Archer: nlohmann::ordered_json (keys keep their insertion order, as
// Python dicts do), plus a serialiser that reproduces Python's json.dumps byte
// for byte, which NNI's files need.
#ifndef ARCHER_JSON_H_
#define ARCHER_JSON_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "archer/status.h"

namespace archer {

using Json = nlohmann::ordered_json;

struct DumpOptions {
  // < 0: one line with separators ", " and ": " (json.dumps defaults);
  // >= 0: pretty print with this many spaces, separators "," and ": "
  // (json.dump indent=N).
  int indent = -1;
  // Sort object keys (json.dump sort_keys=True).
  bool sort_keys = false;
};

// Serialises like Python's json.dumps(ensure_ascii=True, allow_nan=True):
// floats in repr() form ("0.5", "1.0", "1e-05", "1e+16"),
// NaN/Infinity/-Infinity as bare tokens, non-ASCII as \uXXXX escapes. Never
// throws for any value a Json can hold.
std::string dumps(const Json& value, const DumpOptions& options = {});

// Limits of the one JSON entry point. Every document Archer did not write
// itself in this process (metrics, parameter.cfg, search spaces, configs, REST
// bodies, imports, values read back from the store) is parsed under them, so
// no input can drive unbounded recursion or memory.
constexpr size_t kJsonMaxBytes = size_t{64} << 20;  // 64 MiB of text
constexpr int kJsonMaxDepth = 64;                   // nested arrays/objects
struct JsonLimits {
  size_t max_bytes = kJsonMaxBytes;
  int max_depth = kJsonMaxDepth;
};

// Parses JSON text, accepting Python's bare NaN, Infinity and -Infinity tokens
// as doubles (what json_tricks and json.dumps write). Never throws and never
// recurses on the input's nesting. Refused with kInvalidArgument, the message
// starting with `source` and quoting at most a short prefix of the input:
// invalid syntax (with line and column), text longer than limits.max_bytes,
// nesting deeper than limits.max_depth, a number out of double range (1e999).
// Duplicate object keys: the last value wins, at the first key's position.
// Objects of any size parse in linear time.
StatusOr<Json> parse_json(std::string_view text, const std::string& source,
                          const JsonLimits& limits = {});

// Reads (a regular file only, at most limits.max_bytes; a FIFO or device is
// refused without blocking) and parses a whole file. Errors name the path;
// a missing file is kNotFound.
StatusOr<Json> load_json_file(const std::string& path,
                              const JsonLimits& limits = {});

// dumps(value) cut to at most `max_chars` (plus "..."), for messages that
// quote a value someone else supplied.
std::string json_excerpt(const Json& value, size_t max_chars = 100);

// `value` as an int when it is an integer within +-INT32_MAX (what the ints
// that store config keys and counts can hold), nullopt otherwise: nothing is
// narrowed silently.
std::optional<int> json_int32(const Json& value);

// Appends a member to an object without ordered_json's linear key lookup.
// REQUIRES: `object` is an object without `key` (else keys repeat).
void append_member(Json& object, std::string key, Json value);

// Depth of a value's nesting (0 for a scalar, 1 for [] or {}), without
// recursion.
int json_depth(const Json& value);

}  // namespace archer

#endif  // ARCHER_JSON_H_
