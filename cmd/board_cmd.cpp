// `agor board list|create|show|update|rm`: the boards service through the generic ResourceCli.
// Boards have slugs: `agor board show sprint-12` works like an id. `create --private` makes a
// board only its members (and admins) see; `agor board member ...` manages those members
// (cmd/board_member_cmd.cpp). `agor board who BOARD` shows who is on a board now
// (cmd/board_who_cmd.cpp), `agor board activity BOARD [--follow]` its activity feed
// (cmd/board_activity_cmd.cpp).
#include <cstring>

#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunBoard(int argc, char** argv) {
  static const ResourceSpec spec = {
      "board",
      "boards",
      {{"--name", "name", "the board's name", /*positional=*/true},
       {"--slug", "slug", "unique short name (usable instead of the id)"},
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
      {{"list", "agor board ls --limit 20"},
       {"create", "agor board create \"Sprint 12\" --slug sprint-12 --color '#3366ff'"},
       {"show", "agor board show sprint-12"},
       {"update", "agor board update 3f2a9c1e --name \"Sprint 12b\" --visibility private"},
       {"rm", "agor board rm sprint-12"},
       {"create", "agor board create \"Payroll\" --slug payroll --private"},
       {"member", "agor board member add payroll ada@example.com --role editor"},
       {"who", "agor board who sprint-12"},
       {"activity", "agor board activity sprint-12 --follow"}},
      /*has_create=*/true,
      /*has_show=*/true,
      /*has_update=*/true,
      /*has_rm=*/true,
      /*actions=*/{},
      /*presets=*/{{"--private", "visibility", "private", "only members and admins see it"}},
  };
  if (argc > 1 && !strcmp(argv[1], "member")) return RunBoardMember(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "who")) return RunBoardWho(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "activity")) return RunBoardActivity(argc - 1, argv + 1);
  return RunResource(spec, argc, argv);
}

}  // namespace agor
