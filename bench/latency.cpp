#include "bench/latency.h"

#include <algorithm>
#include <cmath>

namespace agor::bench {
namespace {

double Ms(int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

double Round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

}  // namespace

LatencySummary LatencySamples::Summarize() {
  LatencySummary s;
  s.count = samples_.size();
  if (samples_.empty()) return s;
  std::sort(samples_.begin(), samples_.end());
  auto at = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(s.count)));
    return Ms(samples_[std::min(s.count - 1, rank == 0 ? 0 : rank - 1)]);
  };
  s.p50_ms = at(50);
  s.p90_ms = at(90);
  s.p99_ms = at(99);
  s.max_ms = Ms(samples_.back());
  double sum = 0;
  for (int64_t v : samples_) sum += static_cast<double>(v);
  s.mean_ms = Ms(static_cast<int64_t>(sum / static_cast<double>(s.count)));
  return s;
}

Json LatencySummary::ToJson() const {
  return Json{{"count", count},           {"p50_ms", Round3(p50_ms)}, {"p90_ms", Round3(p90_ms)},
              {"p99_ms", Round3(p99_ms)}, {"max_ms", Round3(max_ms)}, {"mean_ms", Round3(mean_ms)}};
}

}  // namespace agor::bench
