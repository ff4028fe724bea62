#include "rest/trial_index.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "archer/tuner.h"
#include "common/text.h"
#include "store/experiment_files.h"
#include "store/ledger.h"
#include "store/trial_value.h"
#include "store/trial_where.h"

namespace archer {

namespace {

// The label of a decision's choice for stats and axes: a layer choice's
// candidate name; an input choice's chosen inputs joined by '+' (by index
// when the candidates have no names).
std::string choice_label(const Choice& c, const Json& decision) {
  if (!decision.is_object()) return "?";
  const Json& idx = decision.contains("_idx") ? decision["_idx"] : Json();
  const Json& value = decision.contains("_value") ? decision["_value"] : Json();
  if (c.type == ChoiceType::kLayerChoice) {
    if (value.is_string()) return value.get<std::string>();
    return idx.is_number_integer() ? "#" + std::to_string(idx.get<int>()) : "?";
  }
  std::string out;
  if (idx.is_array()) {
    for (const auto& i : idx) {
      if (!i.is_number_integer()) continue;
      const int k = i.get<int>();
      std::string name = k >= 0 && static_cast<size_t>(k) < c.candidates.size()
                             ? c.candidates[static_cast<size_t>(k)]
                             : "";
      if (name.empty()) name = "#" + std::to_string(k);
      out += (out.empty() ? "" : "+") + name;
    }
  }
  return out.empty() ? "(none)" : out;
}

bool better(double a, double b, bool minimize) {
  return better_value(
      a, b, minimize ? OptimizeMode::kMinimize : OptimizeMode::kMaximize);
}

}  // namespace

std::int64_t IndexedTrial::duration_ms() const {
  if (!row.start_time) return 0;
  return (row.end_time ? row.end_time : row.start_time) - row.start_time;
}

StatusOr<TrialPageQuery> parse_page_query(
    const std::function<std::string(const std::string&)>& param) {
  TrialPageQuery q;
  auto number = [&](const char* name, size_t* out, size_t max) -> Status {
    const std::string v = param(name);
    if (v.empty()) return Status::ok();
    if (std::string(name) == "limit" && v == "all") {
      *out = 0;
      return Status::ok();
    }
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (*end != '\0' || v[0] == '-' || n > max) {
      return Status::invalid_argument(
          std::string(name) + ": expected an integer in [0, " +
          std::to_string(max) + "]" +
          (std::string(name) == "limit" ? " or \"all\"" : "") + ", got '" + v +
          "'");
    }
    *out = static_cast<size_t>(n);
    return Status::ok();
  };
  Status st = number("offset", &q.offset, 100000000);
  if (st.is_ok()) st = number("limit", &q.limit, 10000);
  if (!st.is_ok()) return st;
  const std::string sort = param("sort");
  if (!sort.empty()) {
    static const char* kSorts[] = {"sequence", "id",  "status", "duration",
                                   "start",    "end", "value"};
    if (std::find(std::begin(kSorts), std::end(kSorts), sort) ==
        std::end(kSorts)) {
      return Status::invalid_argument(
          "sort: expected one of sequence, id, status, duration, start, end, "
          "value; got '" +
          sort + "'");
    }
    q.sort = sort;
  }
  const std::string order = param("order");
  if (!order.empty() && order != "asc" && order != "desc") {
    return Status::invalid_argument("order: expected asc or desc, got '" +
                                    order + "'");
  }
  q.descending = order == "desc";
  std::string statuses = param("status");
  size_t start = 0;
  while (start < statuses.size()) {
    size_t comma = statuses.find(',', start);
    if (comma == std::string::npos) comma = statuses.size();
    if (comma > start)
      q.statuses.push_back(statuses.substr(start, comma - start));
    start = comma + 1;
  }
  q.text = ascii_lower(param("q"));
  return q;
}

namespace {

// A trial row as the index keeps it, with its value (trial_value.h).
IndexedTrial index_row(TrialRow row, const SearchSpace& space,
                       const std::optional<TrialValue>& final_metric,
                       int intermediates) {
  IndexedTrial t;
  t.architecture = std::make_shared<const Json>(stored_parameters(row));
  // What a search matches, lower-cased once here rather than per request.
  t.search_text = row.trial_id + " " + std::to_string(row.sequence_id) + " " +
                  to_string(row.status) + " ";
  for (const auto& c : space.choices()) {
    if (t.arch().is_object() && t.arch().contains(c.key))
      t.search_text += c.key + "=" + choice_label(c, t.arch()[c.key]) + "; ";
  }
  t.search_text = ascii_lower(t.search_text);
  if (final_metric) {
    t.final_text = final_metric->final_text;
    t.value = final_metric->value;
  }
  t.intermediate_count = intermediates;
  row.parameters.clear();
  t.row = std::move(row);
  return t;
}

}  // namespace

StatusOr<std::shared_ptr<const TrialIndex>> TrialIndex::load(
    Store& store, std::int64_t revision, const TrialIndex* previous) {
  auto index = std::make_shared<TrialIndex>();
  index->revision = revision;
  auto config = store.get_value(store_keys::kConfig);
  if (config.is_ok() && config.value().is_object()) {
    index->config_ = config.value();
    index->minimize_ =
        optimize_mode_of_config(config.value()) == OptimizeMode::kMinimize;
  }
  auto space = store.get_value(store_keys::kSearchSpace);
  if (space.is_ok() && space.value().is_object()) {
    auto parsed = SearchSpace::from_json(space.value(), "search space");
    if (parsed.is_ok()) {
      index->space_ = std::move(parsed).value();
    } else {
      index->hpo_space_ = space.value();  // NNI's HPO types, as stored
    }
  }
  if (previous && previous->space_.to_json() == index->space_.to_json()) {
    Status st = index->load_changes(store, *previous);
    if (st.is_ok()) return std::shared_ptr<const TrialIndex>(index);
    if (st.code() != Status::Code::kNotFound) return st;
    index->trials_.clear();  // too much changed: read everything
  }
  auto trials = store.trials();
  if (!trials.is_ok()) return trials.status();
  auto finals = store.metrics_of_type(MetricType::kFinal);
  if (!finals.is_ok()) return finals.status();
  auto counts = store.metric_counts(MetricType::kPeriodical);
  if (!counts.is_ok()) return counts.status();
  std::map<std::string, TrialValueBuilder> values;
  for (const auto& m : finals.value()) values[m.trial_id].add(m.value);
  index->trials_.reserve(trials.value().size());
  for (auto& row : trials.value()) {
    auto f = values.find(row.trial_id);
    auto c = counts.value().find(row.trial_id);
    index->trials_.push_back(
        index_row(std::move(row), index->space_,
                  f == values.end() ? std::nullopt : f->second.result(),
                  c == counts.value().end() ? 0 : c->second));
  }
  return std::shared_ptr<const TrialIndex>(index);
}

Status TrialIndex::load_changes(Store& store, const TrialIndex& previous) {
  // Ended trials never change: keep them; read again the ones that had not
  // ended, and the new ones.
  std::int64_t last = -1;
  std::vector<std::string> open;
  for (const auto& t : previous.trials_) {
    last = std::max(last, t.row.sequence_id);
    if (!is_terminal(t.row.status)) open.push_back(t.row.trial_id);
  }
  auto fresh = store.trials_after(last);
  if (!fresh.is_ok()) return fresh.status();
  constexpr size_t kMostPerTrialReads = 2000;
  if (open.size() + fresh.value().size() > kMostPerTrialReads)
    return Status::not_found("many changes");
  std::vector<TrialRow> changed = std::move(fresh).value();
  for (const auto& id : open) {
    auto row = store.trial(id);
    if (!row.is_ok()) return row.status();
    if (row.value()) changed.push_back(*row.value());
  }
  trials_.reserve(previous.trials_.size() + changed.size());
  for (const auto& t : previous.trials_) {
    if (is_terminal(t.row.status)) trials_.push_back(t);
  }
  for (auto& row : changed) {
    auto metrics = store.metrics(row.trial_id);
    if (!metrics.is_ok()) return metrics.status();
    int intermediates = 0;
    for (const auto& m : metrics.value())
      intermediates += m.type == MetricType::kPeriodical;
    const std::optional<TrialValue> value =
        trial_value(metrics.value(), row.trial_id);
    trials_.push_back(index_row(std::move(row), space_, value, intermediates));
  }
  std::stable_sort(trials_.begin(), trials_.end(),
                   [](const IndexedTrial& a, const IndexedTrial& b) {
                     return a.row.sequence_id < b.row.sequence_id;
                   });
  return Status::ok();
}

Json TrialIndex::row_json(const IndexedTrial& t) const {
  Json j = {{"trialJobId", t.row.trial_id},
            {"sequenceId", t.row.sequence_id},
            {"status", t.row.status},
            {"startTime", t.row.start_time ? Json(t.row.start_time) : Json()},
            {"endTime", t.row.end_time ? Json(t.row.end_time) : Json()},
            {"duration", t.row.start_time ? Json(t.duration_ms()) : Json()},
            {"value", t.value ? Json(*t.value) : Json()},
            {"finalMetric", t.final_text},
            {"intermediateCount", t.intermediate_count},
            {"parameters", t.arch()},
            {"message", t.row.message},
            {"trialDir", t.row.trial_dir}};
  const TrialWhere where = trial_where(config_, t.row.handle);
  j["platform"] = where.platform;
  j["where"] = where.text();
  return j;
}

Json TrialIndex::page(const TrialPageQuery& q) const {
  std::vector<const IndexedTrial*> rows;
  rows.reserve(trials_.size());
  for (const auto& t : trials_) {
    if (!q.statuses.empty() &&
        std::find(q.statuses.begin(), q.statuses.end(),
                  to_string(t.row.status)) == q.statuses.end())
      continue;
    if (!q.text.empty() && t.search_text.find(q.text) == std::string::npos)
      continue;
    rows.push_back(&t);
  }
  // Trials without a value sort last in either order.
  auto key_less = [&](const IndexedTrial* a, const IndexedTrial* b) {
    if (q.sort == "id") return a->row.trial_id < b->row.trial_id;
    if (q.sort == "status")
      return std::string(to_string(a->row.status)) < to_string(b->row.status);
    if (q.sort == "duration") return a->duration_ms() < b->duration_ms();
    if (q.sort == "start") return a->row.start_time < b->row.start_time;
    if (q.sort == "end") return a->row.end_time < b->row.end_time;
    return a->row.sequence_id < b->row.sequence_id;
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const IndexedTrial* a, const IndexedTrial* b) {
                     if (q.sort == "value") {
                       if (a->value.has_value() != b->value.has_value())
                         return a->value.has_value();
                       if (!a->value) return false;
                       return q.descending ? *a->value > *b->value
                                           : *a->value < *b->value;
                     }
                     return q.descending ? key_less(b, a) : key_less(a, b);
                   });
  Json out = {{"total", rows.size()}, {"offset", q.offset}};
  Json list = Json::array();
  const size_t end =
      q.limit == 0 ? rows.size() : std::min(rows.size(), q.offset + q.limit);
  for (size_t i = q.offset; i < end; ++i) list.push_back(row_json(*rows[i]));
  out["trials"] = std::move(list);
  return out;
}

