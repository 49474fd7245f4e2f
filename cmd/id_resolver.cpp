#include "cmd/id_resolver.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "base/ids.h"
#include "base/schema.h"
#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/error_text.h"

namespace agor {
namespace {

constexpr int kCandidatesShown = 5;
constexpr size_t kLabelPoints = 30;
constexpr size_t kIdPoints = 40;  // a UUID is 36: shown whole

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return text;
}

const char* IdField(const std::string& service) {
  const ServiceSchema* schema = FindService(service);
  return schema ? schema->id_field : "id";
}

// "boards" -> "board": the noun messages use for one record.
std::string Singular(const std::string& service) {
  return service.empty() || service.back() != 's' ? service : service.substr(0, service.size() - 1);
}

// Text from the server made safe for one stderr line: valid UTF-8, control bytes escaped, cut
// at `max_points` code points.
std::string Shown(const std::string& text, size_t max_points) {
  std::string valid = ToValidUtf8(text, 4 * max_points + 4);
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < valid.size() && points < max_points; ++points) {
    size_t len = std::max<size_t>(1, Utf8SequenceLength(valid, i));
    unsigned char c = static_cast<unsigned char>(valid[i]);
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += valid.substr(i, len);
    }
    i += len;
  }
  return points < Utf8CodePoints(valid) ? out + "\xe2\x80\xa6" : out;
}

// What names a record for a person: its name, title, slug or prompt (the first one set).
std::string RecordLabel(const Json& record) {
  for (const char* field : {"name", "title", "slug", "prompt"}) {
    auto it = record.find(field);
    if (it != record.end() && it->is_string() && !it->get<std::string>().empty()) {
      return Shown(it->get<std::string>(), kLabelPoints);
    }
  }
  return "";
}

Status WithLabel(const Status& status, const std::string& label) {
  std::string message = LowerFirst(status.message());
  return Status(status.code(), label.empty() ? message : label + ": " + message, status.data());
}

bool IsRecord(const Json& record, const std::string& service) {
  auto it = record.is_object() ? record.find(IdField(service)) : record.end();
  return it != record.end() && it->is_string() && !it->get<std::string>().empty();
}

// The first record of a find answer, or NotFound when the page is empty.
Status FirstOfPage(const Json& page, const std::string& service, Json* record) {
  if (!page.is_object() || !page.contains("data") || !page["data"].is_array()) {
    return Status::GeneralError("unexpected answer to GET /" + service + ": not a page");
  }
  if (page["data"].empty()) return Status::NotFound("none");
  if (!IsRecord(page["data"][0], service)) {
    return Status::GeneralError("unexpected answer to GET /" + service + ": no id");
  }
  *record = page["data"][0];
  return Status::OK();
}

Status FindBySlug(RestClient& client, const std::string& service, const std::string& slug,
                  Json* record) {
  Json page;
  Status status = client.Get("/" + service, {{"slug", slug}, {"$limit", "1"}}, &page);
  return status.ok() ? FirstOfPage(page, service, record) : status;
}

// The server said the prefix is ambiguous: say which records it matches.
Status Ambiguous(RestClient& client, const std::string& service, const std::string& typed,
                 const Status& conflict) {
  std::string id = IdField(service);
  std::string lower = Lower(typed);
  // Ids are lowercase hex and dashes, all below '~': [prefix, prefix~) holds the prefix's ids.
  QueryParams query = {{id + "[$gte]", lower},
                       {id + "[$lt]", lower + "~"},
                       {"$sort[" + id + "]", "1"},
                       {"$limit", std::to_string(kCandidatesShown)}};
  Json page;
  Status status = client.Get("/" + service, query, &page);
  bool listed = status.ok() && page.is_object() && page.contains("data") && page["data"].is_array();
  if (!listed || page["data"].size() < 2) return conflict;
  return Status(Code::kConflict, AmbiguousMessage(typed, service, page));
}

// GET /<service>/<typed>: a full id or a prefix of one.
Status GetById(RestClient& client, const std::string& service, const std::string& typed,
               Json* record) {
  Status status = client.Get(PathJoin(service, typed), {}, record);
  if (status.code() == Code::kConflict) return Ambiguous(client, service, typed, status);
  if (status.ok() && !IsRecord(*record, service)) {
    return Status::GeneralError("unexpected answer to GET /" + service + "/:id");
  }
  return status;
}

