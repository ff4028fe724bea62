#include "common/edit_distance.h"

#include <algorithm>
#include <cctype>

namespace archer {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& word,
                         const std::vector<std::string>& candidates) {
  auto lower = [](std::string s) {
    for (char& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string w = lower(word);
  size_t best = std::max<size_t>(2, word.size() / 3) + 1;
  std::string best_name;
  for (const auto& c : candidates) {
    size_t d = edit_distance(w, lower(c));
    if (d < best) {
      best = d;
      best_name = c;
    }
  }
  return best_name.empty() ? "" : " (did you mean '" + best_name + "'?)";
}

}  // namespace archer
