#include "tuner/random_tuner.h"

#include "tuner/tuner_args.h"

namespace archer {

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
  std::optional<Architecture> arch = tuner::random_unseen(space_, seen_, rng_);
  // Too large to enumerate (and very unlucky): a possibly repeated one.
  if (!arch) return Proposal::ready(tuner::random_architecture(space_, rng_));
  remember(*arch);
  return Proposal::ready(std::move(*arch));
}

void RandomTuner::import_data(const std::vector<TrialHistory>& history) {
  for (const auto& h : history) remember(h.architecture);
}

// Its registry entry (tuner/registry.cc lists it).
TunerSpec random_tuner_spec() {
  TunerSpec s;
  s.name = "Random";
  s.aliases = {"RandomNASTuner"};
  s.doc = "uniform random architectures";
  s.multi_objective = true;  // it learns nothing from results
  s.args = {optimize_mode_arg(),
            seed_arg(),
            {"dedup",
             TunerArg::Type::kBool,
             true,
             0,
             -1,
             {},
             "never propose an architecture twice; answer 'exhausted' once all "
             "were proposed"}};
  s.factory = [](const Json& a) {
    return std::make_unique<RandomTuner>(seed_of(a), a["dedup"].get<bool>());
  };
  return s;
}

}  // namespace archer
