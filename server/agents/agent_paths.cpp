#include "server/agents/agent_paths.h"

#include "base/utf8.h"
#include "server/agents/agent_protocol.h"

namespace agor {
namespace {

constexpr size_t kMaxShownPath = 1024;  // of a path echoed into an error

std::string Quoted(const std::string& path) {
  return "'" + ToValidUtf8(path, kMaxShownPath) + "'";
}

// Why `info` is not a directory, or "" when it is one.
std::string DirectoryProblem(const FileInfo& info) {
  switch (info.kind) {
    case FileInfo::Kind::kDirectory:
      return "";
    case FileInfo::Kind::kMissing:
      return "does not exist";
    case FileInfo::Kind::kUnreadable:
      return "cannot be checked: " + info.error;
    default:
      return "is not a directory";
  }
}

}  // namespace

AgentPaths::AgentPaths(FileSystem* fs, std::string default_dir)
    : fs_(fs), default_dir_(std::move(default_dir)) {}

Status AgentPaths::DefaultDirectory(FileSystem* fs, const std::string& db_path,
                                    const std::string& flag, std::string* dir) {
  const std::string cwd = fs->CurrentDirectory();
  if (!flag.empty()) {
    *dir = JoinPath(cwd, flag);
    std::string problem = DirectoryProblem(fs->Probe(*dir));
    if (!problem.empty())
      return Status::BadRequest("the agents' working directory " + Quoted(*dir) + " " + problem);
    return Status::OK();
  }
  if (db_path.empty() || db_path == ":memory:") {
    *dir = cwd;
  } else {
    std::string file = JoinPath(cwd, db_path);
    size_t slash = file.rfind('/');
    *dir = slash == 0 ? "/" : file.substr(0, slash);
  }
  if (dir->empty()) return Status::GeneralError("cannot read the daemon's working directory");
  return Status::OK();
}

Status AgentPaths::CheckLocalPath(const Json& data) const {
  if (!data.is_object() || !data.contains("local_path") || !data["local_path"].is_string())
    return Status::OK();
  const std::string& path = data["local_path"].get_ref<const std::string&>();
  const Json field{{"field", "local_path"}};
  if (path.find('\0') != std::string::npos)
    return Status::BadRequest("local_path must not contain a NUL byte", field);
  if (!IsAbsolutePath(path)) {
    return Status::BadRequest(
        "local_path must be an absolute path: " + Quoted(path) + " is relative", field);
  }
  std::string problem = DirectoryProblem(fs_->Probe(path));
  if (!problem.empty())
    return Status::BadRequest("local_path " + Quoted(path) + " " + problem, field);
  return Status::OK();
}

// A directory recorded earlier may have gone since: the task says which and why.
Status AgentPaths::CheckDirectory(const std::string& what, const std::string& dir) const {
  if (!IsAbsolutePath(dir) || dir.find('\0') != std::string::npos)
    return Status::BadRequest(what + " " + Quoted(dir) + " is not an absolute path");
  std::string problem = DirectoryProblem(fs_->Probe(dir));
  if (!problem.empty()) return Status::BadRequest(what + " " + Quoted(dir) + " " + problem);
  return Status::OK();
}

Status AgentPaths::WorkingDirectory(Store* store, const Json& session, std::string* dir) const {
  const Json& repo_id = session.contains("repo_id") ? session["repo_id"] : Json();
  Json repo;
  if (repo_id.is_string()) {
    Status s = store->Get("repos", repo_id.get<std::string>(), &repo);
    if (!s.ok()) return Status::BadRequest("the session's repo cannot be read: " + s.message());
  }
  if (!repo.is_object() || !repo["local_path"].is_string() ||
      repo["local_path"].get_ref<const std::string&>().empty()) {
    *dir = default_dir_;
    return CheckDirectory("the agents' default directory", *dir);
  }
  *dir = repo["local_path"].get<std::string>();
  std::string slug = repo["slug"].is_string() ? repo["slug"].get<std::string>() : "";
  return CheckDirectory("repo " + Quoted(slug) + ": local_path", *dir);
}

Executable AgentPaths::Classify(const std::string& path) const {
  FileInfo info = fs_->Probe(path);
  Executable found;
  found.path = path;
  switch (info.kind) {
    case FileInfo::Kind::kMissing:
      found.problem = Executable::Problem::kNotFound;
      break;
    case FileInfo::Kind::kDirectory:
      found.problem = Executable::Problem::kDirectory;
      break;
    case FileInfo::Kind::kUnreadable:
      found.problem = Executable::Problem::kUnreadable;
      found.error = info.error;
      break;
    default:  // a regular file runs when executable; a fifo or a device never does
      bool runs = info.kind == FileInfo::Kind::kRegular && info.executable;
      found.problem = runs ? Executable::Problem::kNone : Executable::Problem::kNotExecutable;
  }
  return found;
}

// Like execvp: the first executable file wins; when none does, the first file that was there
// but could not run explains why (rather than "not found").
Executable AgentPaths::FindExecutable(const std::string& name, const std::string& workdir,
                                      const std::string& path_var) const {
  if (name.find('/') != std::string::npos) return Classify(JoinPath(workdir, name));
  Executable first_problem{Executable::Problem::kNotFound, "", ""};
  size_t pos = 0;
  while (!name.empty() && pos <= path_var.size()) {
    size_t colon = path_var.find(':', pos);
    if (colon == std::string::npos) colon = path_var.size();
    std::string entry = path_var.substr(pos, colon - pos);
    pos = colon + 1;
    if (entry.empty()) continue;
    Executable found = Classify(JoinPath(JoinPath(workdir, entry), name));
    if (found.problem == Executable::Problem::kNone) return found;
    if (found.problem != Executable::Problem::kNotFound &&
        first_problem.problem == Executable::Problem::kNotFound)
      first_problem = found;
  }
  return first_problem;
}

std::string ExecutableError(const std::string& agentic_tool, const std::string& name,
                            const Executable& found) {
  std::string message = agentic_tool + ": " + Quoted(name) + " ";
  const bool bare = name.find('/') == std::string::npos;
  switch (found.problem) {
    case Executable::Problem::kNone:
      return "";
    case Executable::Problem::kNotFound:
      message += bare ? "not found on PATH" : "not found";
      break;
    case Executable::Problem::kNotExecutable:
      message += "is not executable";
      break;
    case Executable::Problem::kDirectory:
      message += "is a directory";
      break;
    case Executable::Problem::kUnreadable:
      message += "cannot be checked: " + found.error;
      break;
  }
  if (!found.path.empty() && found.path != name)
    message += " (" + ToValidUtf8(found.path, kMaxShownPath) + ")";
  const char* variable = AgentExecutableVariable(agentic_tool);
  if (bare && found.problem == Executable::Problem::kNotFound && variable != nullptr)
    message += std::string(" (set ") + variable + ")";
  return message;
}

}  // namespace agor
