// `agor board list|create|show|update|rm`: the boards service through the generic ResourceCli.
#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunBoard(int argc, char** argv) {
  static const ResourceSpec spec = {
      "board",
      "boards",
      "create",
      {{"--name", "name", "the board's name", /*positional=*/true},
       {"--slug", "slug", "unique short name"},
       {"--description", "description", "free text"},
       {"--color", "color", "display color, e.g. #3366ff"},
       {"--icon", "icon", "display icon"},
       {"--visibility", "visibility", "who may see the board"}},
      {},
      {{"ID", "board_id", Column::kShortId},
       {"NAME", "name"},
       {"SLUG", "slug"},
       {"VISIBILITY", "visibility"},
       {"UPDATED", "updated_at"}},
  };
  return RunResource(spec, argc, argv);
}

}  // namespace agor
