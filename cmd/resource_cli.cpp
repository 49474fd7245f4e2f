#include "cmd/resource_cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>

#include "base/schema.h"
#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/error_text.h"
#include "cmd/suggest.h"

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

// Arguments become JSON and URLs: bytes that are not UTF-8 are refused before any request.
const CLI::Validator kUtf8(
    [](std::string& text) { return IsValidUtf8(text) ? std::string() : "not valid UTF-8"; }, "",
    "Utf8");

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

// `text` as one safe stderr line: every failure is exactly one line, and text the server echoes
// (a record's name) cannot move the cursor or recolour the terminal. Line breaks and tabs become
// spaces, other control bytes \xNN.
std::string OneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
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
  auto number = [&page](const char* key) {
    auto it = page.find(key);
    return it != page.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  int64_t end = number("skip") + static_cast<int64_t>(rows->size());
  if (number("total") > end) {
    fprintf(stderr, "agor: %zu of %lld %s shown (--limit, --skip for more)\n", rows->size(),
            static_cast<long long>(number("total")), service.c_str());
  }
  return Status::OK();
}

// The verbs and their aliases, for suggestions.
std::vector<std::string> VerbNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* verb : app.get_subcommands({})) {
    names.push_back(verb->get_name());
    for (const std::string& alias : verb->get_aliases()) names.push_back(alias);
  }
  return names;
}

class ResourceCli {
 public:
  explicit ResourceCli(const ResourceSpec& spec);
  int Run(int argc, char** argv);

 private:
  void AddCommonFlags(CLI::App* app);
  CLI::App* AddVerb(const std::string& name, const std::string& help, bool takes_id);
  std::string Example(const std::string& verb) const;
  std::string AllExamples() const;
  void BindFlags(CLI::App* verb, const std::vector<FieldFlag>& flags, bool creating,
                 std::deque<FlagValue>* values);
  CLI::Option* BindFlag(CLI::App* verb, const FieldFlag& flag, bool creating, FlagValue* value);
  bool Parsed(const CLI::App* verb) const { return verb && verb->parsed(); }
  int Execute();
  Status List(RestClient& client, Json* rows);
  Status Single(RestClient& client, Json* record);
  Status Write(RestClient& client, const std::string& id, Json* record);
  const ActionVerb* ParsedAction() const;
  Status Fields(RestClient& client, const std::deque<FlagValue>& values, Json* body);
  Status FieldValue(RestClient& client, const FlagValue& value, Json* out);

  const ResourceSpec& spec_;
  const ServiceSchema& schema_;
  CLI::App app_;
  std::string url_;
  std::string token_;
  bool json_ = false;
  std::string id_;
  int64_t limit_ = -1;
  int64_t skip_ = -1;
  std::deque<FlagValue> create_values_, update_values_, filter_values_;
  std::deque<bool> presets_given_;  // parallel to spec_.presets
  CLI::App* list_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* update_ = nullptr;
  CLI::App* rm_ = nullptr;
  std::vector<CLI::App*> actions_;  // parallel to spec_.actions
};

ResourceCli::ResourceCli(const ResourceSpec& spec)
    : spec_(spec),
      schema_(*FindService(spec.service)),
      app_("manage the " + spec.service + " of a running agor daemon", "agor " + spec.command) {
  app_.require_subcommand(1);
  app_.footer(AllExamples());
  AddCommonFlags(&app_);
  list_ = AddVerb("list", "list " + spec.service, false)->alias("ls");
  list_->add_option("--limit", limit_, "at most N records (server default 100, max 1000)")
      ->check(kCount);
  list_->add_option("--skip", skip_, "skip the first N records")->check(kCount);
  BindFlags(list_, spec.filters, false, &filter_values_);
  if (spec.has_create) create_ = AddVerb("create", "create a " + spec.command, false)->alias("add");
  if (create_) BindFlags(create_, spec.fields, true, &create_values_);
  for (const PresetFlag& preset : create_ ? spec.presets : std::vector<PresetFlag>()) {
    presets_given_.push_back(false);
    create_->add_flag(preset.flag, presets_given_.back(), preset.help);
  }
  if (spec.has_show) show_ = AddVerb("show", "show one " + spec.command, true);
  if (spec.has_update) update_ = AddVerb("update", "change fields of one " + spec.command, true);
  if (update_) BindFlags(update_, spec.fields, false, &update_values_);
  if (spec.has_rm) rm_ = AddVerb("rm", "remove one " + spec.command, true);
  for (const ActionVerb& action : spec.actions) {
    actions_.push_back(AddVerb(action.verb, action.help, true));
  }
}

