// Pareto dominance, non-dominated sorting, crowding distance and the
// hypervolume, for multi-objective search. Every point is a vector of values
// to MAXIMISE (a minimised objective is negated first: pareto::oriented).
#ifndef ARCHER_COMMON_PARETO_H_
#define ARCHER_COMMON_PARETO_H_

#include <cstddef>
#include <vector>

namespace archer {
namespace pareto {

using Point = std::vector<double>;

// a is at least as good as b everywhere and better somewhere.
bool dominates(const Point& a, const Point& b);

// The non-dominated fronts (Deb et al. 2002): rank[i] = 0 for the points no
// other point dominates, 1 for those only rank-0 points dominate, ...
// O(n^2 k). Equal points share a rank.
std::vector<int> ranks(const std::vector<Point>& points);

// The indices of the rank-0 points, in input order.
std::vector<size_t> front(const std::vector<Point>& points);

// NSGA-II's crowding distance of each point within its own rank (infinite for
// a front's extremes, 0 for a front of one or two equal points).
std::vector<double> crowding(const std::vector<Point>& points,
                             const std::vector<int>& ranks);

// The volume dominated by `points` and bounded by `reference` (a point every
// useful point beats in every objective; points that do not are ignored).
// Exact for any number of objectives (slicing; fine for fronts of hundreds of
// points in 2-4 objectives).
double hypervolume(const std::vector<Point>& points, const Point& reference);

}  // namespace pareto
}  // namespace archer

#endif  // ARCHER_COMMON_PARETO_H_
