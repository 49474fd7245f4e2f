// Schema: the services' fields (boards, repos, sessions, tasks, messages, and the identities:
// users, api-keys, board-members), as one table of data that validation, query translation,
// the SQL layout and the CLI all read. Adding a field means adding a row here and a migration.
// Secrets (password hashes, api-key hashes) are deliberately not fields: no record carries them.
#pragma once

#include <string>
#include <vector>

namespace agor {

enum class FieldType {
  kString,   // TEXT
  kInteger,  // INTEGER
  kJson,     // an object or array, stored as JSON text (not queryable)
  kContent,  // a string or an array of content blocks, stored as JSON text (not queryable)
  kEnum,     // TEXT restricted to Field::choices
  kId,       // a UUID string (primary or foreign key)
};

// What a kString value must look like beyond being valid UTF-8 (store/validator.cpp checks it).
enum class TextRule {
  kAny,
  kNonEmpty,  // not "" nor only whitespace: a name or slug people must be able to see and type
  kHexColor,  // a CSS hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa
  kEmail,     // one '@' between non-empty parts, no whitespace or control bytes, <= 254 bytes
};

struct Field {
  const char* name = nullptr;
  FieldType type = FieldType::kString;
  std::vector<const char*> choices;     // kEnum only
  bool required = false;                // must be present (and non-null) on create/update
  bool server_set = false;              // stamped by the server; clients may not write it
  const char* references = nullptr;     // kId only: the service whose id this must name
  const char* default_value = nullptr;  // kEnum only: stored when the client omits it
  TextRule rule = TextRule::kAny;       // kString only
  // Null means "not placed yet" (a queued message's index): it sorts after every value in
  // ascending order (and first in descending), so a list in index order ends with the queue.
  bool null_sorts_last = false;
};

struct ServiceSchema {
  const char* name;             // the service path: "boards", "board-members"
  const char* id_field;         // "board_id"
  std::vector<Field> fields;    // includes id_field, in wire (column) order
  const char* table = nullptr;  // the SQL table when it differs from name ("board_members")

  const char* table_name() const { return table ? table : name; }
  const Field* FindField(const std::string& field) const;
  // Fields a query may filter or sort on (everything but kJson/kContent).
  bool IsQueryable(const std::string& field) const;
};

// Every service, in a fixed order: boards, repos, sessions, tasks, messages, users, api-keys,
// board-members.
const std::vector<ServiceSchema>& AllServices();
// The read-only `events` service over the event log (id field "seq").
const ServiceSchema& EventsSchema();
// nullptr when `service` is not one of AllServices().
const ServiceSchema* FindService(const std::string& service);

}  // namespace agor