void ResourceCli::AddCommonFlags(CLI::App* app) {
  app->add_option(
      "--url", url_,
      "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
  AddTokenFlag(app, &token_);
  app->add_flag("--json", json_, "JSON lines even on a terminal");
}

CLI::App* ResourceCli::AddVerb(const std::string& name, const std::string& help, bool takes_id) {
  CLI::App* verb = app_.add_subcommand(name, help);
  AddCommonFlags(verb);
  verb->footer(Example(name));
  if (takes_id) {
    std::string slug = AcceptsSlug(spec_.service) ? ", or its slug" : "";
    verb->add_option("id", id_,
                     "the " + spec_.command + "'s id, a unique prefix of it (8+ hex)" + slug)
        ->required()
        ->check(kNonEmpty)
        ->check(kUtf8);
  }
  return verb;
}

std::string ResourceCli::Example(const std::string& verb) const {
  for (const auto& [name, line] : spec_.examples) {
    if (name == verb) return "example:\n  " + line;
  }
  return "";
}

std::string ResourceCli::AllExamples() const {
  std::string text = "examples:";
  for (const auto& example : spec_.examples) text += "\n  " + example.second;
  return text + "\nids: a full id, a unique prefix of 8+ hex digits" +
         (AcceptsSlug(spec_.service) ? ", or a slug" : "");
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
  option->check(kUtf8);
  if (creating && (flag.required || flag.positional)) option->required();
  std::vector<std::string> choices = Choices(schema_.FindField(flag.field));
  if (!choices.empty()) option->check(CLI::IsMember(choices));
  if (ReferencedService(schema_, flag.field)) option->check(kNonEmpty);
  return option;
}

int ResourceCli::Run(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app_.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(UsageMessage(app_, error), ParsedPath(app_));
  }
  return Execute();
}

int ResourceCli::Execute() {
  BaseUrl base;
  if (int code = ChooseDaemon(url_, token_, ParsedPath(app_), &base); code >= 0) return code;
  auto given = [](const FlagValue& v) { return v.given(); };
  if (Parsed(update_) && std::none_of(update_values_.begin(), update_values_.end(), given)) {
    return ReportUsage("nothing to update: give at least one field flag", ParsedPath(app_));
  }
  RestClient client(base);
  bool listing = list_->parsed();
  Json out;
  Status status = listing ? List(client, &out) : Single(client, &out);
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
  for (const auto& item : filters.items()) {
    if (!item.value().is_array()) query.emplace_back(item.key(), Text(item.value()));
    for (const Json& one : item.value().is_array() ? item.value() : Json::array()) {
      query.emplace_back(item.key() + "[$in][]", Text(one));
    }
  }
  if (limit_ >= 0) query.emplace_back("$limit", std::to_string(limit_));
  if (skip_ >= 0) query.emplace_back("$skip", std::to_string(skip_));
  Json page;
  status = client.Get("/" + spec_.service, query, &page);
  return status.ok() ? ReadPage(page, spec_.service, rows) : status;
}

// Every verb but list: create needs no id; the others resolve theirs first (prefix, slug).
Status ResourceCli::Single(RestClient& client, Json* record) {
  if (Parsed(create_)) {
    Json body;
    Status status = Fields(client, create_values_, &body);
    for (size_t i = 0; i < presets_given_.size(); ++i) {
      if (presets_given_[i]) body[spec_.presets[i].field] = spec_.presets[i].value;
    }
    return status.ok() ? client.Post("/" + spec_.service, body, record) : status;
  }
  if (Parsed(show_)) return ResolveRecord(client, spec_.service, id_, "", record);
  std::string full_id;
  Status status = ResolveId(client, spec_.service, id_, "", &full_id);
  return status.ok() ? Write(client, full_id, record) : status;
}

