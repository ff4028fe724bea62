#include "archer/search_space.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

namespace archer {

namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string type_name(const Json& j) { return j.type_name(); }

std::string join_quoted(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += quote(items[i]);
  }
  return out;
}

Status check_choice(const Choice& c) {
  if (c.candidates.empty()) {
    return Status::invalid_argument("key " + quote(c.key) +
                                    ": the choice has no candidates");
  }
  if (c.type == ChoiceType::kLayerChoice && c.n_chosen.has_value()) {
    return Status::invalid_argument("key " + quote(c.key) +
                                    ": n_chosen is for input choices");
  }
  if (c.n_chosen && (*c.n_chosen < 0 ||
                     *c.n_chosen > static_cast<int>(c.candidates.size()))) {
    return Status::invalid_argument(
        "key " + quote(c.key) + ": n_chosen " + std::to_string(*c.n_chosen) +
        " must be null or in [0, " + std::to_string(c.candidates.size()) + "]");
  }
  return Status::ok();
}

StatusOr<std::vector<std::string>> string_list(const Json& j,
                                               const std::string& what) {
  if (!j.is_array() || j.empty()) {
    return Status::invalid_argument(
        what + " must be a non-empty list of strings, got " +
        (j.is_array() ? std::string("an empty list") : type_name(j)));
  }
  std::vector<std::string> out;
  for (const auto& item : j) {
    if (!item.is_string()) {
      return Status::invalid_argument(
          what + " must contain only strings, got " + type_name(item) + " " +
          json_excerpt(item));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

StatusOr<Choice> parse_choice(const std::string& key, const Json& entry) {
  const std::string where = "key " + quote(key);
  if (!entry.is_object() || !entry.contains("_type") ||
      !entry.contains("_value")) {
    return Status::invalid_argument(
        where + R"(: expected an object with "_type" and "_value")");
  }
  const Json& type = entry["_type"];
  const Json& value = entry["_value"];
  Choice c;
  c.key = key;
  if (type == "layer_choice") {
    c.type = ChoiceType::kLayerChoice;
    auto names = string_list(value, where + R"(: layer_choice "_value")");
    if (!names.is_ok()) return names.status();
    c.candidates = std::move(names).value();
  } else if (type == "input_choice") {
    c.type = ChoiceType::kInputChoice;
    if (!value.is_object() || !value.contains("candidates")) {
      return Status::invalid_argument(
          where +
          R"(: input_choice "_value" must be an object {"candidates": [...], )"
          R"("n_chosen": <integer or null>})");
    }
    auto names = string_list(value["candidates"],
                             where + R"(: input_choice "candidates")");
    if (!names.is_ok()) return names.status();
    c.candidates = std::move(names).value();
    const Json n = value.contains("n_chosen") ? value["n_chosen"] : Json();
    if (n.is_number_integer()) {
      // Checked in range before it is narrowed to an int (4294967297 was
      // stored as 1).
      const std::optional<int> chosen = json_int32(n);
      if (!chosen) {
        return Status::invalid_argument(
            where + ": n_chosen must be null or an integer in 0.." +
            std::to_string(c.candidates.size()) + ", got " + json_excerpt(n));
      }
      c.n_chosen = *chosen;
    } else if (!n.is_null()) {
      return Status::invalid_argument(
          where + ": n_chosen must be an integer or null, got " +
          json_excerpt(n));
    }
  } else {
    return Status::invalid_argument(
        where +
        R"(: "_type" must be "layer_choice" or "input_choice" (classic NAS), got )" +
        json_excerpt(type));
  }
  Status st = check_choice(c);
  if (!st.is_ok()) return st;
  return c;
}

bool is_int(const Json& j) { return j.is_number_integer(); }

}  // namespace

bool Choice::operator==(const Choice& other) const {
  return key == other.key && type == other.type &&
         candidates == other.candidates && n_chosen == other.n_chosen;
}

StatusOr<SearchSpace> SearchSpace::from_json(const Json& json,
                                             const std::string& source) {
  if (!json.is_object()) {
    return Status::invalid_argument(
        source +
        ": a search space must be a JSON object mapping keys to "
        "choices, got " +
        type_name(json));
  }
  SearchSpace space;
  for (auto it = json.begin(); it != json.end(); ++it) {
    auto choice = parse_choice(it.key(), it.value());
    if (!choice.is_ok()) return choice.status().with_context(source);
    Status st = space.add(std::move(choice).value());
    if (!st.is_ok()) return st.with_context(source);
  }
  return space;
}

StatusOr<SearchSpace> SearchSpace::load(const std::string& path) {
  auto json = load_json_file(path);
  if (!json.is_ok()) return json.status();
  return from_json(json.value(), path);
}

Status SearchSpace::add(Choice choice) {
  if (index_of(choice.key) >= 0) {
    return Status::invalid_argument("key " + quote(choice.key) +
                                    " appears twice");
  }
  Status st = check_choice(choice);
  if (!st.is_ok()) return st;
  index_.emplace(choice.key, static_cast<int>(choices_.size()));
  choices_.push_back(std::move(choice));
  return Status::ok();
}

int SearchSpace::index_of(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? -1 : it->second;
}

Json SearchSpace::to_json() const {
  Json out = Json::object();
  for (const auto& c : choices_) {
    Json entry = Json::object();
    if (c.type == ChoiceType::kLayerChoice) {
      entry["_type"] = "layer_choice";
      entry["_value"] = c.candidates;
    } else {
      entry["_type"] = "input_choice";
      Json value = Json::object();
      value["candidates"] = c.candidates;
      value["n_chosen"] = c.n_chosen ? Json(*c.n_chosen) : Json();
      entry["_value"] = std::move(value);
    }
    append_member(out, c.key, std::move(entry));
  }
  return out;
}

std::string SearchSpace::dump() const {
  DumpOptions opt;
  opt.indent = 2;
  opt.sort_keys = true;
  return dumps(to_json(), opt);
}

bool DecisionView::operator==(const DecisionView& o) const {
  return size_ == o.size_ && std::equal(begin(), end(), o.begin());
}

Architecture::Architecture(const std::vector<std::vector<int>>& decisions) {
  n_ = decisions.size();
  size_t total = 0;
  for (const auto& d : decisions) total += d.size();
  data_.reserve(n_ + total);
  int end = 0;
  for (const auto& d : decisions) {
    end += static_cast<int>(d.size());
    data_.push_back(end);
  }
  for (const auto& d : decisions) data_.insert(data_.end(), d.begin(), d.end());
}

DecisionView Architecture::operator[](size_t i) const {
  const int begin = i == 0 ? 0 : data_[i - 1];
  return DecisionView(data_.data() + n_ + begin,
                      static_cast<size_t>(data_[i] - begin));
}

void Architecture::push_back(const std::vector<int>& decision) {
  const int end =
      (n_ == 0 ? 0 : data_[n_ - 1]) + static_cast<int>(decision.size());
  data_.insert(data_.begin() + static_cast<std::ptrdiff_t>(n_), end);
  ++n_;
  data_.insert(data_.end(), decision.begin(), decision.end());
}

void Architecture::set(size_t i, const std::vector<int>& decision) {
  DecisionView current = (*this)[i];
  if (current.size() == decision.size()) {
    std::copy(decision.begin(), decision.end(),
              const_cast<int*>(current.begin()));
    return;
  }
  std::vector<std::vector<int>> all = to_vectors();
  all[i] = decision;
  *this = Architecture(all);
}

std::vector<std::vector<int>> Architecture::to_vectors() const {
  std::vector<std::vector<int>> out;
  out.reserve(n_);
  for (size_t i = 0; i < n_; ++i) out.push_back((*this)[i].to_vector());
  return out;
}

Json architecture_to_json(const SearchSpace& space, const Architecture& arch) {
  Json out = Json::object();
  for (size_t i = 0; i < space.size(); ++i) {
    const Choice& c = space.choices()[i];
    const DecisionView idx = arch[i];
    Json entry = Json::object();
    if (c.type == ChoiceType::kLayerChoice) {
      entry["_value"] = c.candidates.at(static_cast<size_t>(idx[0]));
      entry["_idx"] = idx[0];
    } else {
      Json values = Json::array();
      for (int k : idx)
        values.push_back(c.candidates.at(static_cast<size_t>(k)));
      entry["_value"] = std::move(values);
      entry["_idx"] = idx.to_vector();
    }
    append_member(out, c.key, std::move(entry));
  }
  return out;
}

namespace {

Status index_in_range(const Choice& c, const Json& idx,
                      const std::string& what) {
  const std::string where = "key " + quote(c.key) + ": " + what;
  if (!is_int(idx)) {
    return Status::invalid_argument(where + " must be an integer index, got " +
                                    json_excerpt(idx));
  }
  long long i = idx.get<long long>();
  if (i < 0 || i >= static_cast<long long>(c.candidates.size())) {
    return Status::invalid_argument(
        where + " = " + std::to_string(i) +
        " is out of range: the choice has " +
        std::to_string(c.candidates.size()) + " candidates (0.." +
        std::to_string(c.candidates.size() - 1) + ")");
  }
  return Status::ok();
}

Status value_matches(const Choice& c, int idx, const Json& value,
                     const std::string& what) {
  const std::string& expected = c.candidates[static_cast<size_t>(idx)];
  if (!value.is_string() || value.get<std::string>() != expected) {
    return Status::invalid_argument(
        "key " + quote(c.key) + ": " + what + " is " + json_excerpt(value) +
        " but candidate " + std::to_string(idx) + " is \"" + expected + "\"");
  }
  return Status::ok();
}

StatusOr<std::vector<int>> parse_decision(const Choice& c, const Json& entry) {
  const std::string where = "key " + quote(c.key);
  if (!entry.is_object() || !entry.contains("_value") ||
      !entry.contains("_idx")) {
    return Status::invalid_argument(
        where + R"(: expected an object {"_value": ..., "_idx": ...}, got )" +
        json_excerpt(entry));
  }
  const Json& value = entry["_value"];
  const Json& idx = entry["_idx"];
  if (c.type == ChoiceType::kLayerChoice) {
    Status st = index_in_range(c, idx, "_idx");
    if (!st.is_ok()) return st;
    int i = idx.get<int>();
    st = value_matches(c, i, value, "_value");
    if (!st.is_ok()) return st;
    return std::vector<int>{i};
  }
  if (!idx.is_array() || !value.is_array()) {
    return Status::invalid_argument(
        where + ": an input choice needs lists in _value and _idx, got " +
        json_excerpt(entry));
  }
  if (idx.size() != value.size()) {
    return Status::invalid_argument(
        where + ": _idx has " + std::to_string(idx.size()) +
        " entries but _value has " + std::to_string(value.size()));
  }
  std::vector<int> out;
  std::vector<bool> seen(c.candidates.size(), false);
  for (size_t k = 0; k < idx.size(); ++k) {
    const std::string pos = "[" + std::to_string(k) + "]";
    Status st = index_in_range(c, idx[k], "_idx" + pos);
    if (!st.is_ok()) return st;
    int i = idx[k].get<int>();
    st = value_matches(c, i, value[k], "_value" + pos);
    if (!st.is_ok()) return st;
    if (seen[static_cast<size_t>(i)]) {
      return Status::invalid_argument(
          where + ": input " + std::to_string(i) + " (\"" +
          c.candidates[static_cast<size_t>(i)] +
          "\") is chosen twice, which is not allowed");
    }
    seen[static_cast<size_t>(i)] = true;
    out.push_back(i);
  }
  if (c.n_chosen && static_cast<int>(out.size()) != *c.n_chosen) {
    return Status::invalid_argument(where + ": " + std::to_string(out.size()) +
                                    " inputs chosen but n_chosen is " +
                                    std::to_string(*c.n_chosen));
  }
  return out;
}

}  // namespace

StatusOr<Architecture> architecture_from_json(const SearchSpace& space,
                                              const Json& json,
                                              const std::string& source) {
  if (!json.is_object()) {
    return Status::invalid_argument(
        source + ": an architecture must be a JSON object, got " +
        type_name(json));
  }
  std::vector<std::string> missing, unexpected;
  // Hash lookups: ordered_json's own are linear.
  std::unordered_map<std::string_view, const Json*> given;
  for (auto it = json.begin(); it != json.end(); ++it) {
    given.emplace(it.key(), &it.value());
    if (space.index_of(it.key()) < 0) unexpected.push_back(it.key());
  }
  for (const auto& c : space.choices()) {
    if (!given.count(c.key)) missing.push_back(c.key);
  }
  if (!missing.empty() || !unexpected.empty()) {
    std::string msg =
        source + ": the architecture's keys do not match the search space (";
    if (!missing.empty()) msg += "missing " + join_quoted(missing);
    if (!missing.empty() && !unexpected.empty()) msg += "; ";
    if (!unexpected.empty()) msg += "unexpected " + join_quoted(unexpected);
    msg +=
        "); was the search space generated from this code? Regenerate it with "
        "`archer ss_gen`";
    return Status::invalid_argument(msg);
  }
  Architecture arch;
  for (const auto& c : space.choices()) {
    auto decision = parse_decision(c, *given.at(c.key));
    if (!decision.is_ok()) return decision.status().with_context(source);
    arch.push_back(decision.value());
  }
  return arch;
}

Architecture first_architecture(const SearchSpace& space) {
  Architecture arch;
  for (const auto& c : space.choices()) {
    std::vector<int> idx;
    size_t n = c.type == ChoiceType::kLayerChoice ? 1
               : c.n_chosen ? static_cast<size_t>(*c.n_chosen)
                            : c.candidates.size();
    for (size_t i = 0; i < n; ++i) idx.push_back(static_cast<int>(i));
    arch.push_back(idx);
  }
  return arch;
}

}  // namespace archer
