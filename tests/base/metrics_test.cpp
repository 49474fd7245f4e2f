// The Prometheus text format as MetricsText writes it, read back line by line: families,
// cumulative histogram buckets ending in +Inf, _sum in seconds and _count, escaped labels.
#include "base/metrics.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/stats.h"

namespace agor {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The value of the sample line that starts with `series` followed by a space.
std::string ValueOf(const std::string& text, const std::string& series) {
  for (const auto& line : Lines(text)) {
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("metrics: a family has HELP and TYPE lines, then its samples", "[metrics]") {
  MetricsText out;
  out.Family("agor_x_total", "counter", "Things counted.\nSecond line, a \\ backslash.");
  out.Sample("agor_x_total", 42);
  out.Sample("agor_x_total", {{"kind", "a"}, {"side", "b"}}, -3);
  CHECK(Lines(out.text()) ==
        std::vector<std::string>{
            R"(# HELP agor_x_total Things counted.\nSecond line, a \\ backslash.)",
            "# TYPE agor_x_total counter",
            "agor_x_total 42",
            R"(agor_x_total{kind="a",side="b"} -3)",
        });
}

TEST_CASE("metrics: label values escape backslash, quote and newline", "[metrics]") {
  CHECK(MetricsText::EscapeLabelValue(R"(a\b"c)"
                                      "\n"
                                      "d") == R"(a\\b\"c\nd)");
  MetricsText out;
  out.Sample("m", {{"path", "x\"}\ny"}}, 1);
  CHECK(out.text() == "m{path=\"x\\\"}\\ny\"} 1\n");
}

TEST_CASE("metrics: histogram buckets are cumulative and end with +Inf", "[metrics]") {
  LatencyHistogram h;
  h.Observe(50);        // <= 100 us
  h.Observe(100);       // the bound itself belongs to its bucket
  h.Observe(101);       // <= 250 us
  h.Observe(3000);      // <= 5 ms
  h.Observe(20000000);  // 20 s: past every bound, +Inf only
  h.Observe(-5);        // a clock that stepped back counts as 0
  MetricsText out;
  out.Family("agor_t_seconds", "histogram", "Times.");
  out.Histogram("agor_t_seconds", {{"method", "GET"}}, h);
  const std::string& t = out.text();
  CHECK(ValueOf(t, R"(agor_t_seconds_bucket{method="GET",le="0.0001"})") == "3");
  CHECK(ValueOf(t, R"(agor_t_seconds_bucket{method="GET",le="0.00025"})") == "4");
  CHECK(ValueOf(t, R"(agor_t_seconds_bucket{method="GET",le="0.0025"})") == "4");
  CHECK(ValueOf(t, R"(agor_t_seconds_bucket{method="GET",le="0.005"})") == "5");
  CHECK(ValueOf(t, R"(agor_t_seconds_bucket{method="GET",le="10"})") == "5");
  CHECK(ValueOf(t, R"(agor_t_seconds_bucket{method="GET",le="+Inf"})") == "6");
  CHECK(ValueOf(t, R"(agor_t_seconds_sum{method="GET"})") == "20.003251");
  CHECK(ValueOf(t, R"(agor_t_seconds_count{method="GET"})") == "6");

  // Every bucket line, in order, never decreasing, the last one +Inf.
  std::vector<std::string> buckets;
  for (const auto& line : Lines(t)) {
    if (line.rfind("agor_t_seconds_bucket", 0) == 0) buckets.push_back(line);
  }
  REQUIRE(buckets.size() == LatencyHistogram::kBoundsUs.size() + 1);
  CHECK(buckets.back().find("le=\"+Inf\"") != std::string::npos);
  long previous = 0;
  for (const auto& line : buckets) {
    long n = std::stol(line.substr(line.rfind(' ') + 1));
    CHECK(n >= previous);
    previous = n;
  }
}

TEST_CASE("metrics: a histogram without labels has only le on its buckets", "[metrics]") {
  LatencyHistogram h;
  MetricsText out;
  out.Histogram("c", {}, h);
  CHECK(ValueOf(out.text(), R"(c_bucket{le="1"})") == "0");
  CHECK(ValueOf(out.text(), R"(c_bucket{le="+Inf"})") == "0");
  CHECK(ValueOf(out.text(), "c_sum") == "0");
  CHECK(ValueOf(out.text(), "c_count") == "0");
}

TEST_CASE("metrics: names outside a label table fall into its last entry", "[metrics]") {
  CHECK(kHttpMethodNames[MetricIndex(kHttpMethodNames, "PATCH")] == std::string("PATCH"));
  CHECK(kHttpMethodNames[MetricIndex(kHttpMethodNames, "BREW\x1b[31m")] == std::string("other"));
  CHECK(kCallMethodNames[MetricIndex(kCallMethodNames, "create")] == std::string("create"));
  CHECK(kCallMethodNames[MetricIndex(kCallMethodNames, "")] == std::string("other"));
  // "other" itself is not a name a client can pick to land elsewhere.
  CHECK(MetricIndex(kCallMethodNames, "other") == kCallMethods - 1);
}

}  // namespace agor
