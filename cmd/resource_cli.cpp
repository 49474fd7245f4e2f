#include "cmd/resource_cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>

#include "base/schema.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"

namespace agor {
namespace {

// The storage CLI11 binds one FieldFlag's value(s) to.
struct FlagValue {
  const FieldFlag* spec = nullptr;
  std::string text;
  std::vector<std::string> list;
  CLI::Option* option = nullptr;
  bool given() const { return option && option->count() > 0; }
};

const CLI::Validator kNonEmpty(
    [](std::string& text) { return text.empty() ? std::string("must not be empty") : ""; }, "",
    "NonEmpty");

const CLI::Validator kCount(
    [](std::string& text) {
      bool digits = !text.empty() && text.size() <= 15 &&
                    text.find_first_not_of("0123456789") == std::string::npos;
      return digits ? std::string() : "must be a non-negative integer, not '" + text + "'";
    },
    "N", "Count");

std::vector<std::string> Choices(const Field* field) {
  std::vector<std::string> out;
  if (field && field->type == FieldType::kEnum) {
    out.assign(field->choices.begin(), field->choices.end());
  }
  return out;
}

// The service a field's ids point into ("boards" for sessions.board_id), or nullptr.
const char* ReferencedService(const ServiceSchema& schema, const std::string& field) {
  const Field* f = schema.FindField(field);
  return f ? f->references : nullptr;
}

// `text` with line breaks turned into spaces: every failure is exactly one stderr line.
std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

std::string Text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Checks a find answer's shape, hands back its records, and notes on stderr when more
// matches follow the page.
Status ReadPage(const Json& page, const std::string& service, Json* rows) {
  if (!page.is_object() || !page.contains("data") || !page["data"].is_array()) {
    return Status::GeneralError("unexpected answer to GET /" + service + ": not a page");
  }
  *rows = page["data"];
  int64_t total = page.value("total", int64_t{0});
  int64_t end = page.value("skip", int64_t{0}) + static_cast<int64_t>(rows->size());
  if (total > end) {
    fprintf(stderr, "agor: %zu of %lld %s shown (--limit, --skip for more)\n", rows->size(),
            static_cast<long long>(total), service.c_str());
  }
  return Status::OK();
}

class ResourceCli {
 public:
  explicit ResourceCli(const ResourceSpec& spec);
  int Run(int argc, char** argv);

 private:
  void AddCommonFlags(CLI::App* app);
  CLI::App* AddVerb(const std::string& name, const std::string& help, bool takes_id);
  void BindFlags(CLI::App* verb, const std::vector<FieldFlag>& flags, bool creating,
                 std::deque<FlagValue>* values);
  CLI::Option* BindFlag(CLI::App* verb, const FieldFlag& flag, bool creating, FlagValue* value);
  std::string UsageMessage(const CLI::ParseError& error) const;
  std::string ParsedPath() const;
  int Execute();
  Status List(RestClient& client, Json* rows);
  Status Single(RestClient& client, Json* record);
  Status Fields(RestClient& client, const std::deque<FlagValue>& values, Json* body);
  Status FieldValue(RestClient& client, const FlagValue& value, Json* out);

