// Metrics: the pieces of GET /metrics. LatencyHistogram counts durations in a fixed array of
// buckets (no allocation, a few compares per observation: cheap enough for every request and
// every commit on the event loop); MetricsText writes the Prometheus text exposition format
// (version 0.0.4): `# HELP` and `# TYPE` once per family, then its samples, histograms as
// cumulative `_bucket{le="..."}` lines ending with `le="+Inf"`, then `_sum` (seconds) and
// `_count`.
//
// Label values are escaped as the format asks (backslash, double quote, newline), but callers
// pass only values from fixed tables, never text from a request: a family's series stay few.
//
// Threading: none; each object belongs to one thread (the daemon's event loop).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace agor {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets in microseconds, 100 µs to 10 s; slower lands in +Inf only.
  static constexpr std::array<int64_t, 16> kBoundsUs = {
      100,   250,    500,    1000,   2500,    5000,    10000,   25000,
      50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

  // Negative durations (a clock that stepped back) count as 0.
  void Observe(int64_t micros);

  // Observations <= kBoundsUs[i] (cumulative, as the format wants them).
  uint64_t CumulativeCount(size_t i) const;
  uint64_t count() const { return count_; }
  int64_t sum_us() const { return sum_us_; }

 private:
  std::array<uint64_t, kBoundsUs.size()> buckets_{};  // per bucket, not cumulative
  uint64_t count_ = 0;
  int64_t sum_us_ = 0;
};

// One label of a sample: name and value (the value is escaped when written).
using MetricLabel = std::pair<std::string_view, std::string_view>;

class MetricsText {
 public:
  // Starts a family: its `# HELP` and `# TYPE` lines. `type` is counter, gauge or histogram.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, std::initializer_list<MetricLabel> labels, int64_t value);
  void Sample(std::string_view name, int64_t value) { Sample(name, {}, value); }
  // The `_bucket`, `_sum` and `_count` series of one histogram of the family `name`.
  void Histogram(std::string_view name, std::initializer_list<MetricLabel> labels,
                 const LatencyHistogram& h);

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

  // `value` escaped for a label value: \ -> \\, " -> \", newline -> \n.
  static std::string EscapeLabelValue(std::string_view value);

 private:
  // `name{a="x",b="y"` plus `extra` as the last label, then `}` (nothing when no labels).
  void Series(std::string_view name, std::initializer_list<MetricLabel> labels,
              const MetricLabel* extra);

  std::string text_;
};

}  // namespace agor
