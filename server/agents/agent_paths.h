// AgentPaths: where an agent runs and which file it runs, decided before the fork so that a
// task's error says exactly what was wrong, and the rule a repo's local_path meets.
//
//   Working directory: the `local_path` of the session's repo. A session without a repo, or
//     whose repo has no local_path, runs in the default directory the node gives (the folder
//     of the database file; the daemon's working directory for ":memory:"; or
//     `serve --agent-workdir`). A directory that vanished since is an error naming it.
//   Executable: a name without '/' is looked up in PATH as execvp does (the first entry that
//     holds an executable regular file; a relative entry resolves against the working
//     directory; an empty one is skipped, never read as "."). A path with '/' is used as is
//     when absolute, else resolved against the working directory.
//   local_path: a repo's create, update or patch carrying a string local_path is refused with
//     a 400 naming the field unless it is an absolute path to an existing directory (the
//     store stays free of file-system calls: the node runs this check before the write).
//
// The file system goes through a borrowed FileSystem (base/file_system.h), so unit tests can
// describe one; no call here writes anything.
//
// Thread-safety: immutable after construction; the daemon's event loop calls it.
#pragma once

#include <string>

#include "base/file_system.h"
#include "base/status.h"
#include "store/store.h"

namespace agor {

// What the lookup of an agent's executable found.
struct Executable {
  enum class Problem { kNone, kNotFound, kNotExecutable, kDirectory, kUnreadable };
  Problem problem = Problem::kNone;
  // kNone: the file to exec. Otherwise the file that failed ("" for a name not on PATH).
  std::string path;
  std::string error;  // kUnreadable: why stat failed
};

class AgentPaths {
 public:
  // `fs` is borrowed; `default_dir` is absolute (see DefaultDirectory).
  AgentPaths(FileSystem* fs, std::string default_dir);

  // The agents' default directory: `flag` when given (made absolute against the daemon's
  // working directory; it must be a directory), else the folder of `db_path`, or the
  // daemon's working directory for ":memory:". An error names the directory and the problem.
  static Status DefaultDirectory(FileSystem* fs, const std::string& db_path,
                                 const std::string& flag, std::string* dir);

  const std::string& default_dir() const { return default_dir_; }

  // A repos write's `data`: BadRequest {field: local_path} when it holds a string local_path
  // that is relative, holds a NUL byte, does not exist, is not a directory or cannot be
  // checked. Anything else (no local_path, null, another type) is left to the store.
  Status CheckLocalPath(const Json& data) const;

  // The directory the agent of `session` (a sessions record) runs in, or a BadRequest that
  // says why it cannot (the repo's local_path is gone, is not a directory ...).
  Status WorkingDirectory(Store* store, const Json& session, std::string* dir) const;

  // Looks `name` up as described above; `path_var` is the PATH to search.
  Executable FindExecutable(const std::string& name, const std::string& workdir,
                            const std::string& path_var) const;

 private:
  Status CheckDirectory(const std::string& what, const std::string& dir) const;
  Executable Classify(const std::string& path) const;

  FileSystem* fs_;
  std::string default_dir_;
};

// The task error for an executable that cannot run (valid UTF-8 whatever `name` holds):
//   "claude-code: 'claude' not found on PATH (set AGOR_CLAUDE_BIN)"   (a bare name)
//   "command: './run.sh' not found (/repo/run.sh)"                    (a path)
//   "command: './run.sh' is not executable (/repo/run.sh)"
//   "command: 'bin' is a directory (/repo/bin)"
// The resolved path is shown when it differs from `name`.
std::string ExecutableError(const std::string& agentic_tool, const std::string& name,
                            const Executable& found);

}  // namespace agor
