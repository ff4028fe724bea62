// JSON in Archer: nlohmann::ordered_json (keys keep their insertion order, as
// Python dicts do), plus a serialiser that reproduces Python's json.dumps byte
// for byte, which NNI's files need.
#ifndef ARCHER_JSON_H_
#define ARCHER_JSON_H_

#include <nlohmann/json.hpp>
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

// Parses JSON text, accepting Python's bare NaN, Infinity and -Infinity tokens
// as doubles (what json_tricks and json.dumps write). `source` names the input
// in the error message.
StatusOr<Json> parse_json(std::string_view text, const std::string& source);

// Reads and parses a whole file. Errors name the path.
StatusOr<Json> load_json_file(const std::string& path);

}  // namespace archer

#endif  // ARCHER_JSON_H_
