#include "cmd/suggest.h"

#include <algorithm>

namespace agor {

size_t EditDistance(const std::string& a, const std::string& b) {
  // d[i][j]: distance between a's first i bytes and b's first j bytes.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      bool swapped = i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1];
      if (swapped) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

namespace {

// The edits a typo of `candidate` may have; 0 means "only a prefix counts".
size_t Allowed(const std::string& candidate) {
  size_t allowed = candidate.size() <= 4 ? 1 : 2;
  return std::min(allowed, candidate.size() - 1);
}

}  // namespace

std::string ClosestName(const std::string& typed, const std::vector<std::string>& candidates) {
  // Very long input is no typo of a command name; this also bounds the table above.
  if (typed.empty() || typed.size() > 64) return "";
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& candidate : candidates) {
    size_t distance = EditDistance(typed, candidate);
    bool prefix = typed.size() >= 2 && candidate.compare(0, typed.size(), typed) == 0;
    if (prefix) distance = std::min<size_t>(distance, 1);
    if (distance <= Allowed(candidate) || prefix) {
      if (distance < best_distance) {
        best = candidate;
        best_distance = distance;
      }
    }
  }
  return best;
}

std::string DidYouMean(const std::string& typed, const std::vector<std::string>& candidates) {
  std::string closest = ClosestName(typed, candidates);
  return closest.empty() ? "" : ": did you mean '" + closest + "'?";
}

}  // namespace agor
