#include "tuner/random_tuner.h"

namespace archer {

namespace {
// Rejection sampling is tried this many times before the unseen architectures
// are enumerated.
constexpr int kRejectionTries = 64;
// Spaces up to this size may be enumerated once rejection sampling stops
// finding new ones.
constexpr size_t kEnumerationLimit = 2'000'000;
}  // namespace

RandomTuner::RandomTuner(std::uint64_t seed, bool dedup)
    : rng_(seed), dedup_(dedup) {}

Status RandomTuner::update_search_space(const SearchSpace& space) {
  space_ = space;
  space_size_ = tuner::space_size(space);
  seen_.clear();
  return Status::ok();
}

bool RandomTuner::remember(const Architecture& arch) {
  return seen_.insert(tuner::architecture_hash(arch)).second;
}

Proposal RandomTuner::generate_parameters(std::int64_t) {
  if (!dedup_) return Proposal::ready(tuner::random_architecture(space_, rng_));
  if (static_cast<double>(seen_.size()) >= space_size_)
    return Proposal::exhausted();
  for (int i = 0; i < kRejectionTries; ++i) {
    Architecture arch = tuner::random_architecture(space_, rng_);
    if (remember(arch)) return Proposal::ready(std::move(arch));
  }
  // Nearly exhausted: draw uniformly among the architectures not proposed yet.
  std::vector<Architecture> unseen;
  for (auto& arch : tuner::enumerate_architectures(space_, kEnumerationLimit)) {
    if (!seen_.count(tuner::architecture_hash(arch)))
      unseen.push_back(std::move(arch));
  }
  if (unseen.empty()) {
    // Too large to enumerate (and very unlucky): fall back to a possibly
    // repeated one.
    return Proposal::ready(tuner::random_architecture(space_, rng_));
  }
  Architecture arch = unseen[static_cast<size_t>(tuner::uniform_index(
      rng_, static_cast<int>(std::min<size_t>(unseen.size(), INT32_MAX))))];
  remember(arch);
  return Proposal::ready(std::move(arch));
}

void RandomTuner::import_data(const std::vector<TrialHistory>& history) {
  for (const auto& h : history) remember(h.architecture);
}

}  // namespace archer
