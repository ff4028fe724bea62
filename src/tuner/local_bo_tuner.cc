#include "tuner/local_bo_tuner.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "tuner/tuner_args.h"

namespace archer {

LocalBOTuner::LocalBOTuner(const Options& options)
    : options_(options), rng_(options.seed) {}

Status LocalBOTuner::update_search_space(const SearchSpace& space) {
  space_ = space;
  space_size_ = tuner::space_size(space);
  encoder_ = std::make_unique<tuner::ArchitectureEncoder>(space_);
  model_ = std::make_unique<tuner::GpModel>(*encoder_);
  tuned_at_ = 0;
  proposed_ = 0;
  observations_.clear();
  running_.clear();
  with_result_.clear();
  seen_.clear();
  return Status::ok();
}

void LocalBOTuner::forget_running(std::int64_t parameter_id) {
  running_.erase(std::remove_if(running_.begin(), running_.end(),
                                [&](const Running& r) {
                                  return r.parameter_id == parameter_id;
                                }),
                 running_.end());
}

bool LocalBOTuner::remember(const Architecture& arch) {
  return seen_.insert(tuner::architecture_hash(arch)).second;
}

void LocalBOTuner::observe(std::int64_t parameter_id, const Architecture& arch,
                           double reward) {
  observations_.push_back(
      Observation{parameter_id, arch, encoder_->encode(arch), reward});
}

std::vector<size_t> LocalBOTuner::best_observations(size_t count) const {
  std::vector<size_t> order(observations_.size());
  std::iota(order.begin(), order.end(), 0);
  count = std::min(count, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(count),
                    order.end(), [&](size_t a, size_t b) {
                      const double ra = observations_[a].reward;
                      const double rb = observations_[b].reward;
                      return ra > rb || (ra == rb && a < b);
                    });
  order.resize(count);
  return order;
}

std::vector<size_t> LocalBOTuner::model_points() const {
  const size_t n = observations_.size();
  const size_t cap =
      static_cast<size_t>(std::max(2, options_.max_model_points));
  if (n <= cap) {
    std::vector<size_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  // The best half, then the most recent of the others.
  std::vector<size_t> out = best_observations(cap / 2);
  std::vector<bool> taken(n, false);
  for (size_t i : out) taken[i] = true;
  for (size_t i = n; i-- > 0 && out.size() < cap;) {
    if (!taken[i]) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Architecture> LocalBOTuner::candidates() {
  const std::vector<size_t> parents =
      best_observations(static_cast<size_t>(std::max(1, options_.parents)));
  const size_t per_parent =
      static_cast<size_t>(std::max(1, options_.neighbours_per_parent));
  std::vector<Architecture> out;
  const std::vector<size_t> mutable_choices = tuner::mutable_choices(space_);
  for (size_t p : parents) {
    const Architecture& parent = observations_[p].architecture;
    std::vector<Architecture> near =
        tuner::neighbours(space_, parent, per_parent, rng_);
    const size_t two_moves = near.size();
    for (auto& a : near) out.push_back(std::move(a));
    for (size_t i = 0; i < two_moves; ++i) {
      Architecture two = parent;
      tuner::mutate(space_, mutable_choices, two, rng_);
      tuner::mutate(space_, mutable_choices, two, rng_);
      out.push_back(std::move(two));
    }
  }
  for (int i = 0; i < options_.random_candidates; ++i)
    out.push_back(tuner::random_architecture(space_, rng_));
  // Unseen ones, each once, in the order generated.
  std::unordered_set<std::uint64_t> listed;
  std::vector<Architecture> fresh;
  for (auto& a : out) {
    const std::uint64_t h = tuner::architecture_hash(a);
    if (!seen_.count(h) && listed.insert(h).second)
      fresh.push_back(std::move(a));
  }
  return fresh;
}

std::optional<Architecture> LocalBOTuner::model_proposal() {
  std::vector<Architecture> pool = candidates();
  if (pool.empty()) return std::nullopt;
  const std::vector<size_t> points = model_points();
  std::vector<std::vector<int>> x;
  std::vector<double> rewards;
  for (size_t i : points) {
    x.push_back(observations_[i].code);
    rewards.push_back(observations_[i].reward);
  }
  std::vector<double> y = tuner::normal_scores(rewards);
  const double best = *std::max_element(y.begin(), y.end());
  // Hyperparameters re-chosen at every new result up to 50, then at every
  // fifth (a choice costs 12 factorisations plus up to 2 per search-space
  // choice).
  const size_t n = observations_.size();
  const bool tune = n != tuned_at_ && (n <= 50 || n >= tuned_at_ + 5);
  model_->fit(x, y, tune);
  if (tune) tuned_at_ = observations_.size();
  if (!running_.empty()) {
    // The kriging believer: running trials as if they returned the mean.
    std::vector<std::vector<int>> running;
    for (const auto& r : running_)
      running.push_back(encoder_->encode(r.architecture));
    const auto believed = model_->predict(running);
    for (size_t i = 0; i < running.size(); ++i) {
      x.push_back(running[i]);
      y.push_back(believed[i].mean);
    }
    model_->fit(x, y, false);
  }
  std::vector<std::vector<int>> codes;
  codes.reserve(pool.size());
  for (const auto& a : pool) codes.push_back(encoder_->encode(a));
  const auto predictions = model_->predict(codes);
  size_t pick = 0;
  double top = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < predictions.size(); ++i) {
    const double ei = tuner::expected_improvement(predictions[i].mean,
                                                  predictions[i].sd, best);
    if (ei > top) {
      top = ei;
      pick = i;
    }
  }
  return std::move(pool[pick]);
}

Proposal LocalBOTuner::generate_parameters(std::int64_t parameter_id) {
  if (static_cast<double>(seen_.size()) >= space_size_)
    return Proposal::exhausted();
  std::optional<Architecture> arch;
  if (proposed_ >= options_.initial_trials && observations_.size() >= 2)
    arch = model_proposal();
  if (!arch) arch = tuner::random_unseen(space_, seen_, rng_);
  if (!arch) return Proposal::exhausted();
  remember(*arch);
  ++proposed_;
  running_.push_back(Running{parameter_id, *arch});
  return Proposal::ready(std::move(*arch));
}

void LocalBOTuner::receive_trial_result(std::int64_t parameter_id,
                                        const Architecture& architecture,
                                        double reward) {
  if (!with_result_.insert(parameter_id).second) return;  // counted once
  remember(architecture);
  observe(parameter_id, architecture, reward);
  forget_running(parameter_id);
}

void LocalBOTuner::trial_end(std::int64_t parameter_id, bool) {
  // A failed trial's architecture stays seen (it was paid for) but teaches
  // the surrogate nothing.
  forget_running(parameter_id);
}

void LocalBOTuner::import_data(const std::vector<TrialHistory>& history) {
  for (const auto& h : history) {
    remember(h.architecture);
    ++proposed_;
    if (h.reward && with_result_.insert(h.parameter_id).second)
      observe(h.parameter_id, h.architecture, *h.reward);
  }
}

// Its registry entry (tuner/registry.cc lists it).
TunerSpec local_bo_tuner_spec() {
  TunerSpec s;
  s.name = "LocalBOTuner";
  s.aliases = {"LocalBO"};
  s.doc =
      "Bayesian optimisation: a Gaussian-process surrogate, expected "
      "improvement searched among the best architectures' neighbours; never "
      "repeats an architecture (docs/tuners.md)";
  s.args = {optimize_mode_arg(),
            seed_arg(),
            {"initial_trials",
             TunerArg::Type::kInt,
             10,
             1,
             99999,
             {},
             "random architectures before the surrogate is used"},
            {"parents",
             TunerArg::Type::kInt,
             5,
             1,
             1000,
             {},
             "how many of the best architectures' neighbourhoods are searched"},
            {"neighbours_per_parent",
             TunerArg::Type::kInt,
             64,
             1,
             10000,
             {},
             "at most this many one-move (and as many two-move) neighbours of "
             "each parent are scored"},
            {"random_candidates",
             TunerArg::Type::kInt,
             64,
             0,
             100000,
             {},
             "random architectures scored beside the neighbours"},
            {"max_model_points",
             TunerArg::Type::kInt,
             256,
             2,
             512,
             {},
             "results the surrogate is fitted to (the best half and the most "
             "recent): bounds a proposal's cost at O(max_model_points^3): "
             "about 50 ms at 256 (up to 0.3 s when the hyperparameters are "
             "re-chosen), under a second at 512"}};
  s.factory = [](const Json& a) {
    LocalBOTuner::Options o;
    o.initial_trials = a["initial_trials"].get<int>();
    o.parents = a["parents"].get<int>();
    o.neighbours_per_parent = a["neighbours_per_parent"].get<int>();
    o.random_candidates = a["random_candidates"].get<int>();
    o.max_model_points = a["max_model_points"].get<int>();
    o.seed = seed_of(a);
    return std::make_unique<LocalBOTuner>(o);
  };
  return s;
}

}  // namespace archer
