#include "cmd/presence_roster.h"

#include <algorithm>

#include "base/json.h"

namespace agor {
namespace {

const Json& At(const Json& record, const char* field) {
  static const Json kNull;
  auto it = record.is_object() ? record.find(field) : record.end();
  return it != record.end() ? *it : kNull;
}

// "fix-login" when the session's title is known and not empty, else its short id; "-" for none.
Json SessionLabel(const Json& id, const std::map<std::string, std::string>& titles) {
  if (!id.is_string()) return nullptr;
  auto it = titles.find(id.get<std::string>());
  if (it != titles.end() && !it->second.empty()) return it->second;
  return id.get<std::string>().substr(0, kShortIdLength);
}

std::string UserLabel(const Json& entry) {
  std::string emoji = StringField(entry, "emoji");
  std::string name = StringField(entry, "name");
  if (name.empty()) name = StringField(entry, "user_id").substr(0, kShortIdLength);
  return emoji.empty() ? name : emoji + " " + name;
}

}  // namespace

Status RosterEntries(const Json& answer, const std::string& request, Json* entries) {
  const Json& data = answer.is_object() ? At(answer, "data") : answer;
  if (!data.is_array()) return Status::GeneralError("unexpected answer to " + request);
  *entries = Json::array();
  for (const Json& entry : data) {
    if (entry.is_object()) entries->push_back(entry);
  }
  return Status::OK();
}

std::vector<std::string> RosterSessionIds(const Json& entries) {
  std::vector<std::string> ids;
  for (const Json& entry : entries) {
    for (const char* field : {"selected_session_id", "typing_session_id"}) {
      std::string id = StringField(entry, field);
      if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  return ids;
}

Json RosterRows(const Json& entries, const std::map<std::string, std::string>& titles) {
  Json rows = Json::array();
  for (const Json& entry : entries) {
    rows.push_back({{"user", UserLabel(entry)},
                    {"viewing", SessionLabel(At(entry, "selected_session_id"), titles)},
                    {"typing", SessionLabel(At(entry, "typing_session_id"), titles)},
                    {"state", At(entry, "idle") == true ? "idle" : "active"},
                    {"last_active", At(entry, "last_active")}});
  }
  return rows;
}

const std::vector<Column>& RosterColumns() {
  static const std::vector<Column> columns = {{"USER", "user", Column::kText, 32},
                                              {"VIEWING", "viewing", Column::kText, 32},
                                              {"TYPING", "typing", Column::kText, 32},
                                              {"STATE", "state"},
                                              {"LAST ACTIVE", "last_active"}};
  return columns;
}

}  // namespace agor
