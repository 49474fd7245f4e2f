#include "store/log_covers.h"

#include "base/clock.h"

namespace agor {

bool LogCovers(int64_t offset, int64_t first, int64_t last, const Retention& retention,
               int64_t now_ms, const std::function<bool(std::string*)>& next_ts) {
  if (offset < 0 || offset > last) return false;
  if (offset == last) return true;
  if (first == 0 || offset < first - 1) return false;  // pruned already
  if (last - offset > retention.count) return false;   // pruned on the next pass
  if (retention.age_ms <= 0) return true;
  std::string text;
  int64_t ts = 0;
  if (!next_ts(&text) || !ParseIso8601(text, &ts)) return false;
  return ts >= now_ms - retention.age_ms;
}

}  // namespace agor
