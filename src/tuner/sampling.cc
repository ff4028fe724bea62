#include "tuner/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace archer {
namespace tuner {

namespace {

int effective_n_chosen(const Choice& c) {
  return c.n_chosen ? *c.n_chosen : -1;  // -1: any non-empty subset
}

double binomial(int n, int k) {
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return std::round(r);
}

// All decisions of one choice (sorted index lists).
std::vector<std::vector<int>> all_decisions(const Choice& c) {
  const int n = static_cast<int>(c.candidates.size());
  std::vector<std::vector<int>> out;
  if (c.type == ChoiceType::kLayerChoice) {
    for (int i = 0; i < n; ++i) out.push_back({i});
    return out;
  }
  const int k = effective_n_chosen(c);
  for (unsigned long long mask = 0; mask < (1ULL << n); ++mask) {
    std::vector<int> d;
    for (int i = 0; i < n; ++i) {
      if (mask & (1ULL << i)) d.push_back(i);
    }
    if ((k < 0 && !d.empty()) || static_cast<int>(d.size()) == k)
      out.push_back(d);
  }
  return out;
}

}  // namespace

int uniform_index(Rng& rng, int n) {
  return std::uniform_int_distribution<int>(0, n - 1)(rng);
}

void random_decision_into(const Choice& c, Rng& rng, std::vector<int>& out) {
  const int n = static_cast<int>(c.candidates.size());
  out.clear();
  if (c.type == ChoiceType::kLayerChoice) {
    out.push_back(uniform_index(rng, n));
    return;
  }
  const int k = effective_n_chosen(c);
  if (k >= 0 && 2 * k <= n) {
    // Few of many: draw until k distinct (a uniform k-subset), no scratch
    // allocation.
    while (static_cast<int>(out.size()) < k) {
      int v = uniform_index(rng, n);
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
  } else if (k >= 0) {
    // Partial Fisher-Yates: k distinct indices.
    std::vector<int> pool(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) pool[static_cast<size_t>(i)] = i;
    for (int i = 0; i < k; ++i) {
      int j = i + uniform_index(rng, n - i);
      std::swap(pool[static_cast<size_t>(i)], pool[static_cast<size_t>(j)]);
      out.push_back(pool[static_cast<size_t>(i)]);
    }
  } else if (n <= 62) {
    // Uniform over the 2^n - 1 non-empty subsets.
    auto mask = std::uniform_int_distribution<unsigned long long>(
        1, (1ULL << n) - 1)(rng);
    for (int i = 0; i < n; ++i) {
      if (mask & (1ULL << i)) out.push_back(i);
    }
  } else {
    while (out.empty()) {
      for (int i = 0; i < n; ++i) {
        if (rng() & 1) out.push_back(i);
      }
    }
  }
  std::sort(out.begin(), out.end());
}

std::vector<int> random_decision(const Choice& c, Rng& rng) {
  std::vector<int> out;
  random_decision_into(c, rng, out);
  return out;
}

Architecture random_architecture(const SearchSpace& space, Rng& rng) {
  Architecture arch;
  arch.reserve(space.size(), space.size() * 2);
  thread_local std::vector<int> decision;
  for (const auto& c : space.choices()) {
    random_decision_into(c, rng, decision);
    arch.push_back(decision);
  }
  return arch;
}

double decision_count(const Choice& c) {
  const int n = static_cast<int>(c.candidates.size());
  if (c.type == ChoiceType::kLayerChoice) return n;
  const int k = effective_n_chosen(c);
  if (k >= 0) return binomial(n, k);
  return n >= 1024 ? std::numeric_limits<double>::infinity()
                   : std::pow(2.0, n) - 1;
}

double space_size(const SearchSpace& space) {
  double size = 1;
  for (const auto& c : space.choices()) size *= decision_count(c);
  return size;
}

bool can_mutate(const Choice& c) { return decision_count(c) > 1; }

std::vector<int> mutate_decision(const Choice& c,
                                 const std::vector<int>& current, Rng& rng) {
  const int n = static_cast<int>(c.candidates.size());
  if (c.type == ChoiceType::kLayerChoice) {
    int other = uniform_index(rng, n - 1);
    if (other >= current[0]) ++other;
    return {other};
  }
  std::vector<bool> chosen(static_cast<size_t>(n), false);
  for (int i : current) chosen[static_cast<size_t>(i)] = true;
  std::vector<int> in(current.begin(), current.end()), out;
  for (int i = 0; i < n; ++i) {
    if (!chosen[static_cast<size_t>(i)]) out.push_back(i);
  }
  enum Move { kSwap, kAdd, kRemove };
  std::vector<Move> moves;
  if (!in.empty() && !out.empty()) moves.push_back(kSwap);
  if (!c.n_chosen && !out.empty()) moves.push_back(kAdd);
  if (!c.n_chosen && in.size() > 1) moves.push_back(kRemove);
  std::vector<int> next = in;
  switch (moves[static_cast<size_t>(
      uniform_index(rng, static_cast<int>(moves.size())))]) {
    case kSwap: {
      size_t drop =
          static_cast<size_t>(uniform_index(rng, static_cast<int>(in.size())));
      next[drop] = out[static_cast<size_t>(
          uniform_index(rng, static_cast<int>(out.size())))];
      break;
    }
    case kAdd:
      next.push_back(out[static_cast<size_t>(
          uniform_index(rng, static_cast<int>(out.size())))]);
      break;
    case kRemove:
      next.erase(next.begin() +
                 uniform_index(rng, static_cast<int>(next.size())));
      break;
  }
  std::sort(next.begin(), next.end());
  return next;
}

std::vector<size_t> mutable_choices(const SearchSpace& space) {
  std::vector<size_t> out;
  for (size_t i = 0; i < space.size(); ++i) {
    if (can_mutate(space.choices()[i])) out.push_back(i);
  }
  return out;
}

bool mutate(const SearchSpace& space, const std::vector<size_t>& choices,
            Architecture& arch, Rng& rng) {
  if (choices.empty()) return false;
  size_t k = choices[static_cast<size_t>(
      uniform_index(rng, static_cast<int>(choices.size())))];
  arch.set(k, mutate_decision(space.choices()[k], arch[k].to_vector(), rng));
  return true;
}

std::uint64_t architecture_hash(const Architecture& arch) {
  // splitmix64-style mixing of (decision index, sorted chosen indices).
  auto mix = [](std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  };
  std::uint64_t h = 0x2545F4914F6CDD1DULL;
  for (size_t i = 0; i < arch.size(); ++i) {
    const DecisionView d = arch[i];
    std::uint64_t set_bits = 0, extra = 0;
    for (int v : d) {
      if (v < 64) {
        set_bits |= 1ULL << v;
      } else {
        extra += mix(static_cast<std::uint64_t>(v));  // order-independent
      }
    }
    h = mix(h ^ mix(i * 0x100000001B3ULL + set_bits) ^ extra);
  }
  return h;
}

std::string architecture_key(const Architecture& arch) {
  std::string key;
  key.reserve(arch.size() * 3);
  auto append = [&key](int v) {
    char buf[12];
    int n = 0;
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0);
    while (n > 0) key += buf[--n];
  };
  for (size_t k = 0; k < arch.size(); ++k) {
    const DecisionView d = arch[k];
    if (std::is_sorted(d.begin(), d.end())) {
      for (size_t i = 0; i < d.size(); ++i) {
        if (i) key += ',';
        append(d[i]);
      }
    } else {
      std::vector<int> sorted = d.to_vector();
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < sorted.size(); ++i) {
        if (i) key += ',';
        append(sorted[i]);
      }
    }
    key += '|';
  }
  return key;
}

