// `agor repo list|create|show|update|rm` (`add` is an alias of create): the repos service
// through the generic ResourceCli. Repos have slugs: `agor repo show agor` works like an id.
#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunRepo(int argc, char** argv) {
  static const ResourceSpec spec = {
      "repo",
      "repos",
      {{"--slug", "slug", "unique short name of the repo (usable instead of the id)",
        /*positional=*/true},
       {"--name", "name", "display name"},
       {"--remote-url", "remote_url", "git remote URL"},
       {"--path", "local_path", "checkout directory on this machine (absolute)"},
       {"--branch", "default_branch", "default branch"}},
      {},
      {{"ID", "repo_id", Column::kShortId},
       {"SLUG", "slug"},
       {"NAME", "name"},
       {"BRANCH", "default_branch"},
       {"REMOTE", "remote_url"}},
      {{"list", "agor repo ls"},
       {"create", "agor repo create agor --path /src/agor --remote-url git@example.com:agor.git"},
       {"show", "agor repo show agor"},
       {"update", "agor repo update agor --branch main"},
       {"rm", "agor repo rm agor"}},
      /*has_create=*/true,
      /*has_show=*/true,
      /*has_update=*/true,
      /*has_rm=*/true,
      /*actions=*/{},
      /*presets=*/{},
  };
  return RunResource(spec, argc, argv);
}

}  // namespace agor
