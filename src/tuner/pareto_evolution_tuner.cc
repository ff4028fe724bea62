#include "tuner/pareto_evolution_tuner.h"

#include <algorithm>
#include <numeric>

#include "common/pareto.h"
#include "tuner/tuner_args.h"

namespace archer {

ParetoEvolutionTuner::ParetoEvolutionTuner(Options options)
    : options_(options), rng_(options.seed) {}

Status ParetoEvolutionTuner::update_search_space(const SearchSpace& space) {
  space_ = space;
  space_size_ = tuner::space_size(space);
  mutable_choices_ = tuner::mutable_choices(space);
  initial_remaining_ = options_.population_size;
  pending_initial_.clear();
  resulted_.clear();
  results_.clear();
  seen_.clear();
  return Status::ok();
}

void ParetoEvolutionTuner::remember(const Architecture& arch) {
  seen_.insert(tuner::architecture_hash(arch));
}

std::vector<size_t> ParetoEvolutionTuner::population() const {
  const size_t n = results_.size();
  const size_t p = static_cast<size_t>(options_.population_size);
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  if (n <= p) return all;
  if (options_.aging)
    return std::vector<size_t>(all.end() - static_cast<long>(p), all.end());
  std::vector<pareto::Point> points;
  for (const auto& m : results_) points.push_back(m.rewards);
  const std::vector<int> rank = pareto::ranks(points);
  const std::vector<double> crowd = pareto::crowding(points, rank);
  std::stable_sort(all.begin(), all.end(), [&](size_t a, size_t b) {
    if (rank[a] != rank[b]) return rank[a] < rank[b];
    if (crowd[a] != crowd[b]) return crowd[a] > crowd[b];
    return a > b;  // the newer first
  });
  all.resize(p);
  std::sort(all.begin(), all.end());
  return all;
}

Architecture ParetoEvolutionTuner::make_child() {
  const std::vector<size_t> pop = population();
  std::vector<pareto::Point> points;
  for (size_t i : pop) points.push_back(results_[i].rewards);
  const std::vector<int> rank = pareto::ranks(points);
  const std::vector<double> crowd = pareto::crowding(points, rank);
  // A tournament without replacement (a partial shuffle).
  std::vector<size_t> order(pop.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t s =
      std::min(order.size(), static_cast<size_t>(options_.sample_size));
  for (size_t i = 0; i < s; ++i) {
    const size_t j = i + static_cast<size_t>(tuner::uniform_index(
                             rng_, static_cast<int>(order.size() - i)));
    std::swap(order[i], order[j]);
  }
  size_t best = order[0];
  for (size_t i = 1; i < s; ++i) {
    const size_t c = order[i];
    if (rank[c] < rank[best] ||
        (rank[c] == rank[best] &&
         (crowd[c] > crowd[best] || (crowd[c] == crowd[best] && c > best))))
      best = c;
  }
  const Architecture& parent = results_[pop[best]].architecture;
  for (int attempt = 0; attempt < 50; ++attempt) {
    Architecture child = parent;
    if (!tuner::mutate(space_, mutable_choices_, child, rng_)) break;
    if (!seen_.count(tuner::architecture_hash(child))) return child;
  }
  std::optional<Architecture> fresh = tuner::random_unseen(space_, seen_, rng_);
  return fresh ? *fresh : tuner::random_architecture(space_, rng_);
}

Proposal ParetoEvolutionTuner::generate_parameters(std::int64_t parameter_id) {
  if (static_cast<double>(seen_.size()) >= space_size_)
    return Proposal::exhausted();
  Architecture arch;
  if (initial_remaining_ > 0 || results_.empty()) {
    if (initial_remaining_ <= 0) return Proposal::not_ready();
    std::optional<Architecture> fresh =
        tuner::random_unseen(space_, seen_, rng_);
    if (!fresh) return Proposal::exhausted();
    arch = std::move(*fresh);
    --initial_remaining_;
    pending_initial_.insert(parameter_id);
  } else {
    arch = make_child();
  }
  remember(arch);
  return Proposal::ready(std::move(arch));
}

void ParetoEvolutionTuner::receive_trial_result(
    std::int64_t parameter_id, const Architecture& architecture,
    double reward) {
  receive_trial_results(parameter_id, architecture, {reward});
}

void ParetoEvolutionTuner::receive_trial_results(
    std::int64_t parameter_id, const Architecture& architecture,
    const std::vector<double>& rewards) {
  if (rewards.empty() || !resulted_.insert(parameter_id).second) return;
  if (!results_.empty() && results_.front().rewards.size() != rewards.size())
    return;  // another number of objectives: not comparable
  pending_initial_.erase(parameter_id);
  remember(architecture);
  results_.push_back({parameter_id, architecture, rewards});
}

void ParetoEvolutionTuner::ended_without_result(std::int64_t parameter_id) {
  // A failed or infeasible initial member is replaced.
  if (pending_initial_.erase(parameter_id)) ++initial_remaining_;
}

void ParetoEvolutionTuner::trial_end(std::int64_t parameter_id, bool success) {
  if (!success && !resulted_.count(parameter_id))
    ended_without_result(parameter_id);
  pending_initial_.erase(parameter_id);
}

void ParetoEvolutionTuner::infeasible(std::int64_t parameter_id,
                                      const Architecture& architecture) {
  remember(architecture);
  ended_without_result(parameter_id);
}

void ParetoEvolutionTuner::import_data(
    const std::vector<TrialHistory>& history) {
  for (const auto& h : history) {
    remember(h.architecture);
    if (!h.rewards.empty()) {
      receive_trial_results(h.parameter_id, h.architecture, h.rewards);
    } else if (h.reward) {
      receive_trial_result(h.parameter_id, h.architecture, *h.reward);
    } else {
      continue;
    }
    if (initial_remaining_ > 0) --initial_remaining_;
  }
}

// Its registry entry (tuner/registry.cc lists it).
TunerSpec pareto_evolution_tuner_spec() {
  TunerSpec s;
  s.name = "ParetoEvolution";
  s.aliases = {"ParetoEvolutionTuner"};
  s.doc =
      "multi-objective evolution for config objectives: NSGA-II's "
      "non-dominated rank and crowding distance choose parents and the "
      "population; never repeats an architecture (docs/hardware-aware.md)";
  s.multi_objective = true;
  s.args = {optimize_mode_arg(),
            seed_arg(),
            {"population_size",
             TunerArg::Type::kInt,
             20,
             2,
             99999,
             {},
             "random architectures first, then the population size"},
            {"sample_size",
             TunerArg::Type::kInt,
             5,
             1,
             9999,
             {},
             "tournament size (drawn without replacement); at most "
             "population_size"},
            {"selection",
             TunerArg::Type::kString,
             "nsga2",
             0,
             -1,
             {"nsga2", "aging"},
             "the population: the best results in NSGA-II's order (nsga2) or "
             "the most recent ones (aging, for noisy results)"}};
  s.check = [](const Json& a) {
    return not_greater(a, "sample_size", "population_size");
  };
  s.factory = [](const Json& a) {
    ParetoEvolutionTuner::Options o;
    o.population_size = a["population_size"].get<int>();
    o.sample_size = a["sample_size"].get<int>();
    o.aging = a["selection"] == "aging";
    o.seed = seed_of(a);
    return std::make_unique<ParetoEvolutionTuner>(o);
  };
  return s;
}

}  // namespace archer
