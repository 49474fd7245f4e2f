// LatencySamples: every sample of one measurement (nanoseconds), summarized as percentiles in
// milliseconds. Keeps at most max_samples (the rest are counted, not stored) so memory is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/status.h"

namespace agor::bench {

struct LatencySummary {
  size_t count = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  Json ToJson() const;
};

class LatencySamples {
 public:
  explicit LatencySamples(size_t max_samples = 20000000) : max_samples_(max_samples) {}
  void Add(int64_t ns) {
    if (samples_.size() < max_samples_) samples_.push_back(ns < 0 ? 0 : ns);
  }
  void Clear() { samples_.clear(); }
  size_t size() const { return samples_.size(); }
  const std::vector<int64_t>& samples() const { return samples_; }
  // Sorts the samples (they stay stored) and reads the percentiles.
  LatencySummary Summarize();

 private:
  size_t max_samples_;
  std::vector<int64_t> samples_;
};

}  // namespace agor::bench
