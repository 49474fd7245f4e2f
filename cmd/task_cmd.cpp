// `agor task list|show`: the tasks service through the generic ResourceCli. Tasks are created
// by prompts (`agor prompt`) and end by themselves or by `agor session stop`, so the CLI only
// reads them. --session takes an id or a unique prefix; --status repeats (any of them).
#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunTask(int argc, char** argv) {
  static const ResourceSpec spec = {
      "task",
      "tasks",
      {},
      {{"--session", "session_id", "only this session's tasks (id or prefix)"},
       {"--status", "status", "only tasks in this status (repeat for any of several)",
        /*positional=*/false, /*repeatable=*/true}},
      {{"ID", "task_id", Column::kShortId},
       {"SESSION", "session_id", Column::kShortId},
       {"STATUS", "status"},
       {"PROMPT", "prompt"},
       {"MS", "duration_ms"},
       {"CREATED", "created_at"}},
      {{"list", "agor task ls --session 7c41d2aa --status running --status stopping"},
       {"show", "agor task show 0b9e5f13"}},
      /*has_create=*/false,
      /*has_show=*/true,
      /*has_update=*/false,
      /*has_rm=*/false,
      /*actions=*/{},
      /*presets=*/{},
  };
  return RunResource(spec, argc, argv);
}

}  // namespace agor
