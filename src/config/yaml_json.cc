#include "config/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace archer {

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Json typed_scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  const std::string l = lower(text);
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

Json convert(const YAML::Node& node, const std::string& pointer,
             YamlDocument& doc) {
  doc.lines[pointer] = node.Mark().line + 1;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json();
    case YAML::NodeType::Scalar:
      return typed_scalar(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        out.push_back(convert(node[i], pointer + "/" + std::to_string(i), doc));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string key = it->first.Scalar();
        const std::string child = pointer + "/" + escape_pointer(key);
        doc.lines[child] = it->first.Mark().line + 1;
        Json value = convert(it->second, child, doc);
        doc.lines[child] =
            it->first.Mark().line + 1;  // the key's line names the entry
        out[key] = std::move(value);
      }
      return out;
    }
  }
  return Json();
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
  try {
    YAML::Node root = YAML::Load(text);
    doc.value = convert(root, "", doc);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(source + ":" +
                                    std::to_string(e.mark.line + 1) +
                                    ": invalid YAML: " + e.msg);
  }
  return doc;
}

}  // namespace archer
