#include "base/metrics.h"

namespace agor {
namespace {

// Microseconds as exact decimal seconds ("0.00025", "2.5", "10"): no float rounding, so
// bucket bounds read the same in every scrape.
std::string SecondsText(int64_t us) {
  std::string out = std::to_string(us / 1000000);
  int64_t frac = us % 1000000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 6 - digits.size(), '0');
  digits.erase(digits.find_last_not_of('0') + 1);
  return out + "." + digits;
}

// HELP text escapes only backslash and newline (the format's rule for it).
void AppendHelp(std::string* out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

}  // namespace

void LatencyHistogram::Observe(int64_t micros) {
  if (micros < 0) micros = 0;
  ++count_;
  sum_us_ += micros;
  for (size_t i = 0; i < kBoundsUs.size(); ++i) {
    if (micros <= kBoundsUs[i]) {
      ++buckets_[i];
      return;
    }
  }
  // Slower than the last bound: only count_ (the +Inf bucket) holds it.
}

uint64_t LatencyHistogram::CumulativeCount(size_t i) const {
  uint64_t total = 0;
  for (size_t b = 0; b <= i && b < buckets_.size(); ++b) total += buckets_[b];
  return total;
}

std::string MetricsText::EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsText::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).append(" ");
  AppendHelp(&text_, help);
  text_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void MetricsText::Series(std::string_view name, std::initializer_list<MetricLabel> labels,
                         const MetricLabel* extra) {
  text_.append(name);
  if (labels.size() == 0 && !extra) return;
  char sep = '{';
  auto add = [&](const MetricLabel& l) {
    text_.append(1, sep).append(l.first).append("=\"");
    text_.append(EscapeLabelValue(l.second)).append("\"");
    sep = ',';
  };
  for (const MetricLabel& l : labels) add(l);
  if (extra) add(*extra);
  text_.append("}");
}

void MetricsText::Sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         int64_t value) {
  Series(name, labels, nullptr);
  text_.append(" ").append(std::to_string(value)).append("\n");
}

void MetricsText::Histogram(std::string_view name, std::initializer_list<MetricLabel> labels,
                            const LatencyHistogram& h) {
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < LatencyHistogram::kBoundsUs.size(); ++i) {
    std::string le = SecondsText(LatencyHistogram::kBoundsUs[i]);
    MetricLabel extra{"le", le};
    Series(bucket, labels, &extra);
    text_.append(" ").append(std::to_string(h.CumulativeCount(i))).append("\n");
  }
  MetricLabel inf{"le", "+Inf"};
  Series(bucket, labels, &inf);
  text_.append(" ").append(std::to_string(h.count())).append("\n");
  Series(std::string(name) + "_sum", labels, nullptr);
  text_.append(" ").append(SecondsText(h.sum_us())).append("\n");
  Series(std::string(name) + "_count", labels, nullptr);
  text_.append(" ").append(std::to_string(h.count())).append("\n");
}

}  // namespace agor