Status ResourceCli::Write(RestClient& client, const std::string& id, Json* record) {
  std::string path = PathJoin(spec_.service, id);
  if (Parsed(rm_)) return client.Delete(path, record);
  if (const ActionVerb* action = ParsedAction()) {
    return client.Post(path + "/" + action->verb, Json::object(), record);
  }
  Json body;
  Status status = Fields(client, update_values_, &body);
  return status.ok() ? client.Patch(path, body, record) : status;
}

const ActionVerb* ResourceCli::ParsedAction() const {
  for (size_t i = 0; i < actions_.size(); ++i) {
    if (actions_[i]->parsed()) return &spec_.actions[i];
  }
  return nullptr;
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

// One flag's JSON value; a reference (id, prefix or slug) is resolved to the full id it names.
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

std::string ParsedPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* verb : app.get_subcommands()) path += " " + verb->get_name();
  return path;
}

std::string UsageMessage(const CLI::App& app, const CLI::ParseError& error) {
  std::vector<std::string> extra = app.remaining(true);
  bool no_verb = app.get_subcommands().empty();
  if (no_verb && !extra.empty() && extra[0][0] != '-') {
    return "unknown subcommand '" + extra[0] + "'" + DidYouMean(extra[0], VerbNames(app));
  }
  if (no_verb && extra.empty()) {
    std::string verbs;
    for (const CLI::App* verb : app.get_subcommands({})) {
      verbs += (verbs.empty() ? "" : ", ") + verb->get_name();
    }
    return "a subcommand is required: " + verbs;
  }
  return TranslateParseError(error, extra);
}

int RunResource(const ResourceSpec& spec, int argc, char** argv) {
  return ResourceCli(spec).Run(argc, argv);
}

int ReportFailure(const Status& status) {
  std::string message = LowerFirst(WithoutLibraryText(status.message()));
  // A 401 that came over Socket.IO: RestClient words its own (with the URL) already.
  bool unworded = status.code() == Code::kNotAuthenticated && !IsNotAuthenticated(status);
  if (unworded) {
    message = "not logged in: run 'agor login' or set AGOR_TOKEN (" + message + ")";
    fprintf(stderr, "agor: %s\n", OneLine(message).c_str());
    return kExitNotAuthenticated;
  }
  fprintf(stderr, "agor: %s\n", OneLine(message).c_str());
  if (IsUnreachable(status)) return kExitUnreachable;
  return IsNotAuthenticated(status) ? kExitNotAuthenticated : kExitFailure;
}

void AddClientFlags(CLI::App* app, ClientFlags* flags) {
  app->add_option(
      "--url", flags->url,
      "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
  AddTokenFlag(app, &flags->token);
  app->add_flag("--json", flags->json, "JSON lines even on a terminal");
}

Status FindRecords(RestClient& client, const std::string& service, const QueryParams& query,
                   Json* rows) {
  Json page;
  Status status = client.Get("/" + service, query, &page);
  return status.ok() ? ReadPage(page, service, rows) : status;
}

void AddTokenFlag(CLI::App* app, std::string* token) {
  app->add_option("--token", *token,
                  "JWT or agor_sk_ API key (default $AGOR_TOKEN, else the 'agor login' token, "
                  "else ~/.agor/admin-credentials)");
}

int ChooseDaemon(const std::string& url_flag, const std::string& token_flag,
                 const std::string& command_path, BaseUrl* out) {
  Status status = ParseBaseUrl(ChooseUrl(url_flag), out);
  if (status.ok()) status = AttachCredential(token_flag, out);
  if (status.ok()) return -1;
  if (status.code() == Code::kBadRequest) return ReportUsage(status.message(), command_path);
  return ReportFailure(status);
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
    return ReportUsage(TranslateParseError(error, app.remaining(true)), command_path);
  }
  return -1;
}

}  // namespace agor
