// The layer rules of DESIGN.md (Layout), checked against every source's #include lines: a
// layer may include itself and the layers listed for it, nothing else. CMake links each layer
// to the same list, so a new arrow shows up here with the file and line to blame.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Layer of a path relative to the source root ("server/wire/ws_frame.h" -> "server/wire"); the
// composition root server/node.* is its own layer, cmd/client belongs to cmd; tests/support
// (the real servers tests start) is a layer of its own.
std::string LayerOf(const std::string& path) {
  if (path.rfind("tests/support/", 0) == 0) return "tests/support";
  if (path.rfind("server/", 0) == 0) {
    size_t slash = path.find('/', 7);
    return slash == std::string::npos ? "server/node" : path.substr(0, slash);
  }
  return path.substr(0, path.find('/'));
}

const std::map<std::string, std::set<std::string>>& Rules() {
  static const std::map<std::string, std::set<std::string>> rules = {
      {"base", {}},
      {"store", {"base"}},
      {"server/wire", {"base"}},
      {"server/net", {"server/wire", "base"}},
      {"server/realtime", {"server/net", "server/wire", "store", "base"}},
      {"server/api", {"store", "server/wire", "base"}},
      {"server/agents", {"store", "base"}},
      {"server/node",
       {"server/wire", "server/net", "server/realtime", "server/api", "server/agents", "store",
        "base"}},
      {"cmd", {"server/wire", "server/node", "base"}},
      // The benchmark starts PostgreSQL and Redis for --nodes as the tests do.
      {"bench", {"server/wire", "base", "tests/support"}},
  };
  return rules;
}

struct Arrow {
  std::string file;
  int line;
  std::string target;
};

// Project includes (quoted, with a folder) of one file.
std::vector<Arrow> IncludesOf(const fs::path& root, const fs::path& file) {
  std::vector<Arrow> out;
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string prefix = "#include \"";
    if (line.rfind(prefix, 0) != 0) continue;
    std::string target = line.substr(prefix.size(), line.find('"', prefix.size()) - prefix.size());
    if (target.find('/') == std::string::npos) continue;
    out.push_back({fs::relative(file, root).string(), n, target});
  }
  return out;
}

std::vector<Arrow> AllArrows(const fs::path& root) {
  std::vector<Arrow> arrows;
  for (const char* top : {"base", "store", "server", "cmd", "bench"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp") continue;
      for (Arrow& a : IncludesOf(root, entry.path())) arrows.push_back(std::move(a));
    }
  }
  return arrows;
}

}  // namespace

TEST_CASE("every #include follows the layer rules") {
  fs::path root = AGOR_SOURCE_DIR;
  std::vector<Arrow> arrows = AllArrows(root);
  REQUIRE(arrows.size() > 100);  // the tree was found
  for (const Arrow& a : arrows) {
    std::string from = LayerOf(a.file), to = LayerOf(a.target);
    auto rule = Rules().find(from);
    INFO(a.file << ":" << a.line << " includes " << a.target);
    REQUIRE(rule != Rules().end());
    CHECK((from == to || rule->second.count(to) == 1));
  }
}

TEST_CASE("the layer rules see a forbidden arrow") {
  CHECK(LayerOf("server/wire/ws_frame.h") == "server/wire");
  CHECK(LayerOf("server/node.cpp") == "server/node");
  CHECK(LayerOf("cmd/client/rest_client.h") == "cmd");
  CHECK(Rules().at("store").count("server/wire") == 0);
  CHECK(Rules().at("server/agents").count("server/realtime") == 0);
  CHECK(LayerOf("tests/support/redis_server.h") == "tests/support");
  CHECK(Rules().at("bench").count("store") == 0);
}
