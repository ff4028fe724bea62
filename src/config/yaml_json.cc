#include "config/yaml_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "common/text.h"

namespace archer {

namespace {

Json typed_scalar(const std::string& tag, const std::string& text) {
  if (tag == "!") return text;  // quoted: always a string
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

// YAML events -> JSON, with bounds: the values produced are counted (an alias
// repeats its anchor's value: "billion laughs" is refused before it is
// copied), nesting is limited as JSON's is, a key given twice in one mapping
// is an error. Built straight from the parser's events: no node tree.
struct YamlLimitError {
  int line;
  std::string what;
};

class JsonBuilder : public YAML::EventHandler {
 public:
  explicit JsonBuilder(YamlDocument& doc) : doc_(doc) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (key_expected()) return take_key("", mark);
    put(Json(), mark, anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail(mark, "unknown alias");
    if (key_expected()) {
      if (!it->second.first.is_string())
        fail(mark, "mapping keys must be scalars");
      return take_key(it->second.first.get<std::string>(), mark);
    }
    count(mark, it->second.second);
    put(it->second.first, mark, 0, 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag,
                YAML::anchor_t anchor, const std::string& value) override {
    if (key_expected()) {
      if (anchor) anchors_[anchor] = {Json(value), 1};
      return take_key(value, mark);
    }
    put(typed_scalar(tag, value), mark, anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Json::array(), mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&,
                  YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(Json::object(), mark, anchor);
  }
  void OnMapEnd() override { close(); }

  Json take() { return std::move(root_); }

 private:
  struct Frame {
    Json value;
    std::string pointer;
    YAML::anchor_t anchor = 0;
    size_t values_at_start = 0;
    // Mappings: the pending key (and its line), and the keys seen.
    bool have_key = false;
    std::string key;
    int key_line = 0;
    std::unordered_map<std::string, int> seen;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) {
    throw YamlLimitError{mark.line + 1, what};
  }
  void count(const YAML::Mark& mark, size_t n) {
    values_ += n;
    if (values_ > kMaxYamlValues) {
      fail(mark, "more than " + std::to_string(kMaxYamlValues) +
                     " values (aliases expanding without bound?)");
    }
  }
  bool key_expected() const {
    return !stack_.empty() && stack_.back().value.is_object() &&
           !stack_.back().have_key;
  }
  void take_key(const std::string& key, const YAML::Mark& mark) {
    Frame& f = stack_.back();
    const int line = mark.line + 1;
    auto [where, fresh] = f.seen.emplace(key, line);
    if (!fresh) {
      fail(mark, "duplicate key '" + key.substr(0, 100) + "' (first at line " +
                     std::to_string(where->second) + ")");
    }
    f.have_key = true;
    f.key = key;
    f.key_line = line;
  }
  // The pointer (and line) of the value about to be added to the top.
  std::string child_pointer(const YAML::Mark& mark, int* line) {
    *line = mark.line + 1;
    if (stack_.empty()) return "";
    Frame& f = stack_.back();
    if (f.value.is_array())
      return f.pointer + "/" + std::to_string(f.value.size());
    *line = f.key_line;  // the key's line names the entry
    return f.pointer + "/" + escape_pointer(f.key);
  }
  void put(Json v, const YAML::Mark& mark, YAML::anchor_t anchor, size_t n) {
    count(mark, n);
    if (anchor) anchors_[anchor] = {v, n};
    int line = 0;
    const std::string pointer = child_pointer(mark, &line);
    doc_.lines[pointer] = line;
    attach(std::move(v));
  }
  void attach(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& f = stack_.back();
    if (f.value.is_array()) {
      f.value.get_ref<Json::array_t&>().push_back(std::move(v));
    } else {
      append_member(f.value, std::move(f.key), std::move(v));
      f.have_key = false;
    }
  }
  void open(Json container, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (key_expected()) fail(mark, "mapping keys must be scalars");
    if (static_cast<int>(stack_.size()) >= kJsonMaxDepth) {
      fail(mark,
           "nested deeper than " + std::to_string(kJsonMaxDepth) + " levels");
    }
    count(mark, 1);
    int line = 0;
    Frame f;
    f.pointer = child_pointer(mark, &line);
    doc_.lines[f.pointer] = line;
    f.value = std::move(container);
    f.anchor = anchor;
    f.values_at_start = values_;
    stack_.push_back(std::move(f));
  }
  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.anchor)
      anchors_[f.anchor] = {f.value, values_ - f.values_at_start + 1};
    attach(std::move(f.value));
  }

  YamlDocument& doc_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, std::pair<Json, size_t>> anchors_;
  size_t values_ = 0;
  Json root_;
};

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
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    JsonBuilder builder(doc);
    if (parser.HandleNextDocument(builder)) doc.value = builder.take();
  } catch (const YamlLimitError& e) {
    return Status::invalid_argument(source + ":" + std::to_string(e.line) +
                                    ": invalid YAML: " + e.what);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(source + ":" +
                                    std::to_string(e.mark.line + 1) +
                                    ": invalid YAML: " + e.msg);
  }
  return doc;
}

}  // namespace archer