std::vector<Architecture> enumerate_architectures(const SearchSpace& space,
                                                  size_t limit) {
  std::vector<Architecture> out;
  if (space_size(space) > static_cast<double>(limit)) return out;
  std::vector<std::vector<std::vector<int>>> per_choice;
  for (const auto& c : space.choices()) per_choice.push_back(all_decisions(c));
  std::vector<size_t> digit(per_choice.size(), 0);
  while (true) {
    Architecture arch;
    for (size_t i = 0; i < per_choice.size(); ++i)
      arch.push_back(per_choice[i][digit[i]]);
    out.push_back(std::move(arch));
    size_t i = per_choice.size();
    while (i > 0) {
      --i;
      if (++digit[i] < per_choice[i].size()) break;
      digit[i] = 0;
      if (i == 0) return out;
    }
    if (per_choice.empty()) return out;
  }
}

std::vector<Architecture> neighbours(const SearchSpace& space,
                                     const Architecture& arch, size_t limit,
                                     Rng& rng) {
  std::vector<Architecture> out;
  const auto& choices = space.choices();
  for (size_t k = 0; k < choices.size(); ++k) {
    const Choice& c = choices[k];
    if (!can_mutate(c)) continue;
    const std::vector<int> current = arch[k].to_vector();
    auto with = [&](std::vector<int> d) {
      std::sort(d.begin(), d.end());
      Architecture next = arch;
      next.set(k, d);
      out.push_back(std::move(next));
    };
    const int n = static_cast<int>(c.candidates.size());
    if (c.type == ChoiceType::kLayerChoice) {
      for (int v = 0; v < n; ++v) {
        if (v != current[0]) with({v});
      }
      continue;
    }
    std::vector<bool> chosen(static_cast<size_t>(n), false);
    for (int v : current) chosen[static_cast<size_t>(v)] = true;
    for (size_t drop = 0; drop < current.size(); ++drop) {
      for (int v = 0; v < n; ++v) {
        if (chosen[static_cast<size_t>(v)]) continue;
        std::vector<int> d = current;
        d[drop] = v;
        with(d);
      }
    }
    if (c.n_chosen) continue;
    for (int v = 0; v < n; ++v) {
      if (chosen[static_cast<size_t>(v)]) continue;
      std::vector<int> d = current;
      d.push_back(v);
      with(d);
    }
    for (size_t drop = 0; current.size() > 1 && drop < current.size(); ++drop) {
      std::vector<int> d = current;
      d.erase(d.begin() + static_cast<long>(drop));
      with(d);
    }
  }
  if (out.size() > limit) {
    // Partial Fisher-Yates: `limit` of them, uniformly.
    for (size_t i = 0; i < limit; ++i) {
      const size_t j = i + static_cast<size_t>(uniform_index(
                               rng, static_cast<int>(out.size() - i)));
      std::swap(out[i], out[j]);
    }
    out.resize(limit);
  }
  return out;
}

std::optional<Architecture> random_unseen(
    const SearchSpace& space, const std::unordered_set<std::uint64_t>& seen,
    Rng& rng, size_t enumeration_limit) {
  constexpr int kRejectionTries = 64;
  if (static_cast<double>(seen.size()) >= space_size(space))
    return std::nullopt;
  for (int i = 0; i < kRejectionTries; ++i) {
    Architecture arch = random_architecture(space, rng);
    if (!seen.count(architecture_hash(arch))) return arch;
  }
  std::vector<Architecture> unseen;
  for (auto& arch : enumerate_architectures(space, enumeration_limit)) {
    if (!seen.count(architecture_hash(arch))) unseen.push_back(std::move(arch));
  }
  if (unseen.empty()) return std::nullopt;
  return unseen[static_cast<size_t>(uniform_index(
      rng, static_cast<int>(std::min<size_t>(unseen.size(), INT32_MAX))))];
}

}  // namespace tuner
}  // namespace archer
