// `agor session list|create|show|update|rm|stop`: the sessions service through the generic
// ResourceCli. --board and --repo take ids, unique prefixes or slugs, resolved to full ids
// before sending; `stop` is POST /sessions/:id/stop (ends the running task's agent).
#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunSession(int argc, char** argv) {
  static const ResourceSpec spec = {
      "session",
      "sessions",
      {{"--board", "board_id", "the board the session belongs to (id, prefix or slug)",
        /*positional=*/false, /*repeatable=*/false, /*required=*/true},
       {"--agent", "agentic_tool", "the agent that runs prompts"},
       {"--title", "title", "short title"},
       {"--description", "description", "free text"},
       {"--repo", "repo_id", "the repo the agent works in (id, prefix or slug)"},
       {"--command", "agent_command",
        "one argv element of the agent command (repeat; --command=-x for dashes)",
        /*positional=*/false, /*repeatable=*/true}},
      {{"--board", "board_id", "only this board's sessions (id, prefix or slug)"}},
      {{"ID", "session_id", Column::kShortId},
       {"BOARD", "board_id", Column::kShortId},
       {"AGENT", "agentic_tool"},
       {"STATUS", "status"},
       {"TITLE", "title"},
       {"UPDATED", "updated_at"}},
      {{"list", "agor session ls --board sprint-12"},
       {"create", "agor session create --board sprint-12 --agent codex --title \"fix login\""},
       {"show", "agor session show 7c41d2aa"},
       {"update", "agor session update 7c41d2aa --title \"fix login, take 2\" --repo agor"},
       {"rm", "agor session rm 7c41d2aa"},
       {"stop", "agor session stop 7c41d2aa"}},
      /*has_create=*/true,
      /*has_show=*/true,
      /*has_update=*/true,
      /*has_rm=*/true,
      {{"stop", "stop the session's running task (its agent gets SIGTERM, then SIGKILL)"}},
      /*presets=*/{},
  };
  return RunResource(spec, argc, argv);
}

}  // namespace agor
