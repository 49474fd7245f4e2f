// `agor session list|create|show|rm`: the sessions service through the generic ResourceCli.
// --board and --repo take ids or unique prefixes, resolved to full ids before sending.
#include "cmd/command.h"
#include "cmd/resource_cli.h"

namespace agor {

int RunSession(int argc, char** argv) {
  static const ResourceSpec spec = {
      "session",
      "sessions",
      "create",
      {{"--board", "board_id", "the board the session belongs to (id or prefix)",
        /*positional=*/false, /*repeatable=*/false, /*required=*/true},
       {"--agent", "agentic_tool", "the agent that runs prompts"},
       {"--title", "title", "short title"},
       {"--description", "description", "free text"},
       {"--repo", "repo_id", "the repo the agent works in (id or prefix)"},
       {"--command", "agent_command",
        "one argv element of the agent command (repeat; --command=-x for dashes)",
        /*positional=*/false, /*repeatable=*/true}},
      {{"--board", "board_id", "only this board's sessions (id or prefix)"}},
      {{"ID", "session_id", Column::kShortId},
       {"BOARD", "board_id", Column::kShortId},
       {"AGENT", "agentic_tool"},
       {"STATUS", "status"},
       {"TITLE", "title"},
       {"UPDATED", "updated_at"}},
      /*has_show=*/true,
      /*has_update=*/false,
  };
  return RunResource(spec, argc, argv);
}

}  // namespace agor
