#include "tuner/ppo/ppo_tuner.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/base64.h"
#include "tuner/ppo/ppo_spec.h"
#include "tuner/tuner_args.h"

namespace archer {

namespace {

constexpr int64_t kEmbedding = 32;
constexpr int64_t kHidden = 128;

// One decision step of the controller.
struct Step {
  size_t choice;  // index in the search space
  int n_actions;  // candidates (+1 for STOP when `any`)
  int offset;     // first logit / token of this step
  bool any;       // n_chosen null: the last action is STOP
};

class PolicyImpl : public torch::nn::Module {
 public:
  PolicyImpl(int64_t tokens, int64_t actions) {
    embed = register_module("embed", torch::nn::Embedding(tokens, kEmbedding));
    lstm = register_module("lstm", torch::nn::LSTM(kEmbedding, kHidden));
    policy = register_module("policy", torch::nn::Linear(kHidden, actions));
    value = register_module("value", torch::nn::Linear(kHidden, 1));
  }
  torch::nn::Embedding embed{nullptr};
  torch::nn::LSTM lstm{nullptr};  // sequence-first: [T, batch, features]
  torch::nn::Linear policy{nullptr}, value{nullptr};
};
TORCH_MODULE(Policy);

// Samples (or, with `forced`, replays) action sequences and records what PPO
// needs.
struct Batch {
  torch::Tensor actions;  // [T, B] long
  torch::Tensor
      masks;  // [T, B, total actions] bool: the valid actions of each step
  torch::Tensor logp;               // [T, B]
  torch::Tensor values;             // [T, B]
  std::vector<Architecture> archs;  // B
  enum State { kUnused, kPending, kDone, kFailed };
  std::vector<State> state;     // B
  std::vector<double> rewards;  // B
  int next = 0;                 // next unused architecture
};

}  // namespace

struct PpoTuner::Impl {
  PpoOptions opt;
  at::Generator gen;
  SearchSpace space;
  std::vector<Step> steps;
  int total_actions = 0;
  torch::Tensor offsets;  // [T] long: first global action of each step
  Policy policy{nullptr};
  std::unique_ptr<torch::optim::Adam> adam;
  Batch batch;
  std::unordered_map<std::int64_t, int> env_of;
  int updates = 0;
  // Running reward statistics (Welford): rewards are standardised before GAE.
  double count = 0, mean = 0, m2 = 0;

  explicit Impl(PpoOptions o)
      : opt(o), gen(at::make_generator<at::CPUGeneratorImpl>(o.seed)) {}

  void build(const SearchSpace& s) {
    space = s;
    steps.clear();
    int offset = 0;
    for (size_t i = 0; i < space.size(); ++i) {
      const Choice& c = space.choices()[i];
      const int n = static_cast<int>(c.candidates.size());
      int repeat = 1, actions = n;
      bool any = false;
      if (c.type == ChoiceType::kInputChoice) {
        any = !c.n_chosen;
        repeat = any ? n : *c.n_chosen;
        actions = any ? n + 1 : n;
      }
      for (int r = 0; r < repeat; ++r) {
        steps.push_back(Step{i, actions, offset, any});
        offset += actions;
      }
    }
    total_actions = std::max(offset, 1);
    std::vector<int64_t> offs;
    for (const auto& st : steps) offs.push_back(st.offset);
    offsets = torch::tensor(offs, torch::kLong);
    policy = Policy(total_actions + 1, total_actions);
    torch::NoGradGuard no_grad;
    for (auto& p : policy->named_parameters()) {
      const std::string& name = p.key();
      torch::Tensor t = p.value();
      if (name.find("bias") != std::string::npos) {
        t.zero_();
      } else if (name == "embed.weight") {
        t.normal_(0.0, 1.0, gen);
      } else {
        double bound = 1.0 / std::sqrt(static_cast<double>(t.size(1)));
        t.uniform_(-bound, bound, gen);
        if (name == "policy.weight") t.mul_(0.01);
      }
    }
    adam = std::make_unique<torch::optim::Adam>(
        policy->parameters(), torch::optim::AdamOptions(opt.lr).eps(1e-5));
    batch = Batch();
    env_of.clear();
  }