Json TrialIndex::overview(const Json& values) const {
  auto value = [&](const char* k) {
    return values.is_object() && values.contains(k) ? values[k] : Json();
  };
  const Json config =
      value("config").is_object() ? value("config") : Json::object();
  Json counts = Json::object();
  // The best trial is the ledger's (store/ledger.h), as the manager's.
  Ledger ledger(minimize_ ? OptimizeMode::kMinimize : OptimizeMode::kMaximize);
  for (const auto& t : trials_) {
    const char* status = to_string(t.row.status);
    counts[status] = counts.value(status, 0) + 1;
    if (t.value) ledger.result(t.row.trial_id, t.row.sequence_id, *t.value, {});
    if (is_terminal(t.row.status)) {
      ledger.ended(t.row.trial_id, t.row.sequence_id, t.row.status,
                   t.row.end_time);
    }
  }
  const IndexedTrial* best = nullptr;
  for (const auto& t : trials_) {
    if (ledger.best() && t.row.trial_id == ledger.best()->trial_id) best = &t;
  }
  return {
      {"id", value("experiment_id")},
      {"name", config.value("experimentName", Json())},
      {"status", value("status")},
      // Why it ended or stopped proposing (a string, or null).
      {"message", value("status_message").is_string() &&
                          !value("status_message").get<std::string>().empty()
                      ? value("status_message")
                      : value("error")},
      {"startTime", value("start_time")},
      {"endTime", value("end_time")},
      {"execDuration", value("elapsed_seconds")},
      {"maxTrialNumber", config.value("maxTrialNumber", Json())},
      {"maxExperimentDuration", config.value("maxExperimentDuration", Json())},
      {"trialConcurrency", config.value("trialConcurrency", Json())},
      {"platform", platforms_of(config)},
      {"tuner", config.value("tuner", Json::object()).value("name", Json())},
      {"optimizeMode", minimize_ ? "minimize" : "maximize"},
      {"counts", counts},
      {"total", trials_.size()},
      {"best", best ? row_json(*best) : Json()},
      {"costProbes", value("cost_probes")},
      {"config", config},
      {"searchSpace", hpo_space_.is_object() ? hpo_space_ : space_.to_json()},
      {"revision", revision}};
}

