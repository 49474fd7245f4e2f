// `agor repo list|add|rm`: the repos service through the generic ResourceCli.
#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunRepo(int argc, char** argv) {
  static const ResourceSpec spec = {
      "repo",
      "repos",
      "add",
      {{"--slug", "slug", "unique short name of the repo", /*positional=*/true},
       {"--name", "name", "display name"},
       {"--remote-url", "remote_url", "git remote URL"},
       {"--path", "local_path", "checkout directory on this machine"},
       {"--branch", "default_branch", "default branch"}},
      {},
      {{"ID", "repo_id", Column::kShortId},
       {"SLUG", "slug"},
       {"NAME", "name"},
       {"BRANCH", "default_branch"},
       {"REMOTE", "remote_url"}},
      /*has_show=*/false,
      /*has_update=*/false,
  };
  return RunResource(spec, argc, argv);
}

}  // namespace agor
