// IdResolver: turns what a person types for a record into that record, or into a message that
// says what was wrong with what they typed.
//
// What may be typed (ClassifyId):
// - a full id (a UUID) or a prefix of 8+ hex digits (dashes where a UUID has them): fetched
//   with GET /<service>/<typed>, which resolves a unique prefix. An ambiguous prefix (the
//   server's 409) is answered with the candidates, found with an id range query:
//   "id prefix 'abcd1234' matches 2 boards: <id> (alpha), <id> (beta); give more characters";
// - for services whose records have a slug (boards, repos: AcceptsSlug), a slug: found with
//   GET /<service>?slug=<typed>. A prefix that names no record is tried as a slug too;
// - fewer than 8 hex digits: "id prefix 'ab12' is too short: give at least 8 hex digits"
//   (after trying it as a slug where slugs exist: `cafe` may be one).
// Every refusal keeps the server's code (404, 409, 400 for what was typed) and reads
// "<label>: <message>" when a label (the flag, e.g. "--board") is given.
//
// Threading: whatever the RestClient allows (one per thread). The classification and message
// helpers are pure.
#pragma once

#include <string>

#include "base/status.h"

namespace agor {

class RestClient;

enum class IdKind {
  kEmpty,     // ""
  kFullId,    // a UUID
  kPrefix,    // 8 to 35 characters that begin a UUID
  kShortHex,  // 1 to 7 hex digits: a prefix too short to use (or a slug)
  kOther,     // anything else: a slug, or no id at all
};

IdKind ClassifyId(const std::string& typed);

// True for services whose records have a unique slug (boards, repos).
bool AcceptsSlug(const std::string& service);

// "id prefix 'ab12' is too short: give at least 8 hex digits".
std::string TooShortMessage(const std::string& typed);

// "id prefix 'P' matches N <service>: <id> (<label>), ...; give more characters", from a find
// page of the candidates (`page.total` counts them all; data lists the first few).
std::string AmbiguousMessage(const std::string& typed, const std::string& service,
                             const Json& page);

// The record `typed` names on `service` (see above); `label` prefixes refusals ("" for none).
// An unreachable daemon's status comes back as is.
Status ResolveRecord(RestClient& client, const std::string& service, const std::string& typed,
                     const std::string& label, Json* record);

// ResolveRecord, keeping only the record's id (the service's id field).
Status ResolveId(RestClient& client, const std::string& service, const std::string& typed,
                 const std::string& label, std::string* full_id);

// A user by email (GET /users?email=, exact as stored) or by id / 8+ hex prefix.
Status ResolveUser(RestClient& client, const std::string& typed, const std::string& label,
                   Json* user);

}  // namespace agor
