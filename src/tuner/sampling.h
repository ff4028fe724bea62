// Random architectures, one-decision mutations and space arithmetic shared by
// the tuners. Input-choice decisions are kept sorted (a canonical form), so
// equal sets compare equal.
#ifndef ARCHER_TUNER_SAMPLING_H_
#define ARCHER_TUNER_SAMPLING_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "archer/search_space.h"

namespace archer {
namespace tuner {

using Rng = std::mt19937_64;

// Uniform integer in [0, n). REQUIRES: n > 0.
int uniform_index(Rng& rng, int n);

// A uniformly random valid decision: one index for a layer choice; `n_chosen`
// distinct sorted indices for an input choice; a uniformly random non-empty
// subset when n_chosen is null.
std::vector<int> random_decision(const Choice& choice, Rng& rng);
// The same, written into `out` (its capacity is reused).
void random_decision_into(const Choice& choice, Rng& rng,
                          std::vector<int>& out);
Architecture random_architecture(const SearchSpace& space, Rng& rng);

// Number of valid decisions of a choice / architectures of a space (as a
// double: exact up to 2^53, +inf beyond).
double decision_count(const Choice& choice);
double space_size(const SearchSpace& space);

// True if the choice has more than one valid decision.
bool can_mutate(const Choice& choice);
// A valid decision different from `current` that differs by one move: another
// op for a layer choice; for an input choice one chosen input swapped for an
// unchosen one (with n_chosen null also adding or removing one input, never
// leaving it empty). REQUIRES: can_mutate(choice).
std::vector<int> mutate_decision(const Choice& choice,
                                 const std::vector<int>& current, Rng& rng);
// Indices of the choices for which can_mutate() holds.
std::vector<size_t> mutable_choices(const SearchSpace& space);
// Changes exactly one decision (uniform over `choices`, normally
// mutable_choices(space)). Returns false, leaving `arch` unchanged, if
// `choices` is empty.
bool mutate(const SearchSpace& space, const std::vector<size_t>& choices,
            Architecture& arch, Rng& rng);

// Every architecture one move (as mutate_decision() defines it) away from
// `arch`, in choice order; if there are more than `limit`, `limit` of them
// drawn without replacement.
std::vector<Architecture> neighbours(const SearchSpace& space,
                                     const Architecture& arch, size_t limit,
                                     Rng& rng);

// A 64-bit hash of the canonical form (input decisions as sets). Used for
// de-duplication: two different architectures collide with probability ~2^-64
// per pair.
std::uint64_t architecture_hash(const Architecture& arch);

// Canonical text of an architecture ("1|0,2|..."), for hashing and
// de-duplication.
std::string architecture_key(const Architecture& arch);

// Every architecture of the space, in a fixed order. REQUIRES:
// space_size(space) <= limit.
std::vector<Architecture> enumerate_architectures(const SearchSpace& space,
                                                  size_t limit);

// A uniformly random architecture whose architecture_hash() is not in `seen`:
// rejection sampling, then (nearly exhausted) a draw among the unseen ones of
// a space of at most `enumeration_limit` architectures. nullopt if none is
// left or none was found in a space too large to enumerate.
std::optional<Architecture> random_unseen(
    const SearchSpace& space, const std::unordered_set<std::uint64_t>& seen,
    Rng& rng, size_t enumeration_limit = 2'000'000);

}  // namespace tuner
}  // namespace archer

#endif  // ARCHER_TUNER_SAMPLING_H_
