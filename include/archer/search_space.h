// Classic-NAS search spaces and architectures, in NNI's JSON formats (spec
// §1.5, §1.6).
//
// Search space file (what `ss_gen` writes):
//   {"first_conv": {"_type": "layer_choice", "_value": ["conv5x5", "conv3x3"]},
//    "skip": {"_type": "input_choice", "_value": {"candidates": ["", ""],
//    "n_chosen": 1}}}
// Architecture (what a tuner proposes, the "parameters" of parameter.cfg):
//   {"first_conv": {"_value": "conv3x3", "_idx": 1}, "skip": {"_value": [""],
//   "_idx": [1]}}
#ifndef ARCHER_SEARCH_SPACE_H_
#define ARCHER_SEARCH_SPACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "archer/json.h"
#include "archer/status.h"

namespace archer {

enum class ChoiceType { kLayerChoice, kInputChoice };

// One decision of the search space.
struct Choice {
  std::string key;
  ChoiceType type = ChoiceType::kLayerChoice;
  // Layer choice: candidate names. Input choice: the `candidates` (source keys,
  // often "").
  std::vector<std::string> candidates;
  // Input choice only: how many inputs are chosen; nullopt = any number (NNI's
  // null).
  std::optional<int> n_chosen;

  bool operator==(const Choice& other) const;
};

// An ordered set of choices with unique keys. Order is the file's order (tuners
// see the keys in that order, as NNI's do); dump() sorts keys as NNI's ss_gen
// does.
class SearchSpace {
 public:
  SearchSpace() = default;

  // Parses NNI's search-space JSON. `source` (a file path) prefixes every error
  // message. Fails on: a non-object top level, an entry without a valid
  // `_type`/`_value`, a `_type` other than layer_choice/input_choice, an empty
  // candidate list, non-string candidates, an `n_chosen` that is not null or an
  // integer in [0, #candidates].
  static StatusOr<SearchSpace> from_json(const Json& json,
                                         const std::string& source);
  // Reads and parses a search-space file.
  static StatusOr<SearchSpace> load(const std::string& path);

  // Appends a choice. Fails if the key is already present or the choice is
  // malformed.
  Status add(Choice choice);

  const std::vector<Choice>& choices() const { return choices_; }
  size_t size() const { return choices_.size(); }
  bool empty() const { return choices_.empty(); }
  // Index of `key` in choices(), or -1.
  int index_of(const std::string& key) const;

  // NNI's JSON shape, keys in choices() order.
  Json to_json() const;
  // Exactly the bytes NNI's ss_gen writes: keys sorted, 2-space indent, no
  // trailing newline.
  std::string dump() const;

 private:
  std::vector<Choice> choices_;
  std::unordered_map<std::string, int> index_;  // key -> position
};

// The chosen candidate indices of one decision (a read-only view into an
// Architecture; valid while the architecture is alive and unchanged).
class DecisionView {
 public:
  DecisionView(const int* data, size_t size) : data_(data), size_(size) {}
  const int* begin() const { return data_; }
  const int* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int operator[](size_t i) const { return data_[i]; }
  std::vector<int> to_vector() const {
    return std::vector<int>(begin(), end());
  }
  bool operator==(const DecisionView& o) const;
  bool operator!=(const DecisionView& o) const { return !(*this == o); }

 private:
  const int* data_;
  size_t size_;
};

// One architecture: for each choice of a space (same order), the chosen
// candidate indices. A layer choice has exactly one index; an input choice has
// the chosen indices in the order they were given (tuners keep them sorted).
// Stored flat in one allocation, so copies are cheap.
class Architecture {
 public:
  Architecture() = default;
  explicit Architecture(const std::vector<std::vector<int>>& decisions);

  // Number of decisions.
  size_t size() const { return n_; }
  // Decision `i`. REQUIRES: i < size().
  DecisionView operator[](size_t i) const;
  // Appends a decision.
  void push_back(const std::vector<int>& decision);
  // Reserves room for `decisions` decisions holding `values` indices in all.
  void reserve(size_t decisions, size_t values) {
    data_.reserve(decisions + values);
  }
  // Replaces decision `i`. REQUIRES: i < size().
  void set(size_t i, const std::vector<int>& decision);
  std::vector<std::vector<int>> to_vectors() const;

  bool operator==(const Architecture& o) const {
    return n_ == o.n_ && data_ == o.data_;
  }
  bool operator!=(const Architecture& o) const { return !(*this == o); }

 private:
  size_t n_ = 0;
  // data_[0, n_): end offset of each decision within the values; then the
  // values.
  std::vector<int> data_;
};

// Converts an architecture to NNI's JSON (keys in space order; `_value` before
// `_idx`). REQUIRES: `arch` has one entry per choice of `space` with in-range
// indices.
Json architecture_to_json(const SearchSpace& space, const Architecture& arch);

// Parses and validates NNI's architecture JSON against `space`. `source` (e.g.
// the path of parameter.cfg) prefixes errors. Fails when the key sets differ
// (names the missing and the unexpected keys), an entry lacks `_value`/`_idx`,
// `_value` and `_idx` disagree (name or length), an index is out of range, an
// input is chosen twice, or the number of chosen inputs differs from `n_chosen`
// (any count is allowed when `n_chosen` is null).
StatusOr<Architecture> architecture_from_json(const SearchSpace& space,
                                              const Json& json,
                                              const std::string& source);

// The standalone architecture: the first candidate of every layer choice, the
// first `n_chosen` candidates of every input choice (all of them when
// `n_chosen` is null).
Architecture first_architecture(const SearchSpace& space);

}  // namespace archer

#endif  // ARCHER_SEARCH_SPACE_H_
