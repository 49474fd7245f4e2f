#include "bench/report.h"

#include <algorithm>
#include <cmath>

namespace agor::bench {
namespace {

int Slot(ServerKind server) {
  return static_cast<int>(server);
}

std::string Cell(bool has, double value) {
  return has ? FormatValue(value) : "-";
}

// value[a] / value[b], or null when either is missing or b is 0.
Json RatioOf(const double* value, const bool* has, int a, int b) {
  if (!has[a] || !has[b] || value[b] == 0) return Json(nullptr);
  return Json(value[a] / value[b]);
}

std::string Ratio(const double* value, const bool* has, int a, int b) {
  Json r = RatioOf(value, has, a, b);
  return r.is_null() ? "-" : FormatValue(r.get<double>());
}

Json ValueOf(const double* value, const bool* has, int slot) {
  return has[slot] ? Json(value[slot]) : Json(nullptr);
}

}  // namespace

std::string FormatValue(double value) {
  char buf[64];
  double magnitude = std::fabs(value);
  if (magnitude >= 1000 || value == std::floor(value)) {
    snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    int decimals = magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : magnitude >= 1 ? 3 : 4;
    snprintf(buf, sizeof buf, "%.*f", decimals, value);
  }
  return buf;
}

Report::Row* Report::FindRow(const std::string& figure) {
  for (Row& row : rows_) {
    if (row.figure == figure) return &row;
  }
  rows_.push_back(Row{figure});
  return &rows_.back();
}

void Report::Set(const std::string& figure, ServerKind server, double value) {
  Row* row = FindRow(figure);
  row->has[Slot(server)] = true;
  row->value[Slot(server)] = value;
}

void Report::AddRun(const std::string& scenario, ServerKind server, Json run) {
  scenarios_[scenario][ServerName(server)].push_back(std::move(run));
}

void Report::Check(bool ok, const std::string& what) {
  if (ok) return;
  fprintf(stderr, "agor_bench: CHECK FAILED: %s\n", what.c_str());
  failures_.push_back(what);
}

bool Report::HasNodes() const {
  return std::any_of(rows_.begin(), rows_.end(), [](const Row& r) { return r.has[2]; });
}

// The nodes columns (value, nodes/agor) only when some row has a nodes value.
void Report::PrintTable(FILE* out) const {
  size_t width = 6;
  for (const Row& row : rows_) width = std::max(width, row.figure.size());
  int w = static_cast<int>(width);
  bool nodes = HasNodes();
  fprintf(out, "%-*s  %12s  %12s  %10s", w, "figure", "agor", "peer", "agor/peer");
  if (nodes) fprintf(out, "  %14s  %10s", nodes_label_.c_str(), "nodes/agor");
  fprintf(out, "\n%s\n", std::string(width + 42 + (nodes ? 28 : 0), '-').c_str());
  for (const Row& row : rows_) {
    fprintf(out, "%-*s  %12s  %12s  %10s", w, row.figure.c_str(),
            Cell(row.has[0], row.value[0]).c_str(), Cell(row.has[1], row.value[1]).c_str(),
            Ratio(row.value, row.has, 0, 1).c_str());
    if (nodes) {
      fprintf(out, "  %14s  %10s", Cell(row.has[2], row.value[2]).c_str(),
              Ratio(row.value, row.has, 2, 0).c_str());
    }
    fprintf(out, "\n");
  }
  for (const std::string& f : failures_) fprintf(out, "FAILED: %s\n", f.c_str());
}

Json Report::ToJson(const Json& meta) const {
  Json table = Json::array();
  for (const Row& row : rows_) {
    table.push_back(Json{{"figure", row.figure},
                         {"agor", ValueOf(row.value, row.has, 0)},
                         {"peer", ValueOf(row.value, row.has, 1)},
                         {"ratio", RatioOf(row.value, row.has, 0, 1)},
                         {"nodes", ValueOf(row.value, row.has, 2)},
                         {"nodes_ratio", RatioOf(row.value, row.has, 2, 0)}});
  }
  return Json{{"meta", meta}, {"table", table}, {"scenarios", scenarios_}, {"failures", failures_}};
}

}  // namespace agor::bench