Json TrialIndex::final_series() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (final_series_.is_null()) final_series_ = compute_final_series();
  return final_series_;
}

Json TrialIndex::choice_stats() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (choice_stats_.is_null()) choice_stats_ = compute_choice_stats();
  return choice_stats_;
}

Json TrialIndex::compute_final_series() const {
  std::vector<const IndexedTrial*> done;
  for (const auto& t : trials_) {
    if (t.value) done.push_back(&t);
  }
  std::stable_sort(done.begin(), done.end(),
                   [](const IndexedTrial* a, const IndexedTrial* b) {
                     return a->row.end_time < b->row.end_time;
                   });
  Json time = Json::array(), value = Json::array(), sequence = Json::array(),
       best = Json::array();
  std::optional<double> so_far;
  for (const auto* t : done) {
    time.push_back(t->row.end_time);
    value.push_back(*t->value);
    sequence.push_back(t->row.sequence_id);
    if (!so_far || better(*t->value, *so_far, minimize_)) so_far = t->value;
    best.push_back(*so_far);
  }
  return {
      {"time", time}, {"value", value}, {"sequence", sequence}, {"best", best}};
}

Json TrialIndex::compute_choice_stats() const {
  Json out = Json::array();
  for (const auto& c : space_.choices()) {
    struct Acc {
      int trials = 0, finished = 0;
      double sum = 0;
      std::optional<double> best;
    };
    std::vector<Acc> acc(c.candidates.size());
    for (const auto& t : trials_) {
      if (!t.arch().is_object() || !t.arch().contains(c.key)) continue;
      const Json& idx = t.arch()[c.key].value("_idx", Json());
      std::vector<int> chosen;
      if (idx.is_number_integer()) chosen.push_back(idx.get<int>());
      if (idx.is_array()) {
        for (const auto& i : idx)
          if (i.is_number_integer()) chosen.push_back(i.get<int>());
      }
      for (int k : chosen) {
        if (k < 0 || static_cast<size_t>(k) >= acc.size()) continue;
        Acc& a = acc[static_cast<size_t>(k)];
        ++a.trials;
        if (!t.value) continue;
        ++a.finished;
        a.sum += *t.value;
        if (!a.best || better(*t.value, *a.best, minimize_)) a.best = t.value;
      }
    }
    Json candidates = Json::array();
    for (size_t i = 0; i < acc.size(); ++i) {
      const Acc& a = acc[i];
      candidates.push_back(
          {{"name", c.candidates[i]},
           {"index", i},
           {"trials", a.trials},
           {"finished", a.finished},
           {"mean", a.finished ? Json(a.sum / a.finished) : Json()},
           {"best", a.best ? Json(*a.best) : Json()}});
    }
    out.push_back(
        {{"key", c.key},
         {"type",
          c.type == ChoiceType::kLayerChoice ? "layer_choice" : "input_choice"},
         {"candidates", candidates}});
  }
  return out;
}