  // Runs the controller over `m` environments. With `forced` ([T, m] long) the
  // actions are replayed instead of sampled. Returns the batch with logp/values
  // (no grad).
  Batch run(int m, const torch::Tensor* forced) {
    torch::NoGradGuard no_grad;
    Batch b;
    const int64_t T = static_cast<int64_t>(steps.size());
    std::vector<torch::Tensor> actions, logps, values;
    torch::Tensor h = torch::zeros({1, m, kHidden}),
                  c = torch::zeros({1, m, kHidden});
    torch::Tensor token = torch::zeros({m}, torch::kLong);
    b.masks = torch::zeros({T, m, total_actions}, torch::kBool);
    std::vector<std::vector<int>> chosen(static_cast<size_t>(m));
    std::vector<bool> stopped(static_cast<size_t>(m), false);
    std::vector<std::vector<std::vector<int>>> decisions(
        static_cast<size_t>(m), std::vector<std::vector<int>>(space.size()));
    for (int64_t t = 0; t < T; ++t) {
      const Step& s = steps[static_cast<size_t>(t)];
      if (t == 0 || steps[static_cast<size_t>(t - 1)].choice != s.choice) {
        for (auto& ch : chosen) ch.clear();
        std::fill(stopped.begin(), stopped.end(), false);
      }
      auto out = policy->lstm->forward(policy->embed(token).unsqueeze(0),
                                       std::make_tuple(h, c));
      std::tie(h, c) = std::get<1>(out);
      torch::Tensor hidden = std::get<0>(out).squeeze(0);
      torch::Tensor mask = valid_mask(s, chosen, stopped);
      b.masks[t].slice(1, s.offset, s.offset + s.n_actions).copy_(mask);
      torch::Tensor logits =
          policy->policy(hidden).slice(1, s.offset, s.offset + s.n_actions);
      torch::Tensor logp_all =
          torch::log_softmax(logits.masked_fill(~mask, -INFINITY), 1);
      torch::Tensor a =
          forced ? (*forced)[t]
                 : torch::multinomial(logp_all.exp(), 1, false, gen).squeeze(1);
      actions.push_back(a);
      logps.push_back(logp_all.gather(1, a.unsqueeze(1)).squeeze(1));
      values.push_back(policy->value(hidden).squeeze(1));
      auto acc = a.accessor<int64_t, 1>();
      for (int e = 0; e < m; ++e) {
        int action = static_cast<int>(acc[e]);
        const size_t ue = static_cast<size_t>(e);
        if (s.any && action == s.n_actions - 1) {
          stopped[ue] = true;
        } else if (!stopped[ue]) {
          chosen[ue].push_back(action);
        }
        std::vector<int> d = chosen[ue];
        std::sort(d.begin(), d.end());
        decisions[ue][s.choice] = d;
      }
      token = a + (s.offset + 1);
    }
    for (const auto& d : decisions) b.archs.emplace_back(d);
    b.actions = T ? torch::stack(actions) : torch::zeros({0, m}, torch::kLong);
    if (!T) b.masks = torch::zeros({0, m, total_actions}, torch::kBool);
    b.logp = T ? torch::stack(logps) : torch::zeros({0, m});
    b.values = T ? torch::stack(values) : torch::zeros({0, m});
    b.state.assign(static_cast<size_t>(m), Batch::kUnused);
    b.rewards.assign(static_cast<size_t>(m), 0.0);
    return b;
  }

