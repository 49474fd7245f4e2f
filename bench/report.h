// Report: the benchmark's results. Table rows (a figure, its value for agor and for the peer,
// the ratio agor/peer; with --nodes also the value for agor's nodes and the ratio nodes/agor,
// the one-node run) print as one table; every run's full detail goes to the JSON file; failed
// checks (missing events, failed connections) are listed and make the exit status 1.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bench/server_process.h"

namespace agor::bench {

class Report {
 public:
  // Sets the value of a table row for one server; rows keep their first-insertion order.
  // figure names the unit, e.g. "fanout 200c max: server CPU per event (us)".
  void Set(const std::string& figure, ServerKind server, double value);
  // Places a row (no values yet) so that a figure only a later run sets keeps its place.
  void Reserve(const std::string& figure) { FindRow(figure); }
  // Adds one run's detail under scenarios.<scenario>.<server>[] in the JSON.
  void AddRun(const std::string& scenario, ServerKind server, Json run);
  // Records a check; a false one is printed at once and fails the benchmark.
  void Check(bool ok, const std::string& what);
  bool ok() const { return failures_.empty(); }
  // The header of the nodes column, e.g. "agor 3 nodes".
  void set_nodes_label(std::string label) { nodes_label_ = std::move(label); }

  void PrintTable(FILE* out) const;
  // {"meta": meta, "table": [...], "scenarios": {...}, "failures": [...]}
  Json ToJson(const Json& meta) const;

 private:
  struct Row {
    std::string figure;
    bool has[3] = {false, false, false};  // indexed by ServerKind
    double value[3] = {0, 0, 0};
  };
  Row* FindRow(const std::string& figure);
  bool HasNodes() const;

  std::vector<Row> rows_;
  Json scenarios_ = Json::object();
  std::vector<std::string> failures_;
  std::string nodes_label_ = "nodes";
};

// A number as the table shows it: 4 significant digits, no exponent below 1e9.
std::string FormatValue(double value);

}  // namespace agor::bench