Json TrialIndex::parallel_coordinates(size_t limit) const {
  std::vector<const IndexedTrial*> done;
  for (const auto& t : trials_) {
    if (t.value && t.arch().is_object()) done.push_back(&t);
  }
  if (limit > 0 && done.size() > limit) {
    std::stable_sort(done.begin(), done.end(),
                     [&](const IndexedTrial* a, const IndexedTrial* b) {
                       return better(*a->value, *b->value, minimize_);
                     });
    done.resize(limit);
  }
  Json axes = Json::array();
  std::vector<std::map<std::string, int>> label_index(space_.size());
  std::vector<std::vector<std::string>> labels(space_.size());
  // Layer choices: every candidate, in the space's order.
  for (size_t i = 0; i < space_.size(); ++i) {
    const Choice& c = space_.choices()[i];
    if (c.type != ChoiceType::kLayerChoice) continue;
    for (const auto& name : c.candidates) {
      if (label_index[i]
              .emplace(name, static_cast<int>(labels[i].size()))
              .second)
        labels[i].push_back(name);
    }
  }
  Json rows = Json::array();
  for (const auto* t : done) {
    Json row = Json::array();
    for (size_t i = 0; i < space_.size(); ++i) {
      const Choice& c = space_.choices()[i];
      const std::string label = t->arch().contains(c.key)
                                    ? choice_label(c, t->arch()[c.key])
                                    : "(none)";
      auto [it, fresh] =
          label_index[i].emplace(label, static_cast<int>(labels[i].size()));
      if (fresh) labels[i].push_back(label);
      row.push_back(it->second);
    }
    row.push_back(*t->value);
    row.push_back(t->row.sequence_id);
    rows.push_back(std::move(row));
  }
  for (size_t i = 0; i < space_.size(); ++i)
    axes.push_back({{"key", space_.choices()[i].key}, {"labels", labels[i]}});
  return {{"axes", axes}, {"rows", rows}, {"total", done.size()}};
}

