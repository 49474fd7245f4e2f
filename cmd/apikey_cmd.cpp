// `agor apikey create|list|rm`: the caller's own personal API keys (the api-keys service).
//
//   create NAME   POST /api-keys {name}: prints the key (`agor_sk_...`) once; on a terminal a
//                 stderr line says it will not be shown again. Piped: the record as a JSON line,
//                 the key in its `key` field.
//   list          GET /api-keys: id, name, prefix, created, last used (never a key).
//   rm KEY        DELETE /api-keys/:id, KEY being a key's name or its id (or 8+ hex prefix),
//                 matched among the caller's own keys; several matches are refused.
//
// Output, errors and exit codes as every client command (cmd/resource_cli.h, 4 for a 401).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "base/json.h"
#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr const char* kProgram = "agor apikey";
constexpr const char* kMaxKeys = "1000";

struct ApiKeyFlags {
  ClientFlags client;
  std::string name;  // create's NAME, rm's KEY
};

const CLI::Validator kText(
    [](std::string& text) {
      if (text.empty()) return std::string("must not be empty");
      return IsValidUtf8(text) ? std::string() : std::string("not valid UTF-8");
    },
    "", "Text");

const std::vector<Column>& KeyColumns() {
  static const std::vector<Column> columns = {{"ID", "id", Column::kShortId},
                                              {"NAME", "name"},
                                              {"PREFIX", "prefix"},
                                              {"CREATED", "created_at"},
                                              {"LAST USED", "last_used_at"}};
  return columns;
}

// The one key of `keys` whose name is `typed`, or whose id is / starts with it (8+ chars).
Status Pick(const Json& keys, const std::string& typed, Json* key) {
  std::vector<const Json*> found;
  for (const Json& k : keys) {
    std::string id = StringField(k, "id");
    bool by_id = typed.size() >= 8 && id.compare(0, typed.size(), typed) == 0;
    if (StringField(k, "name") == typed || by_id) found.push_back(&k);
  }
  if (found.empty())
    return Status::NotFound("no API key of yours is named or has the id '" + typed + "'");
  if (found.size() > 1) {
    return Status::Conflict("'" + typed + "' matches " + std::to_string(found.size()) +
                            " API keys: give the id");
  }
  *key = *found[0];
  return Status::OK();
}

int Create(RestClient& client, const ApiKeyFlags& f) {
  Json key;
  Status status = client.Post("/api-keys", Json{{"name", f.name}}, &key);
  if (!status.ok()) return ReportFailure(status);
  OutputStyle style = DetectStyle(f.client.json);
  if (style.json) {
    PrintRecord(style, key);
    return kExitOk;
  }
  std::string secret =
      StringField(key, "key").empty() ? StringField(key, "api_key") : StringField(key, "key");
  WriteStdout(TerminalSafe(secret) + "\n");
  fprintf(stderr, "agor: API key '%s' created: store it now, it will not be shown again\n",
          TerminalSafe(f.name).c_str());
  return kExitOk;
}

int Remove(RestClient& client, const ApiKeyFlags& f) {
  Json keys, key, out;
  Status status = FindRecords(client, "api-keys", {{"$limit", kMaxKeys}}, &keys);
  if (status.ok()) status = Pick(keys, f.name, &key);
  if (status.ok()) status = client.Delete(PathJoin("api-keys", StringField(key, "id")), &out);
  if (!status.ok()) return ReportFailure(status);
  PrintRecord(DetectStyle(f.client.json), out);
  return kExitOk;
}

}  // namespace

int RunApiKey(int argc, char** argv) {
  CLI::App app{"create, list and revoke your personal API keys", kProgram};
  app.require_subcommand(1);
  ApiKeyFlags f;
  CLI::App* create = app.add_subcommand("create", "create a key; it is shown once")->alias("add");
  create->add_option("name", f.name, "what the key is for")->required()->check(kText);
  create->footer("example:\n  agor apikey create ci-runner");
  CLI::App* list = app.add_subcommand("list", "list your keys (never the keys themselves)");
  list->alias("ls")->footer("example:\n  agor apikey list");
  CLI::App* rm = app.add_subcommand("rm", "revoke a key");
  rm->add_option("key", f.name, "the key's name, id or 8+ character id prefix")
      ->required()
      ->check(kText);
  rm->footer("example:\n  agor apikey rm ci-runner");
  for (CLI::App* level : {&app, create, list, rm}) AddClientFlags(level, &f.client);
  app.footer(
      "examples:\n  agor apikey create ci-runner\n  agor apikey list\n  agor apikey rm ci-runner\n"
      "  AGOR_TOKEN=agor_sk_... agor board list");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(UsageMessage(app, error), ParsedPath(app));
  }
  BaseUrl base;
  int code = ChooseDaemon(f.client.url, f.client.token, ParsedPath(app), &base);
  if (code >= 0) return code;
  RestClient client(base);
  if (create->parsed()) return Create(client, f);
  if (rm->parsed()) return Remove(client, f);
  Json rows;
  Status status = FindRecords(client, "api-keys", {}, &rows);
  if (!status.ok()) return ReportFailure(status);
  PrintRecords(DetectStyle(f.client.json), KeyColumns(), rows);
  return kExitOk;
}

}  // namespace agor
