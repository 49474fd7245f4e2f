// Validation of a record body written to a service, before anything touches the database.
//
// Refuses (BadRequest naming the field in the message and in data.field): a body that is not
// an object, an unknown field, a value of the wrong type, a bad enum value, a malformed id, a
// required field missing or null (create/update), a string breaking its Field::rule (an empty
// or blank name or slug, a color that is not a CSS hex colour, an email that does not look
// like one), an agent_command that is not
// an array of non-empty strings, a string or object key that is not valid
// UTF-8, a JSON value nested deeper than kMaxJsonDepth (base/json.h): the entry rule again,
// for writers that are not clients (agents). Fields the server stamps (created_at,
// updated_at) are ignored when a client sends them back, as a PUT of a fetched record does.
//
// Thread-safety: pure functions.
#pragma once

#include "base/schema.h"
#include "base/status.h"

namespace agor {

enum class WriteMode { kCreate, kUpdate, kPatch };

// Checks `data` for `mode` and fills `clean` with the writable fields only (ids lowercased).
// For kCreate and kUpdate, enum fields with a default get it when absent.
Status ValidateWrite(const ServiceSchema& schema, const Json& data, WriteMode mode, Json* clean);

// The rules between fields of one record, checked on the record as it will be stored (a
// patch merged onto the stored one): a `command` session needs an agent_command, other tools
// take none. `touched` is the written fields (an object; null: all of them): a rule is only
// checked when the write touches one of its fields, so a record stored before the rule can
// still be patched elsewhere.
Status ValidateRecord(const ServiceSchema& schema, const Json& record, const Json& touched);

// Checks one value against its field (type, enum choices, JSON shape). Null always passes here;
// required-ness is ValidateWrite's concern.
Status ValidateValue(const Field& field, const Json& value);

}  // namespace agor