  const ResourceSpec& spec_;
  const ServiceSchema& schema_;
  CLI::App app_;
  std::string url_;
  bool json_ = false;
  std::string id_;
  int64_t limit_ = -1;
  int64_t skip_ = -1;
  std::deque<FlagValue> create_values_, update_values_, filter_values_;
  CLI::App* list_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* update_ = nullptr;
  CLI::App* rm_ = nullptr;
};

ResourceCli::ResourceCli(const ResourceSpec& spec)
    : spec_(spec),
      schema_(*FindService(spec.service)),
      app_("manage the " + spec.service + " of a running agor daemon", "agor " + spec.command) {
  app_.require_subcommand(1);
  AddCommonFlags(&app_);
  list_ = AddVerb("list", "list " + spec.service, false);
  list_->add_option("--limit", limit_, "at most N records (server default 100, max 1000)")
      ->check(kCount);
  list_->add_option("--skip", skip_, "skip the first N records")->check(kCount);
  BindFlags(list_, spec.filters, false, &filter_values_);
  create_ = AddVerb(spec.create_verb, spec.create_verb + " a " + spec.command, false);
  BindFlags(create_, spec.fields, true, &create_values_);
  if (spec.has_show) show_ = AddVerb("show", "show one " + spec.command, true);
  if (spec.has_update) update_ = AddVerb("update", "change fields of one " + spec.command, true);
  if (update_) BindFlags(update_, spec.fields, false, &update_values_);
  rm_ = AddVerb("rm", "remove one " + spec.command, true);
}

void ResourceCli::AddCommonFlags(CLI::App* app) {
  app->add_option(
      "--url", url_,
      "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
  app->add_flag("--json", json_, "JSON lines even on a terminal");
}

CLI::App* ResourceCli::AddVerb(const std::string& name, const std::string& help, bool takes_id) {
  CLI::App* verb = app_.add_subcommand(name, help);
  AddCommonFlags(verb);
  if (takes_id) {
    verb->add_option("id", id_, "the " + spec_.command + "'s id, or a unique prefix (8+ hex)")
        ->required()
        ->check(kNonEmpty);
  }
  return verb;
}

void ResourceCli::BindFlags(CLI::App* verb, const std::vector<FieldFlag>& flags, bool creating,
                            std::deque<FlagValue>* values) {
  for (const auto& flag : flags) {
    values->emplace_back();
    values->back().option = BindFlag(verb, flag, creating, &values->back());
  }
}

CLI::Option* ResourceCli::BindFlag(CLI::App* verb, const FieldFlag& flag, bool creating,
                                   FlagValue* value) {
  value->spec = &flag;
  std::string name = creating && flag.positional ? flag.field : flag.flag;
  CLI::Option* option =
      flag.repeatable ? verb->add_option(name, value->list, flag.help)->allow_extra_args(false)
                      : verb->add_option(name, value->text, flag.help);
  if (creating && (flag.required || flag.positional)) option->required();
  std::vector<std::string> choices = Choices(schema_.FindField(flag.field));
  if (!choices.empty()) option->check(CLI::IsMember(choices));
  if (ReferencedService(schema_, flag.field)) option->check(kNonEmpty);
  return option;
}

// CLI11's message, except "unknown subcommand 'x'" where CLI11 only says one is required.
std::string ResourceCli::UsageMessage(const CLI::ParseError& error) const {
  std::vector<std::string> extra = app_.remaining();
  bool unknown_verb = app_.get_subcommands().empty() && !extra.empty() && extra[0][0] != '-';
  return unknown_verb ? "unknown subcommand '" + extra[0] + "'" : error.what();
}

// "agor board create" for the verb being parsed, "agor board" before one is.
std::string ResourceCli::ParsedPath() const {
  std::string path = app_.get_name();
  for (const CLI::App* verb : app_.get_subcommands()) path += " " + verb->get_name();
  return path;
}

int ResourceCli::Run(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app_.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(UsageMessage(error), ParsedPath());
  }
  return Execute();
}

int ResourceCli::Execute() {
  BaseUrl base;
  Status status = ParseBaseUrl(ChooseUrl(url_), &base);
  if (!status.ok()) return ReportUsage(status.message(), ParsedPath());
  bool updating = update_ && update_->parsed();
  auto given = [](const FlagValue& v) { return v.given(); };
  if (updating && std::none_of(update_values_.begin(), update_values_.end(), given)) {
    return ReportUsage("nothing to update: give at least one field flag", ParsedPath());
  }
  RestClient client(base);
  bool listing = list_->parsed();
  Json out;
  status = listing ? List(client, &out) : Single(client, &out);
  if (!status.ok()) return ReportFailure(status);
  OutputStyle style = DetectStyle(json_);
  listing ? PrintRecords(style, spec_.columns, out) : PrintRecord(style, out);
  return kExitOk;
}

Status ResourceCli::List(RestClient& client, Json* rows) {
  Json filters;
  Status status = Fields(client, filter_values_, &filters);
  if (!status.ok()) return status;
  QueryParams query;
  for (const auto& item : filters.items()) query.emplace_back(item.key(), Text(item.value()));
  if (limit_ >= 0) query.emplace_back("$limit", std::to_string(limit_));
  if (skip_ >= 0) query.emplace_back("$skip", std::to_string(skip_));
  Json page;
  status = client.Get("/" + spec_.service, query, &page);
  return status.ok() ? ReadPage(page, spec_.service, rows) : status;
}

Status ResourceCli::Single(RestClient& client, Json* record) {
  std::string path = PathJoin(spec_.service, id_);
  if (show_ && show_->parsed()) return client.Get(path, {}, record);
  if (rm_->parsed()) return client.Delete(path, record);
  bool creating = create_->parsed();
  Json body;
  Status status = Fields(client, creating ? create_values_ : update_values_, &body);
  if (!status.ok()) return status;
  return creating ? client.Post("/" + spec_.service, body, record)
                  : client.Patch(path, body, record);
}

// The JSON object of the given flags' fields, in spec order.
Status ResourceCli::Fields(RestClient& client, const std::deque<FlagValue>& values, Json* body) {
  *body = Json::object();
  for (const auto& value : values) {
    if (!value.given()) continue;
    Json field;
    Status status = FieldValue(client, value, &field);
    if (!status.ok()) return status;
    (*body)[value.spec->field] = std::move(field);
  }
  return Status::OK();
}

// One flag's JSON value; a reference (id or prefix) is resolved to the full id it names.
Status ResourceCli::FieldValue(RestClient& client, const FlagValue& value, Json* out) {
  const char* target = ReferencedService(schema_, value.spec->field);
  if (value.spec->repeatable || !target) {
    *out = value.spec->repeatable ? Json(value.list) : Json(value.text);
    return Status::OK();
  }
  std::string full_id;
  Status status = ResolveId(client, target, value.text, value.spec->flag, &full_id);
  if (status.ok()) *out = full_id;
  return status;
}

}  // namespace

Status ResolveId(RestClient& client, const std::string& service, const std::string& id_or_prefix,
                 const std::string& label, std::string* full_id) {
  Json record;
  Status status = client.Get(PathJoin(service, id_or_prefix), {}, &record);
  if (IsUnreachable(status)) return status;
  if (!status.ok()) return Status(status.code(), label + ": " + status.message());
  const char* id_field = FindService(service)->id_field;
  if (!record.is_object() || !record.contains(id_field) || !record[id_field].is_string() ||
      record[id_field].get<std::string>().empty()) {
    return Status::GeneralError("unexpected answer to GET /" + service + "/:id");
  }
  *full_id = record[id_field].get<std::string>();
  return Status::OK();
}

int RunResource(const ResourceSpec& spec, int argc, char** argv) {
  return ResourceCli(spec).Run(argc, argv);
}

int ReportFailure(const Status& status) {
  fprintf(stderr, "agor: %s\n", OneLine(status.message()).c_str());
  return IsUnreachable(status) ? kExitUnreachable : kExitFailure;
}

int ReportUsage(const std::string& message, const std::string& command_path) {
  fprintf(stderr, "agor: %s (see '%s --help')\n", OneLine(message).c_str(), command_path.c_str());
  return kExitUsage;
}

int ParseCommandLine(CLI::App& app, int argc, char** argv, const std::string& command_path) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(error.what(), command_path);
  }
  return -1;
}

}  // namespace agor
