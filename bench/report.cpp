#include "bench/report.h"

#include <algorithm>
#include <cmath>

namespace agor::bench {
namespace {

int Slot(ServerKind server) {
  return server == ServerKind::kAgor ? 0 : 1;
}

std::string Cell(bool has, double value) {
  return has ? FormatValue(value) : "-";
}

std::string Ratio(const double* value, const bool* has) {
  if (!has[0] || !has[1] || value[1] == 0) return "-";
  return FormatValue(value[0] / value[1]);
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

void Report::PrintTable(FILE* out) const {
  size_t width = 6;
  for (const Row& row : rows_) width = std::max(width, row.figure.size());
  int w = static_cast<int>(width);
  fprintf(out, "%-*s  %12s  %12s  %10s\n", w, "figure", "agor", "peer", "agor/peer");
  fprintf(out, "%s\n", std::string(width + 42, '-').c_str());
  for (const Row& row : rows_) {
    fprintf(out, "%-*s  %12s  %12s  %10s\n", w, row.figure.c_str(),
            Cell(row.has[0], row.value[0]).c_str(), Cell(row.has[1], row.value[1]).c_str(),
            Ratio(row.value, row.has).c_str());
  }
  for (const std::string& f : failures_) fprintf(out, "FAILED: %s\n", f.c_str());
}

Json Report::ToJson(const Json& meta) const {
  Json table = Json::array();
  for (const Row& row : rows_) {
    Json r{{"figure", row.figure}};
    r["agor"] = row.has[0] ? Json(row.value[0]) : Json(nullptr);
    r["peer"] = row.has[1] ? Json(row.value[1]) : Json(nullptr);
    r["ratio"] = row.has[0] && row.has[1] && row.value[1] != 0 ? Json(row.value[0] / row.value[1])
                                                               : Json(nullptr);
    table.push_back(std::move(r));
  }
  return Json{{"meta", meta}, {"table", table}, {"scenarios", scenarios_}, {"failures", failures_}};
}

}  // namespace agor::bench
