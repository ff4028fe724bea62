// parse_json: the one bounded entry point for untrusted JSON (archer/json.h).
// nlohmann's SAX parser is iterative and refuses numbers beyond a double; the
// builder below keeps its own stack, refuses depth as it is seen, and appends
// object members with a hash index instead of ordered_json's linear lookup.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include "archer/json.h"

namespace archer {

namespace {

constexpr std::string_view kSentinelPrefix =
    "\x01"
    "archer-nonfinite:";

// Whether the next character from `at` on, past JSON whitespace, is ':'
// (what came before was an object key).
bool followed_by_colon(std::string_view text, size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t' ||
                              text[at] == '\n' || text[at] == '\r'))
    ++at;
  return at < text.size() && text[at] == ':';
}

// Rewrites bare NaN / Infinity / -Infinity tokens (outside strings) into
// sentinel strings the builder turns back into doubles. Only the sentinels
// written here are turned back: `sentinels` gets their ordinals among the
// document's string values (keys not counted), in order, so a string the
// input itself holds is never reinterpreted, whatever it says.
bool rewrite_nonfinite(std::string_view text, std::string& out,
                       std::vector<size_t>& sentinels) {
  bool replaced = false;
  bool in_string = false;
  size_t value_strings = 0;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
        if (!followed_by_colon(text, i + 1)) ++value_strings;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
      if (text.substr(i, token.size()) == token &&
          !followed_by_colon(text, i + token.size())) {  // never a key
        out += "\"\\u0001archer-nonfinite:";
        out += token;
        out += '"';
        i += token.size() - 1;
        replaced = true;
        sentinels.push_back(value_strings++);
        c = 0;
        break;
      }
    }
    if (c != 0) out += c;
  }
  return replaced;
}

// Printable, bounded quote of untrusted text for a message.
std::string excerpt(std::string_view s, size_t max = 60) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > max) out += "...";
  return out;
}

class BoundedBuilder {
 public:
  explicit BoundedBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() { return put(Json()); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
  // (A number beyond a double never gets here: nlohmann's parser reports it
  // as "number overflow" through parse_error.)
  bool number_float(Json::number_float_t v, const std::string&) {
    return put(Json(v));
  }
  // The ordinals of the value strings that rewrite_nonfinite wrote.
  void set_sentinels(std::vector<size_t> at) { sentinels_ = std::move(at); }
  bool string(std::string& s) {
    const size_t ordinal = value_strings_++;
    if (next_sentinel_ < sentinels_.size() &&
        sentinels_[next_sentinel_] == ordinal) {
      ++next_sentinel_;
      std::string_view token =
          std::string_view(s).substr(kSentinelPrefix.size());
      if (token == "NaN") return put(Json(std::nan("")));
      if (token == "Infinity") return put(Json(HUGE_VAL));
      if (token == "-Infinity") return put(Json(-HUGE_VAL));
    }
    return put(Json(std::move(s)));
  }
  bool binary(Json::binary_t&) { return put(Json()); }
  bool start_object(size_t) { return open(Json::object()); }
  bool key(std::string& k) {
    stack_.back().key = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(size_t) { return open(Json::array()); }
  bool end_array() { return close(); }
  bool parse_error(size_t, const std::string&,
                   const nlohmann::detail::exception& e) {
    std::string msg = e.what();
    auto at = msg.find("] ");
    if (at != std::string::npos) msg = msg.substr(at + 2);
    // nlohmann quotes the last token read, which may be long.
    auto last = msg.find("; last read: '");
    if (last != std::string::npos) {
      auto begin = last + 14;
      auto end = msg.rfind('\'');
      if (end > begin) {
        msg = msg.substr(0, begin) +
              excerpt(std::string_view(msg).substr(begin, end - begin)) +
              msg.substr(end);
      }
    }
    error_ = excerpt(msg, 300);
    return false;
  }

  const std::string& error() const { return error_; }
  Json take() { return std::move(root_); }

 private:
  struct Frame {
    Json value;
    std::string key;
    // Built once an object has many members: key -> position.
    std::unique_ptr<std::unordered_map<std::string, size_t>> index;
  };
  static constexpr size_t kLinearScan = 16;

  bool open(Json container) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      error_ = "nested deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    stack_.push_back(Frame{std::move(container), {}, nullptr});
    return true;
  }
  bool close() {
    Json done = std::move(stack_.back().value);
    stack_.pop_back();
    return put(std::move(done));
  }
  bool put(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    Frame& f = stack_.back();
    if (f.value.is_array()) {
      f.value.get_ref<Json::array_t&>().push_back(std::move(v));
      return true;
    }
    auto& members = f.value.get_ref<Json::object_t&>();
    using Container = Json::object_t::Container;
    auto& vec = static_cast<Container&>(members);
    if (!f.index && vec.size() >= kLinearScan) {
      f.index = std::make_unique<std::unordered_map<std::string, size_t>>();
      for (size_t i = 0; i < vec.size(); ++i) f.index->emplace(vec[i].first, i);
    }
    if (f.index) {
      auto [it, fresh] = f.index->emplace(f.key, vec.size());
      if (!fresh) {
        vec[it->second].second = std::move(v);
        return true;
      }
    } else {
      for (auto& member : vec) {
        if (member.first == f.key) {
          member.second = std::move(v);
          return true;
        }
      }
    }
    vec.emplace_back(std::move(f.key), std::move(v));
    return true;
  }

  int max_depth_;
  std::vector<size_t> sentinels_;
  size_t next_sentinel_ = 0, value_strings_ = 0;
  std::vector<Frame> stack_;
  Json root_;
  std::string error_;
};

}  // namespace

