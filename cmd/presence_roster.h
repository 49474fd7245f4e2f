// PresenceRoster: what `agor board who BOARD` makes of a board's presence entries
// (`GET /presence?board_id=<id>`), issue 12's wire shape:
//   {presence_id, user_id, name, emoji, board_id, cursor: {x,y}|null, selected_session_id,
//    typing_session_id, idle, last_active}
//
// Contract:
// - RosterEntries accepts the find answer as a bare array (a Feathers service without
//   pagination) or as a page {total, limit, skip, data}; anything else is a GeneralError
//   naming the request. Elements that are not objects are dropped (never printed).
// - JSON mode prints the entries as the server sent them, one line each; the table (terminal
//   mode) has one row per entry: USER (emoji and name), VIEWING and TYPING (the session's
//   title when known, else its short id; "-" for none), STATE (`idle` or `active`) and
//   LAST ACTIVE (the server's time). Titles come from one `GET /sessions` of the ids the
//   roster names (RosterSessionIds), so a roster costs two requests whatever its size.
// - Everything shown goes through cmd/output.h (terminal-safe, cut to the column).
//
// Threading: none; pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "cmd/output.h"

namespace agor {

// The entries of a find answer (see above); `request` names it in the error ("GET /presence").
Status RosterEntries(const Json& answer, const std::string& request, Json* entries);

// The distinct selected and typing session ids the entries name, in first-seen order.
std::vector<std::string> RosterSessionIds(const Json& entries);

// The table's rows for `entries`; `titles` maps session ids to titles (may be empty).
Json RosterRows(const Json& entries, const std::map<std::string, std::string>& titles);

// The table's columns (fields of RosterRows' rows).
const std::vector<Column>& RosterColumns();

}  // namespace agor