Json TrialIndex::export_data() const {
  Json out = Json::array();
  for (const auto& t : trials_) {
    if (t.final_text.empty()) continue;
    out.push_back({{"parameter", t.arch()},
                   {"value", t.final_text},
                   {"trialJobId", t.row.trial_id}});
  }
  return out;
}

Json TrialIndex::trial(const std::string& id) const {
  for (const auto& t : trials_) {
    if (t.row.trial_id == id) return row_json(t);
  }
  return Json();
}

Status WebUiData::open_locked() {
  if (store_) return Status::ok();
  auto store = Store::open(db_path_);
  if (!store.is_ok()) return store.status();
  store_ = std::move(store).value();
  return Status::ok();
}

StatusOr<std::shared_ptr<const TrialIndex>> WebUiData::get() {
  std::lock_guard<std::mutex> lock(mu_);
  Status st = open_locked();
  if (!st.is_ok()) return st;
  // Nothing committed since the last check: the index is current.
  const std::int64_t version = store_->data_version();
  if (index_ && version == data_version_) return index_;
  data_version_ = version;
  const std::int64_t revision = store_->trials_revision();
  if (index_ && index_->revision == revision) return index_;
  auto loaded = TrialIndex::load(*store_, revision, index_.get());
  if (!loaded.is_ok()) return loaded.status();
  index_ = loaded.value();
  return index_;
}

StatusOr<Json> WebUiData::experiment_values() {
  std::lock_guard<std::mutex> lock(mu_);
  Status st = open_locked();
  if (!st.is_ok()) return st;
  Json out = Json::object();
  for (const char* key : {"experiment_id", "config", "status", "start_time",
                          "end_time", "elapsed_seconds", "resume_time",
                          "cost_probes", "status_message", "error"}) {
    auto v = store_->get_value(key);
    if (!v.is_ok()) return v.status();
    out[key] = v.value();
  }
  return out;
}

}  // namespace archer
