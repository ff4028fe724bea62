// TrialIndex: what the web UI shows of an experiment, computed once from the
// store and answered from memory (paging, sorting and filtering 100,000
// trials without re-reading SQLite per request). Rebuilt only when the store's
// revision changes (see WebUiData).
//
// Values: a trial's `value` is its first FINAL metric's default (the number,
// or the "default" of an object); `best` follows optimize_mode. Every string
// here comes from trials and is returned as JSON data: the page renders it as
// text, never as HTML.
#ifndef ARCHER_REST_TRIAL_INDEX_H_
#define ARCHER_REST_TRIAL_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/search_space.h"
#include "archer/store.h"

namespace archer {

struct IndexedTrial {
  TrialRow row;  // parameters cleared (kept in `architecture`)
  // The record's "parameters" (shared with the next index: a trial that
  // ended never changes, so a rebuild does not parse it again).
  std::shared_ptr<const Json> architecture;
  const Json& arch() const { return *architecture; }
  // "id sequence status key=value; ...", lower case, for text search.
  std::string search_text;
  std::optional<double> value;  // the default final metric
  std::string final_text;       // the first FINAL metric's JSON text
  int intermediate_count = 0;
  std::int64_t duration_ms() const;
};

struct TrialPageQuery {
  size_t offset = 0;
  size_t limit = 50;              // 0 = all (exports)
  std::string sort = "sequence";  // sequence|id|status|duration|start|end|value
  bool descending = false;
  std::vector<std::string> statuses;  // empty = any
  std::string text;  // case-insensitive substring of id, sequence, status,
                     // choices
};

// Parses a page query from URL parameters; errors name the parameter.
StatusOr<TrialPageQuery> parse_page_query(
    const std::function<std::string(const std::string&)>& param);

class TrialIndex {
 public:
  // `revision`: the store's trials_revision() read before loading.
  // `previous`: an older index whose ended trials are reused as they are
  // (only the trials that had not ended and the new ones are read).
  static StatusOr<std::shared_ptr<const TrialIndex>> load(
      Store& store, std::int64_t revision,
      const TrialIndex* previous = nullptr);

  // {total, offset, trials: [row...]} after filtering and sorting.
  Json page(const TrialPageQuery& q) const;
  // {id, name, status, startTime, endTime, execDuration, maxTrialNumber,
  //  maxExperimentDuration, trialConcurrency, optimizeMode, counts{status:n},
  //  total, best{trial row}|null, config, searchSpace, revision} from the
  //  index and the store's experiment values (`values`: key -> JSON).
  Json overview(const Json& values) const;
  // Every final value over time, in end-time order, as columns: {time: [end
  // times], value: [...], sequence: [...], best: [best so far]}.
  Json final_series() const;
  // Per search-space key and candidate: {key, type, candidates: [{name,
  // index, trials, finished, mean, best}]}; an input choice counts each
  // chosen input.
  Json choice_stats() const;
  // Parallel coordinates: {axes: [{key, labels[]}], rows: [[i0, i1, ...,
  // value, sequenceId]...]} for up to `limit` trials with a final value
  // (the best ones when there are more).
  Json parallel_coordinates(size_t limit) const;
  // NNI's export-data: [{parameter, value (JSON text), trialJobId}].
  Json export_data() const;
  // One trial's row (page() shape), or null.
  Json trial(const std::string& id) const;

  std::int64_t revision = 0;

 private:
  Json row_json(const IndexedTrial& t) const;
  // Builds trials_ from `previous` plus what changed since; not_found when
  // so much changed that one full read is cheaper.
  Status load_changes(Store& store, const TrialIndex& previous);
  Json compute_final_series() const;
  Json compute_choice_stats() const;
  std::vector<IndexedTrial> trials_;
  // The whole-experiment answers, computed once per index.
  mutable std::mutex cache_mu_;
  mutable Json final_series_, choice_stats_;
  SearchSpace space_;
  Json hpo_space_;  // the stored space when it is not classic NAS (else null)
  bool minimize_ = false;
  Json config_;  // the stored config (where trials ran)
};

// The cached index of one store: reopened lazily, rebuilt when the store's
// revision changes. Thread-safe.
class WebUiData {
 public:
  explicit WebUiData(std::string db_path) : db_path_(std::move(db_path)) {}
  StatusOr<std::shared_ptr<const TrialIndex>> get();
  // The experiment values the overview shows (config, status, times, ...).
  StatusOr<Json> experiment_values();

 private:
  Status open_locked();
  std::string db_path_;
  std::mutex mu_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<const TrialIndex> index_;
  std::int64_t data_version_ = -1;  // at index_'s revision check
};

}  // namespace archer

#endif  // ARCHER_REST_TRIAL_INDEX_H_