StatusOr<Json> parse_json(std::string_view text, const std::string& source,
                          const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::invalid_argument(
        source + ": JSON text is " + std::to_string(text.size()) +
        " bytes, at most " + std::to_string(limits.max_bytes) + " accepted");
  }
  std::string rewritten;
  std::vector<size_t> sentinels;
  bool nonfinite = rewrite_nonfinite(text, rewritten, sentinels);
  BoundedBuilder builder(limits.max_depth);
  builder.set_sentinels(std::move(sentinels));
  bool ok = false;
  try {
    ok = Json::sax_parse(nonfinite ? std::string_view(rewritten) : text,
                         &builder);
  } catch (const std::exception& e) {  // allocation failure, mostly
    return Status::invalid_argument(
        source + ": invalid JSON: " + excerpt(e.what(), 200));
  }
  if (!ok) {
    return Status::invalid_argument(
        source + ": invalid JSON: " +
        (builder.error().empty() ? std::string("rejected") : builder.error()));
  }
  return builder.take();
}

std::string json_excerpt(const Json& value, size_t max_chars) {
  std::string text;
  if (value.is_string() && value.get_ref<const std::string&>().size() >
                               max_chars * 4) {  // no need to escape it all
    text =
        dumps(Json(value.get_ref<const std::string&>().substr(0, max_chars)));
  } else {
    text = dumps(value);
  }
  if (text.size() > max_chars) text = text.substr(0, max_chars) + "...";
  return text;
}

std::optional<int> json_int32(const Json& value) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(kMax))
      return std::nullopt;
    return static_cast<int>(value.get<std::uint64_t>());
  }
  if (!value.is_number_integer()) return std::nullopt;
  const std::int64_t v = value.get<std::int64_t>();
  if (v > kMax || v < -kMax) return std::nullopt;
  return static_cast<int>(v);
}

void append_member(Json& object, std::string key, Json value) {
  auto& members = static_cast<Json::object_t::Container&>(
      object.get_ref<Json::object_t&>());
  members.emplace_back(std::move(key), std::move(value));
}

int json_depth(const Json& value) {
  int deepest = 0;
  std::vector<std::pair<const Json*, int>> todo{{&value, 0}};
  while (!todo.empty()) {
    auto [v, d] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, d + 1);
    for (const auto& item : *v) todo.emplace_back(&item, d + 1);
  }
  return deepest;
}

}  // namespace archer
