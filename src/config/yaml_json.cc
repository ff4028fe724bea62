#include "config/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <unordered_map>

#include "common/text.h"

namespace archer {

namespace {

Json typed_scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  const std::string l = ascii_lower(text);
  if (l.empty() || l == "~" || l == "null") return Json();
  if (l == "true" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "no" || l == "off") return false;
  errno = 0;
  char* end = nullptr;
  long long i = std::strtoll(text.c_str(), &end, 10);
  if (*end == '\0' && errno == 0 && !text.empty()) return i;
  errno = 0;
  double d = std::strtod(text.c_str(), &end);
  bool numeric = *end == '\0' && errno == 0 &&
                 text.find_first_of("0123456789") != std::string::npos &&
                 l.find("inf") == std::string::npos &&
                 l.find("nan") == std::string::npos &&
                 l.find('x') == std::string::npos;
  if (numeric) return d;
  return text;
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// YAML -> JSON with bounds: aliases are shared nodes that expand on
// conversion ("billion laughs"), so the values produced are counted; nesting
// is limited as JSON's is; a key given twice in one mapping is an error.
class Converter {
 public:
  explicit Converter(YamlDocument& doc) : doc_(doc) {}
  Json convert(const YAML::Node& node, const std::string& pointer, int depth) {
    if (!error_.empty()) return Json();
    if (++values_ > kMaxYamlValues) {
      fail(node, "more than " + std::to_string(kMaxYamlValues) +
                     " values (aliases expanding without bound?)");
      return Json();
    }
    doc_.lines[pointer] = node.Mark().line + 1;
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return Json();
      case YAML::NodeType::Scalar:
        return typed_scalar(node);
      case YAML::NodeType::Sequence: {
        if (!deeper(node, depth)) return Json();
        Json out = Json::array();
        for (size_t i = 0; i < node.size() && error_.empty(); ++i) {
          out.push_back(
              convert(node[i], pointer + "/" + std::to_string(i), depth + 1));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        if (!deeper(node, depth)) return Json();
        Json out = Json::object();
        auto& members = static_cast<Json::object_t::Container&>(
            out.get_ref<Json::object_t&>());
        std::unordered_map<std::string, int> seen;  // key -> its line
        for (auto it = node.begin(); it != node.end() && error_.empty(); ++it) {
          const std::string key = it->first.Scalar();
          const int line = it->first.Mark().line + 1;
          auto [where, fresh] = seen.emplace(key, line);
          if (!fresh) {
            fail(it->first, "duplicate key '" + key.substr(0, 100) +
                                "' (first at line " +
                                std::to_string(where->second) + ")");
            return Json();
          }
          const std::string child = pointer + "/" + escape_pointer(key);
          Json value = convert(it->second, child, depth + 1);
          doc_.lines[child] = line;  // the key's line names the entry
          members.emplace_back(key, std::move(value));
        }
        return out;
      }
    }
    return Json();
  }
  const std::string& error() const { return error_; }
  int error_line() const { return error_line_; }

 private:
  bool deeper(const YAML::Node& node, int depth) {
    if (depth < kJsonMaxDepth) return true;
    fail(node,
         "nested deeper than " + std::to_string(kJsonMaxDepth) + " levels");
    return false;
  }
  void fail(const YAML::Node& node, const std::string& what) {
    if (!error_.empty()) return;
    error_ = what;
    error_line_ = node.Mark().line + 1;
  }
  YamlDocument& doc_;
  size_t values_ = 0;
  std::string error_;
  int error_line_ = 0;
};

// The deepest nesting of flow collections ([ and { outside quotes), found
// without a parser, so that yaml-cpp (recursive) never sees absurd depth.
int flow_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  char quote = 0;
  bool comment = false;
  for (char c : text) {
    if (c == '\n') comment = false;
    if (comment) continue;
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '#')
      comment = true;
    else if (c == '"' || c == '\'')
      quote = c;
    else if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}')
      depth = std::max(0, depth - 1);
  }
  return deepest;
}

}  // namespace

int YamlDocument::line_of(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = lines.find(p);
    if (it != lines.end()) return it->second;
    if (p.empty()) return 0;
    p = p.substr(0, p.rfind('/'));
  }
}

StatusOr<YamlDocument> parse_yaml(const std::string& text,
                                  const std::string& source) {
  YamlDocument doc;
  if (text.size() > kMaxYamlBytes) {
    return Status::invalid_argument(
        source + ": " + std::to_string(text.size()) + " bytes, at most " +
        std::to_string(kMaxYamlBytes) + " are read as YAML");
  }
  if (flow_depth(text) > kJsonMaxDepth) {
    return Status::invalid_argument(source +
                                    ": invalid YAML: nested deeper than " +
                                    std::to_string(kJsonMaxDepth) + " levels");
  }
  try {
    YAML::Node root = YAML::Load(text);
    Converter converter(doc);
    doc.value = converter.convert(root, "", 0);
    if (!converter.error().empty()) {
      return Status::invalid_argument(source + ":" +
                                      std::to_string(converter.error_line()) +
                                      ": invalid YAML: " + converter.error());
    }
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(source + ":" +
                                    std::to_string(e.mark.line + 1) +
                                    ": invalid YAML: " + e.msg);
  }
  return doc;
}

}  // namespace archer