// A slug (or a short hex string that may be one): the slug's record, else what was wrong.
Status BySlug(RestClient& client, const std::string& service, const std::string& typed, IdKind kind,
              Json* record) {
  Status status = FindBySlug(client, service, typed, record);
  if (status.code() != Code::kNotFound) return status;
  if (kind == IdKind::kShortHex) return Status::BadRequest(TooShortMessage(typed));
  return Status::NotFound("no " + Singular(service) + " has the id or slug '" + typed + "'");
}

Status Resolve(RestClient& client, const std::string& service, const std::string& typed,
               Json* record) {
  IdKind kind = ClassifyId(typed);
  bool slugs = AcceptsSlug(service);
  if (kind == IdKind::kEmpty) return Status::BadRequest("an id must not be empty");
  if (kind == IdKind::kShortHex && !slugs) return Status::BadRequest(TooShortMessage(typed));
  if (slugs && (kind == IdKind::kShortHex || kind == IdKind::kOther)) {
    return BySlug(client, service, typed, kind, record);
  }
  Status status = GetById(client, service, typed, record);
  if (status.code() != Code::kNotFound || !slugs || kind != IdKind::kPrefix) return status;
  // A prefix that names no record may still be a slug ("deadbeef").
  Status slug = FindBySlug(client, service, typed, record);
  return slug.code() == Code::kNotFound ? status : slug;
}

}  // namespace

IdKind ClassifyId(const std::string& typed) {
  if (typed.empty()) return IdKind::kEmpty;
  if (IsUuid(typed)) return IdKind::kFullId;
  if (IsIdPrefix(typed)) return IdKind::kPrefix;
  bool hex =
      typed.size() < 8 && typed.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  return hex ? IdKind::kShortHex : IdKind::kOther;
}

bool AcceptsSlug(const std::string& service) {
  const ServiceSchema* schema = FindService(service);
  return schema && schema->FindField("slug");
}

std::string TooShortMessage(const std::string& typed) {
  return "id prefix '" + typed + "' is too short: give at least 8 hex digits";
}

std::string AmbiguousMessage(const std::string& typed, const std::string& service,
                             const Json& page) {
  static const Json kNone = Json::array();
  auto data_it = page.is_object() ? page.find("data") : page.end();
  const Json& data = data_it != page.end() && data_it->is_array() ? *data_it : kNone;
  auto total_it = page.is_object() ? page.find("total") : page.end();
  bool counted = total_it != page.end() && total_it->is_number_integer();
  int64_t total = counted ? total_it->get<int64_t>() : static_cast<int64_t>(data.size());
  std::string line =
      "id prefix '" + typed + "' matches " + std::to_string(total) + " " + service + ":";
  const char* id_field = IdField(service);
  for (size_t i = 0; i < data.size(); ++i) {
    const Json& id = data[i].is_object() ? data[i].value(id_field, Json()) : Json();
    std::string label = data[i].is_object() ? RecordLabel(data[i]) : "";
    line += (i ? ", " : " ") + Shown(id.is_string() ? id.get<std::string>() : "?", kIdPoints);
    if (!label.empty()) line += " (" + label + ")";
  }
  int64_t more = total - static_cast<int64_t>(data.size());
  if (more > 0) line += " and " + std::to_string(more) + " more";
  return line + "; give more characters";
}

Status ResolveRecord(RestClient& client, const std::string& service, const std::string& typed,
                     const std::string& label, Json* record) {
  Status status = Resolve(client, service, typed, record);
  if (status.ok() || IsUnreachable(status)) return status;
  return WithLabel(status, label);
}

Status ResolveId(RestClient& client, const std::string& service, const std::string& typed,
                 const std::string& label, std::string* full_id) {
  Json record;
  Status status = ResolveRecord(client, service, typed, label, &record);
  if (status.ok()) *full_id = record[IdField(service)].get<std::string>();
  return status;
}

Status ResolveUser(RestClient& client, const std::string& typed, const std::string& label,
                   Json* user) {
  if (typed.find('@') == std::string::npos) {
    return ResolveRecord(client, "users", typed, label, user);
  }
  Json page;
  Status status = client.Get("/users", {{"email", typed}, {"$limit", "1"}}, &page);
  if (status.ok()) status = FirstOfPage(page, "users", user);
  if (status.code() == Code::kNotFound) status = Status::NotFound("no user has the email " + typed);
  return status.ok() || IsUnreachable(status) ? status : WithLabel(status, label);
}

}  // namespace agor
