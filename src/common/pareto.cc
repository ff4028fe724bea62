#include "common/pareto.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace archer {
namespace pareto {

bool dominates(const Point& a, const Point& b) {
  bool better = false;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] < b[i]) return false;
    if (a[i] > b[i]) better = true;
  }
  return better;
}

std::vector<int> ranks(const std::vector<Point>& points) {
  const size_t n = points.size();
  std::vector<int> rank(n, -1);
  std::vector<int> dominated_by(n, 0);
  std::vector<std::vector<size_t>> dominating(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (dominates(points[i], points[j])) {
        dominating[i].push_back(j);
        ++dominated_by[j];
      } else if (dominates(points[j], points[i])) {
        dominating[j].push_back(i);
        ++dominated_by[i];
      }
    }
  }
  std::vector<size_t> current;
  for (size_t i = 0; i < n; ++i) {
    if (dominated_by[i] == 0) current.push_back(i);
  }
  for (int r = 0; !current.empty(); ++r) {
    std::vector<size_t> next;
    for (size_t i : current) {
      rank[i] = r;
      for (size_t j : dominating[i]) {
        if (--dominated_by[j] == 0) next.push_back(j);
      }
    }
    current = std::move(next);
  }
  return rank;
}

std::vector<size_t> front(const std::vector<Point>& points) {
  const std::vector<int> r = ranks(points);
  std::vector<size_t> out;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] == 0) out.push_back(i);
  }
  return out;
}

std::vector<double> crowding(const std::vector<Point>& points,
                             const std::vector<int>& rank) {
  const size_t n = points.size();
  std::vector<double> d(n, 0);
  if (n == 0) return d;
  const size_t k = points[0].size();
  const int max_rank = *std::max_element(rank.begin(), rank.end());
  const double inf = std::numeric_limits<double>::infinity();
  for (int r = 0; r <= max_rank; ++r) {
    std::vector<size_t> members;
    for (size_t i = 0; i < n; ++i) {
      if (rank[i] == r) members.push_back(i);
    }
    if (members.size() < 2) {
      for (size_t i : members) d[i] = inf;
      continue;
    }
    for (size_t m = 0; m < k; ++m) {
      std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
        return points[a][m] < points[b][m] ||
               (points[a][m] == points[b][m] && a < b);
      });
      const double lo = points[members.front()][m];
      const double hi = points[members.back()][m];
      d[members.front()] = d[members.back()] = inf;
      if (hi <= lo) continue;
      for (size_t i = 1; i + 1 < members.size(); ++i) {
        d[members[i]] +=
            (points[members[i + 1]][m] - points[members[i - 1]][m]) / (hi - lo);
      }
    }
  }
  return d;
}

namespace {

// Points all strictly better than `ref` in the first `k` objectives.
double slice_volume(std::vector<Point> pts, const Point& ref, size_t k) {
  if (pts.empty()) return 0;
  if (k == 1) {
    double best = ref[0];
    for (const auto& p : pts) best = std::max(best, p[0]);
    return best - ref[0];
  }
  // Sweep the last objective from the best down: between two consecutive
  // values, the slice is the (k-1)-volume of the points at or above it.
  const size_t m = k - 1;
  std::sort(pts.begin(), pts.end(),
            [m](const Point& a, const Point& b) { return a[m] > b[m]; });
  double volume = 0;
  std::vector<Point> above;
  for (size_t i = 0; i < pts.size(); ++i) {
    above.push_back(pts[i]);
    const double lower = i + 1 < pts.size() ? pts[i + 1][m] : ref[m];
    const double height = pts[i][m] - lower;
    if (height <= 0) continue;
    // Only the non-dominated ones matter for the slice.
    std::vector<Point> reduced;
    for (const auto& p : above)
      reduced.push_back(Point(p.begin(), p.begin() + static_cast<long>(m)));
    std::vector<Point> nd;
    for (size_t f : front(reduced)) nd.push_back(reduced[f]);
    volume += height * slice_volume(nd, ref, m);
  }
  return volume;
}

}  // namespace

double hypervolume(const std::vector<Point>& points, const Point& reference) {
  std::vector<Point> useful;
  for (const auto& p : points) {
    bool beats = p.size() == reference.size();
    for (size_t i = 0; beats && i < p.size(); ++i) beats = p[i] > reference[i];
    if (beats) useful.push_back(p);
  }
  if (useful.empty()) return 0;
  std::vector<Point> nd;
  for (size_t f : front(useful)) nd.push_back(useful[f]);
  // Equal points count once.
  std::sort(nd.begin(), nd.end());
  nd.erase(std::unique(nd.begin(), nd.end()), nd.end());
  return slice_volume(nd, reference, reference.size());
}

}  // namespace pareto
}  // namespace archer
