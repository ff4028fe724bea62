// YAML documents as JSON values, remembering where each value came from, so
// that config errors can name the line. Scalars are typed as NNI's PyYAML
// (YAML 1.1) would read them: null/~/empty, true/false/yes/no/on/off (any
// case), integers, floats; quoted scalars stay strings.
#ifndef ARCHER_CONFIG_YAML_JSON_H_
#define ARCHER_CONFIG_YAML_JSON_H_

#include <string>
#include <unordered_map>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

struct YamlDocument {
  Json value;
  // JSON pointer ("/tuner/classArgs/population_size") -> 1-based line in the
  // file.
  std::unordered_map<std::string, int> lines;
  // The line of `pointer`, or of its nearest ancestor that has one (0 if none).
  int line_of(const std::string& pointer) const;
};

constexpr size_t kMaxYamlBytes = size_t{16} << 20;
constexpr size_t kMaxYamlValues = 1000000;  // after alias expansion

// Parses YAML text. `source` (the file path) prefixes errors, which carry the
// line. Refused, with the line: a key repeated in one mapping, nesting deeper
// than kJsonMaxDepth, more than kMaxYamlValues values once aliases are
// expanded (an alias bomb), text over kMaxYamlBytes. Mappings of any size
// convert in linear time.
StatusOr<YamlDocument> parse_yaml(const std::string& text,
                                  const std::string& source);

}  // namespace archer

#endif  // ARCHER_CONFIG_YAML_JSON_H_