  torch::Tensor valid_mask(const Step& s,
                           const std::vector<std::vector<int>>& chosen,
                           const std::vector<bool>& stopped) const {
    const int64_t m = static_cast<int64_t>(chosen.size());
    torch::Tensor mask = torch::ones({m, s.n_actions}, torch::kBool);
    const Choice& c = space.choices()[s.choice];
    if (c.type == ChoiceType::kLayerChoice) return mask;
    auto acc = mask.accessor<bool, 2>();
    const int n = static_cast<int>(c.candidates.size());
    for (int64_t e = 0; e < m; ++e) {
      const auto& ch = chosen[static_cast<size_t>(e)];
      for (int i : ch) acc[e][i] = false;
      if (!s.any) continue;
      const bool stop_only =
          stopped[static_cast<size_t>(e)] || static_cast<int>(ch.size()) == n;
      if (stop_only) {
        for (int i = 0; i < n; ++i) acc[e][i] = false;
      }
      acc[e][n] = stop_only || !ch.empty();  // STOP never first: never empty
    }
    return mask;
  }

  // Teacher-forced pass with gradients over environments `idx` of `b`, all
  // steps at once: every step's logits are masked to that step's valid actions,
  // so the log-probabilities come from exactly the distribution the actions
  // were sampled from.
  void evaluate(const Batch& b, const torch::Tensor& idx, torch::Tensor* logp,
                torch::Tensor* entropy, torch::Tensor* value) {
    const int64_t m = idx.size(0);
    const int64_t T = static_cast<int64_t>(steps.size());
    torch::Tensor global =
        b.actions.index_select(1, idx) + offsets.unsqueeze(1);  // [T, m]
    torch::Tensor tokens = torch::cat(
        {torch::zeros({1, m}, torch::kLong), (global + 1).slice(0, 0, T - 1)},
        0);
    torch::Tensor out =
        std::get<0>(policy->lstm->forward(policy->embed(tokens)));
    torch::Tensor mask = b.masks.index_select(1, idx);
    torch::Tensor logp_all = torch::log_softmax(
        policy->policy(out).masked_fill(~mask, -INFINITY), 2);
    *logp = logp_all.gather(2, global.unsqueeze(2)).squeeze(2);
    torch::Tensor safe = logp_all.masked_fill(~mask, 0.0);
    *entropy = -(safe.exp() * safe).sum(2);
    *value = policy->value(out).squeeze(2);
  }

  double observe(double reward) {
    count += 1;
    double delta = reward - mean;
    mean += delta / count;
    m2 += delta * (reward - mean);
    return reward;
  }

  // PPO update on the environments of `b` whose state is kDone.
  void train(const Batch& b) {
    std::vector<int64_t> valid;
    for (size_t e = 0; e < b.state.size(); ++e) {
      if (b.state[e] == Batch::kDone) valid.push_back(static_cast<int64_t>(e));
    }
    if (valid.empty() || steps.empty()) return;
    const int64_t T = static_cast<int64_t>(steps.size());
    const int64_t B = static_cast<int64_t>(b.state.size());
    const double stdev = count > 1 ? std::sqrt(m2 / (count - 1)) : 1.0;
    torch::Tensor r = torch::zeros({B});
    for (int64_t e : valid) {
      r[e] = (b.rewards[static_cast<size_t>(e)] - mean) /
             (stdev > 1e-8 ? stdev : 1.0);
    }
    // GAE with the reward at the last step only.
    torch::Tensor adv = torch::zeros({T, B});
    torch::Tensor last = torch::zeros({B});
    for (int64_t t = T - 1; t >= 0; --t) {
      torch::Tensor next_v = t == T - 1 ? torch::zeros({B}) : b.values[t + 1];
      torch::Tensor reward = t == T - 1 ? r : torch::zeros({B});
      torch::Tensor delta = reward + opt.gamma * next_v - b.values[t];
      last = delta + opt.gamma * opt.lam * last;
      adv[t] = last;
    }
    torch::Tensor returns = adv + b.values;
    torch::Tensor valid_t = torch::tensor(valid, torch::kLong);
    const int64_t n = valid_t.size(0);
    for (int epoch = 0; epoch < opt.epochs_per_update; ++epoch) {
      torch::Tensor perm = valid_t.index_select(0, torch::randperm(n, gen));
      for (int64_t start = 0; start < n; start += opt.minibatch_size) {
        torch::Tensor idx =
            perm.slice(0, start, std::min(n, start + opt.minibatch_size));
        torch::Tensor logp, entropy, value;
        evaluate(b, idx, &logp, &entropy, &value);
        torch::Tensor A = adv.index_select(1, idx);
        if (A.numel() > 1) A = (A - A.mean()) / (A.std() + 1e-8);
        torch::Tensor ratio = torch::exp(logp - b.logp.index_select(1, idx));
        torch::Tensor pg =
            torch::max(-A * ratio, -A * torch::clamp(ratio, 1 - opt.cliprange,
                                                     1 + opt.cliprange))
                .mean();
        torch::Tensor v_old = b.values.index_select(1, idx);
        torch::Tensor R = returns.index_select(1, idx);
        torch::Tensor v_clipped =
            v_old + torch::clamp(value - v_old, -opt.cliprange, opt.cliprange);
        torch::Tensor v_loss =
            0.5 * torch::max((value - R).pow(2), (v_clipped - R).pow(2)).mean();
        torch::Tensor loss =
            pg - opt.ent_coef * entropy.mean() + opt.vf_coef * v_loss;
        adam->zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(policy->parameters(),
                                          opt.max_grad_norm);
        adam->step();
      }
    }
    ++updates;
  }

