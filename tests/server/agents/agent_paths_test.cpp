// Tests of server/agents/agent_paths over a described file system (FakeFs): the local_path
// rule of repos, the agents' working directory, the execvp-like lookup of an executable and
// the task error that names what was wrong; and base/file_system's real implementation.
#include "server/agents/agent_paths.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

namespace agor {
namespace {

using Kind = FileInfo::Kind;
using Problem = Executable::Problem;

class FakeFs : public FileSystem {
 public:
  std::map<std::string, FileInfo> files;
  std::string cwd = "/home/me";

  FileInfo Probe(const std::string& path) override {
    auto it = files.find(path);
    return it == files.end() ? FileInfo{} : it->second;
  }
  std::string CurrentDirectory() override { return cwd; }

  void Dir(const std::string& path) { files[path] = {Kind::kDirectory, true, ""}; }
  void File(const std::string& path, bool executable) {
    files[path] = {Kind::kRegular, executable, ""};
  }
};

Status Check(const AgentPaths& paths, const Json& local_path) {
  return paths.CheckLocalPath(Json{{"slug", "r"}, {"local_path", local_path}});
}

TEST_CASE("local_path: an absolute path to an existing directory, or a 400 naming the field") {
  FakeFs fs;
  fs.Dir("/src/app");
  fs.File("/src/notes.txt", false);
  fs.files["/secret/x"] = {Kind::kUnreadable, false, "Permission denied"};
  AgentPaths paths(&fs, "/data");
  CHECK(Check(paths, "/src/app").ok());
  struct Case {
    Json value;
    std::string message;
  } refused[] = {
      {"src/app", "local_path must be an absolute path: 'src/app' is relative"},
      {"", "local_path must be an absolute path: '' is relative"},
      {"/src/gone", "local_path '/src/gone' does not exist"},
      {"/src/notes.txt", "local_path '/src/notes.txt' is not a directory"},
      {"/secret/x", "local_path '/secret/x' cannot be checked: Permission denied"},
      {std::string("/src/app\0/x", 11), "local_path must not contain a NUL byte"},
  };
  for (const Case& c : refused) {
    Status s = Check(paths, c.value);
    CHECK(s.code() == Code::kBadRequest);
    CHECK(s.message() == c.message);
    CHECK(s.data() == Json{{"field", "local_path"}});
  }
  // Left to the store: no local_path, null (clears it), another type (the store's 400).
  CHECK(paths.CheckLocalPath(Json{{"slug", "r"}}).ok());
  CHECK(Check(paths, nullptr).ok());
  CHECK(Check(paths, 5).ok());
  CHECK(paths.CheckLocalPath(Json::array()).ok());
}

TEST_CASE("agents' default directory: the flag, else the database's folder") {
  FakeFs fs;
  fs.Dir("/home/me/agents");
  std::string dir;
  REQUIRE(AgentPaths::DefaultDirectory(&fs, "/var/agor/agor.db", "", &dir).ok());
  CHECK(dir == "/var/agor");
  REQUIRE(AgentPaths::DefaultDirectory(&fs, "data/agor.db", "", &dir).ok());
  CHECK(dir == "/home/me/data");
  REQUIRE(AgentPaths::DefaultDirectory(&fs, "agor.db", "", &dir).ok());
  CHECK(dir == "/home/me");
  REQUIRE(AgentPaths::DefaultDirectory(&fs, "/agor.db", "", &dir).ok());
  CHECK(dir == "/");
  REQUIRE(AgentPaths::DefaultDirectory(&fs, ":memory:", "", &dir).ok());
  CHECK(dir == "/home/me");
  REQUIRE(AgentPaths::DefaultDirectory(&fs, ":memory:", "agents", &dir).ok());
  CHECK(dir == "/home/me/agents");
  Status s = AgentPaths::DefaultDirectory(&fs, ":memory:", "/nope", &dir);
  CHECK(s.message() == "the agents' working directory '/nope' does not exist");
}

TEST_CASE("executables: a bare name is looked up in PATH like execvp") {
  FakeFs fs;
  fs.File("/a/tool", false);
  fs.File("/b/tool", true);
  fs.Dir("/c/tool");
  fs.File("/w/rel/tool2", true);
  fs.File("/b/only-a", false);
  AgentPaths paths(&fs, "/d");
  Executable found = paths.FindExecutable("tool", "/w", "/a:/b");
  CHECK(found.problem == Problem::kNone);
  CHECK(found.path == "/b/tool");  // the first EXECUTABLE one, as execvp
  found = paths.FindExecutable("tool", "/w", "/a:/c");
  CHECK(found.problem == Problem::kNotExecutable);  // the first problem explains it
  CHECK(found.path == "/a/tool");
  found = paths.FindExecutable("tool", "/w", "/c:/a");
  CHECK(found.problem == Problem::kDirectory);
  found = paths.FindExecutable("tool2", "/w", "::rel");  // empty entries are not "."
  CHECK(found.problem == Problem::kNone);
  CHECK(found.path == "/w/rel/tool2");
  CHECK(paths.FindExecutable("tool2", "/w", "").problem == Problem::kNotFound);
  found = paths.FindExecutable("missing", "/w", "/a:/b");
  CHECK(found.problem == Problem::kNotFound);
  CHECK(found.path.empty());
  CHECK(paths.FindExecutable("", "/w", "/a:/b").problem == Problem::kNotFound);
}

TEST_CASE("executables: a path with a slash is resolved against the working directory") {
  FakeFs fs;
  fs.File("/repo/bin/agent", true);
  fs.File("/repo/bin/notes", false);
  fs.Dir("/repo/bin");
  AgentPaths paths(&fs, "/d");
  Executable found = paths.FindExecutable("./bin/agent", "/repo", "/usr/bin");
  CHECK(found.problem == Problem::kNone);
  CHECK(found.path == "/repo/bin/agent");
  CHECK(paths.FindExecutable("bin/agent", "/repo", "").path == "/repo/bin/agent");
  CHECK(paths.FindExecutable("/repo/bin/agent", "/elsewhere", "").problem == Problem::kNone);
  CHECK(paths.FindExecutable("./bin/agent", "/elsewhere", "").problem == Problem::kNotFound);
  CHECK(paths.FindExecutable("./bin/notes", "/repo", "").problem == Problem::kNotExecutable);
  CHECK(paths.FindExecutable("./bin", "/repo", "").problem == Problem::kDirectory);
}

TEST_CASE("executables: the task error says what was wrong") {
  auto error = [](const std::string& tool, const std::string& name, Problem p,
                  const std::string& path) {
    return ExecutableError(tool, name, Executable{p, path, "Permission denied"});
  };
  CHECK(error("claude-code", "claude", Problem::kNotFound, "") ==
        "claude-code: 'claude' not found on PATH (set AGOR_CLAUDE_BIN)");
  CHECK(error("codex", "codex", Problem::kNotFound, "") ==
        "codex: 'codex' not found on PATH (set AGOR_CODEX_BIN)");
  CHECK(error("command", "mytool", Problem::kNotFound, "") ==
        "command: 'mytool' not found on PATH");
  CHECK(error("command", "mytool", Problem::kNotExecutable, "/usr/bin/mytool") ==
        "command: 'mytool' is not executable (/usr/bin/mytool)");
  CHECK(error("command", "./run.sh", Problem::kNotFound, "/repo/run.sh") ==
        "command: './run.sh' not found (/repo/run.sh)");
  CHECK(error("gemini", "/opt/gemini", Problem::kNotFound, "/opt/gemini") ==
        "gemini: '/opt/gemini' not found");
  CHECK(error("command", "./bin", Problem::kDirectory, "/repo/bin") ==
        "command: './bin' is a directory (/repo/bin)");
  CHECK(error("command", "/x/y", Problem::kUnreadable, "/x/y") ==
        "command: '/x/y' cannot be checked: Permission denied");
  CHECK(error("claude-code", "/opt/\xff", Problem::kNotFound, "/opt/\xff") ==
        "claude-code: '/opt/\xEF\xBF\xBD' not found");
}

TEST_CASE("working directory: the repo's local_path, else the default, and why not") {
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({":memory:"}, SystemClock(), &store).ok());
  FakeFs fs;
  fs.Dir("/data");
  fs.Dir("/src/app");
  fs.File("/src/file", false);
  AgentPaths paths(&fs, "/data");
  Json board, repo, bare, file_repo;
  REQUIRE(store->Create("boards", {{"name", "b"}}, &board).ok());
  REQUIRE(store->Create("repos", {{"slug", "app"}, {"local_path", "/src/app"}}, &repo).ok());
  REQUIRE(store->Create("repos", {{"slug", "remote-only"}}, &bare).ok());
  REQUIRE(store->Create("repos", {{"slug", "f"}, {"local_path", "/src/file"}}, &file_repo).ok());
  auto dir_of = [&](const Json& repo_id, std::string* dir) {
    return paths.WorkingDirectory(store.get(),
                                  {{"board_id", board["board_id"]}, {"repo_id", repo_id}}, dir);
  };
  std::string dir;
  REQUIRE(dir_of(nullptr, &dir).ok());
  CHECK(dir == "/data");
  REQUIRE(dir_of(repo["repo_id"], &dir).ok());
  CHECK(dir == "/src/app");
  REQUIRE(dir_of(bare["repo_id"], &dir).ok());
  CHECK(dir == "/data");
  CHECK(dir_of(file_repo["repo_id"], &dir).message() ==
        "repo 'f': local_path '/src/file' is not a directory");
  fs.files.erase("/src/app");  // the checkout was deleted since
  CHECK(dir_of(repo["repo_id"], &dir).message() ==
        "repo 'app': local_path '/src/app' does not exist");
  fs.files.erase("/data");
  CHECK(dir_of(nullptr, &dir).message() == "the agents' default directory '/data' does not exist");
}

TEST_CASE("file system: the real one tells directories, executables and nothing apart") {
  char tmpl[] = "/tmp/agor-fs-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/plain") << "x";
  std::ofstream(dir + "/run") << "#!/bin/sh\n";
  chmod((dir + "/run").c_str(), 0755);
  FileSystem* fs = RealFileSystem();
  CHECK(fs->Probe(dir).kind == Kind::kDirectory);
  CHECK(fs->Probe(dir + "/plain").kind == Kind::kRegular);
  CHECK_FALSE(fs->Probe(dir + "/plain").executable);
  CHECK(fs->Probe(dir + "/run").executable);
  CHECK(fs->Probe(dir + "/none").kind == Kind::kMissing);
  CHECK(fs->Probe(dir + "/plain/below").kind == Kind::kMissing);  // ENOTDIR
  CHECK(fs->Probe(std::string("/tmp\0x", 6)).kind == Kind::kMissing);
  CHECK(fs->Probe("").kind == Kind::kMissing);
  CHECK(fs->Probe("/" + std::string(5000, 'a')).kind == Kind::kUnreadable);  // ENAMETOOLONG
  CHECK(IsAbsolutePath(fs->CurrentDirectory()));
  CHECK(JoinPath("/w", "./././x") == "/w/x");
  CHECK(JoinPath("/", "x") == "/x");
  CHECK(JoinPath("/w", "/abs") == "/abs");
  unlink((dir + "/plain").c_str());
  unlink((dir + "/run").c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace agor
