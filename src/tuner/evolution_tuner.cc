#include "tuner/evolution_tuner.h"

#include "tuner/tuner_args.h"

namespace archer {

namespace {
// Re-draws allowed to find an unproposed architecture when skip_duplicates is
// on.
constexpr int kDuplicateTries = 32;
}  // namespace

EvolutionTuner::EvolutionTuner(int population_size, int sample_size,
                               bool skip_duplicates, std::uint64_t seed)
    : population_size_(population_size),
      sample_size_(sample_size),
      skip_duplicates_(skip_duplicates),
      rng_(seed) {}

Status EvolutionTuner::update_search_space(const SearchSpace& space) {
  space_ = space;
  space_size_ = tuner::space_size(space);
  mutable_choices_ = tuner::mutable_choices(space);
  proposed_any_ = false;
  initial_remaining_ = population_size_;
  population_.clear();
  pending_.clear();
  seen_.clear();
  return Status::ok();
}

std::string EvolutionTuner::concurrency_warning(int trial_concurrency) const {
  if (trial_concurrency < population_size_) return "";
  // NNI refuses to go on here (its NO_MORE_TRIAL trap); Archer's "not
  // ready" loses no slot, so it runs.
  return "RegularizedEvolutionTuner: trialConcurrency (" +
         std::to_string(trial_concurrency) +
         ") is not smaller than classArgs.population_size (" +
         std::to_string(population_size_) +
         "): slots will idle until the initial population reports (children "
         "need finished results)";
}

Architecture EvolutionTuner::draw_initial() {
  Architecture arch = tuner::random_architecture(space_, rng_);
  for (int i = 0; skip_duplicates_ && i < kDuplicateTries &&
                  seen_.count(tuner::architecture_hash(arch));
       ++i) {
    arch = tuner::random_architecture(space_, rng_);
  }
  return arch;
}

Architecture EvolutionTuner::make_child() {
  const Member* parent = nullptr;
  const int n = static_cast<int>(population_.size());
  for (int i = 0; i < sample_size_; ++i) {
    const Member& m =
        population_[static_cast<size_t>(tuner::uniform_index(rng_, n))];
    if (!parent || m.reward > parent->reward) parent = &m;
  }
  Architecture child;
  for (int i = 0; i < kDuplicateTries; ++i) {
    child = parent->architecture;
    tuner::mutate(space_, mutable_choices_, child, rng_);
    if (!skip_duplicates_ || !seen_.count(tuner::architecture_hash(child)))
      break;
  }
  return child;
}

Proposal EvolutionTuner::generate_parameters(std::int64_t parameter_id) {
  const bool single = space_size_ <= 1;
  Architecture arch;
  bool from_initial = false;
  if (single && proposed_any_) return Proposal::exhausted();
  if (initial_remaining_ > 0) {
    arch = draw_initial();
    --initial_remaining_;
    from_initial = true;
  } else if (!population_.empty()) {
    arch = make_child();
  } else {
    return Proposal::not_ready();
  }
  proposed_any_ = true;
  if (skip_duplicates_) seen_.insert(tuner::architecture_hash(arch));
  pending_.push_back(Pending{parameter_id, from_initial, false});
  return Proposal::ready(std::move(arch));
}

void EvolutionTuner::receive_trial_result(std::int64_t parameter_id,
                                          const Architecture& architecture,
                                          double reward) {
  if (Pending* p = find_pending(parameter_id)) {
    if (p->has_result) return;  // a repeated FINAL report counts once
    p->has_result = true;
  }
  population_.push_back(Member{parameter_id, architecture, reward});
  if (skip_duplicates_) seen_.insert(tuner::architecture_hash(architecture));
  while (static_cast<int>(population_.size()) > population_size_)
    population_.pop_front();
}

void EvolutionTuner::trial_end(std::int64_t parameter_id, bool success) {
  Pending* p = find_pending(parameter_id);
  if (!p) return;
  // A trial that ended without a result failed, whatever its exit status said.
  (void)success;
  if (p->from_initial && !p->has_result) {
    ++initial_remaining_;  // replace a failed member of the initial population
  }
  *p = pending_.back();
  pending_.pop_back();
}

EvolutionTuner::Pending* EvolutionTuner::find_pending(
    std::int64_t parameter_id) {
  for (auto& p : pending_) {
    if (p.parameter_id == parameter_id) return &p;
  }
  return nullptr;
}

void EvolutionTuner::import_data(const std::vector<TrialHistory>& history) {
  int successes = 0;
  for (const auto& h : history) {
    proposed_any_ = true;
    if (skip_duplicates_)
      seen_.insert(tuner::architecture_hash(h.architecture));
    if (!h.reward) continue;
    ++successes;
    population_.push_back(Member{h.parameter_id, h.architecture, *h.reward});
    while (static_cast<int>(population_.size()) > population_size_)
      population_.pop_front();
  }
  initial_remaining_ = std::max(0, initial_remaining_ - successes);
}

// Its registry entry (tuner/registry.cc lists it).
TunerSpec evolution_tuner_spec() {
  TunerSpec s;
  s.name = "RegularizedEvolutionTuner";
  s.doc = "aging evolution (Real et al. 2019)";
  s.args = {
      optimize_mode_arg(),
      seed_arg(),
      {"population_size",
       TunerArg::Type::kInt,
       100,
       1,
       99999,
       {},
       "size of the living population"},
      {"sample_size",
       TunerArg::Type::kInt,
       25,
       1,
       9999,
       {},
       "tournament size (drawn with replacement); at most population_size"},
      {"skip_duplicates",
       TunerArg::Type::kBool,
       false,
       0,
       -1,
       {},
       "re-draw children that were already proposed"}};
  s.check = [](const Json& a) {
    return not_greater(a, "sample_size", "population_size");
  };
  s.factory = [](const Json& a) {
    return std::make_unique<EvolutionTuner>(
        a["population_size"].get<int>(), a["sample_size"].get<int>(),
        a["skip_duplicates"].get<bool>(), seed_of(a));
  };
  return s;
}

}  // namespace archer