  void new_batch() {
    batch = run(opt.trials_per_update, nullptr);
    env_of.clear();
  }

  void maybe_update() {
    if (batch.next < static_cast<int>(batch.state.size())) return;
    for (auto s : batch.state) {
      if (s == Batch::kPending) return;
    }
    train(batch);
    new_batch();
  }

  // The action sequence ([T] long) that produces `arch` (inputs in ascending
  // order).
  torch::Tensor actions_of(const Architecture& arch) const {
    std::vector<int64_t> out;
    size_t k = 0;
    for (size_t t = 0; t < steps.size(); ++t) {
      const Step& s = steps[t];
      if (t == 0 || steps[t - 1].choice != s.choice) k = 0;
      std::vector<int> d = arch[s.choice].to_vector();
      std::sort(d.begin(), d.end());
      out.push_back(
          k < d.size() ? d[k] : s.n_actions - 1);  // past the chosen ones: STOP
      ++k;
    }
    return torch::tensor(out, torch::kLong);
  }
};

PpoTuner::PpoTuner(PpoOptions options)
    : impl_(std::make_unique<Impl>(options)) {}
PpoTuner::~PpoTuner() = default;

Status PpoTuner::update_search_space(const SearchSpace& space) {
  impl_->build(space);
  return Status::ok();
}

Proposal PpoTuner::generate_parameters(std::int64_t parameter_id) {
  Impl& d = *impl_;
  if (d.batch.state.empty()) d.new_batch();
  if (d.batch.next >= static_cast<int>(d.batch.state.size()))
    return Proposal::not_ready();
  int env = d.batch.next++;
  d.batch.state[static_cast<size_t>(env)] = Batch::kPending;
  d.env_of[parameter_id] = env;
  return Proposal::ready(d.batch.archs[static_cast<size_t>(env)]);
}

void PpoTuner::receive_trial_result(std::int64_t parameter_id,
                                    const Architecture&, double reward) {
  Impl& d = *impl_;
  auto it = d.env_of.find(parameter_id);
  if (it == d.env_of.end()) return;  // not from the current batch
  const size_t env = static_cast<size_t>(it->second);
  if (d.batch.state[env] != Batch::kPending) return;  // repeated report
  d.batch.state[env] = Batch::kDone;
  d.batch.rewards[env] = d.observe(reward);
  d.maybe_update();
}

void PpoTuner::trial_end(std::int64_t parameter_id, bool) {
  Impl& d = *impl_;
  auto it = d.env_of.find(parameter_id);
  if (it == d.env_of.end()) return;
  const size_t env = static_cast<size_t>(it->second);
  if (d.batch.state[env] == Batch::kPending)
    d.batch.state[env] = Batch::kFailed;
  d.maybe_update();
}

void PpoTuner::import_data(const std::vector<TrialHistory>& history) {
  Impl& d = *impl_;
  std::vector<const TrialHistory*> done;
  for (const auto& h : history) {
    if (h.reward) done.push_back(&h);
  }
  const size_t B = static_cast<size_t>(d.opt.trials_per_update);
  for (size_t start = 0; start < done.size(); start += B) {
    size_t m = std::min(B, done.size() - start);
    std::vector<torch::Tensor> seqs;
    for (size_t i = 0; i < m; ++i)
      seqs.push_back(d.actions_of(done[start + i]->architecture));
    torch::Tensor forced =
        d.steps.empty()
            ? torch::zeros({0, static_cast<int64_t>(m)}, torch::kLong)
            : torch::stack(seqs, 1);
    Batch b = d.run(static_cast<int>(m), &forced);
    for (size_t i = 0; i < m; ++i) {
      b.state[i] = Batch::kDone;
      b.rewards[i] = d.observe(*done[start + i]->reward);
    }
    d.train(b);
  }
  d.new_batch();
}

Json PpoTuner::save() const {
  std::ostringstream out;
  torch::save(impl_->policy, out);
  Json state = Json::object();
  state["format"] = "archer-ppo-1";
  state["updates"] = impl_->updates;
  state["reward_stats"] = Json::array({impl_->count, impl_->mean, impl_->m2});
  state["weights"] = base64_encode(out.str());
  return state;
}

Status PpoTuner::load(const Json& state) {
  if (!state.is_object() || state.value("format", "") != "archer-ppo-1" ||
      !state.contains("weights") || !state["weights"].is_string()) {
    return Status::invalid_argument(
        "PPOTuner: not a saved PPO state (format archer-ppo-1)");
  }
  try {
    std::istringstream in(base64_decode(state["weights"].get<std::string>()));
    torch::load(impl_->policy, in);
  } catch (const std::exception& e) {
    return Status::invalid_argument(
        std::string("PPOTuner: saved weights do not fit this "
                    "search space: ") +
        e.what());
  }
  impl_->updates = state.value("updates", 0);
  const Json& stats = state["reward_stats"];
  if (stats.is_array() && stats.size() == 3) {
    impl_->count = stats[0].get<double>();
    impl_->mean = stats[1].get<double>();
    impl_->m2 = stats[2].get<double>();
  }
  impl_->adam = std::make_unique<torch::optim::Adam>(
      impl_->policy->parameters(),
      torch::optim::AdamOptions(impl_->opt.lr).eps(1e-5));
  impl_->new_batch();
  return Status::ok();
}

double PpoTuner::log_probability(const Architecture& architecture) {
  Impl& d = *impl_;
  if (d.steps.empty()) return 0.0;
  torch::Tensor forced = d.actions_of(architecture).unsqueeze(1);
  Batch b = d.run(1, &forced);
  return b.logp.sum().item<double>();
}

int PpoTuner::updates() const { return impl_->updates; }

PpoOptions ppo_options(const Json& a) {
  PpoOptions o;
  o.trials_per_update = a["trials_per_update"].get<int>();
  o.epochs_per_update = a["epochs_per_update"].get<int>();
  o.minibatch_size = a["minibatch_size"].get<int>();
  o.ent_coef = a["ent_coef"].get<double>();
  o.lr = a["lr"].get<double>();
  o.vf_coef = a["vf_coef"].get<double>();
  o.max_grad_norm = a["max_grad_norm"].get<double>();
  o.gamma = a["gamma"].get<double>();
  o.lam = a["lam"].get<double>();
  o.cliprange = a["cliprange"].get<double>();
  o.seed = seed_of(a);
  return o;
}

void register_ppo_tuner() {
  register_tuner(ppo_tuner_spec([](const Json& a) {
    return std::make_unique<PpoTuner>(ppo_options(a));
  }));
}

}  // namespace archer
