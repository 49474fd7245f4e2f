// ResourceCli: the one generic client command behind `agor board`, `agor session`, `agor repo`
// and `agor task`. A ResourceSpec (data, no code) names the Feathers service, the flags that
// set record fields, the list filters, the table columns and the examples; RunResource turns it
// into
//
//   agor <command> list|ls [--limit N] [--skip N] [filters...]   GET    /<service>
//   agor <command> create|add [<positional>] [field flags]       POST   /<service>
//   agor <command> show <id>                                     GET    /<service>/<id>
//   agor <command> update <id> [field flags]                     PATCH  /<service>/<id>
//   agor <command> rm <id>                                       DELETE /<service>/<id>
//   agor <command> <action> <id>                                 POST   /<service>/<id>/<action>
//
// (each verb but list only when the spec has it) with --url URL, --token T (cmd/credentials.h),
// --json and -h/--help on every
// level; --help ends with the spec's examples. Output follows cmd/output.h: list prints
// records, the other verbs print the one record (or action answer) the server sent.
//
// Field rules come from base/schema.h: an enum field's flag only accepts its choices (checked
// before any request), a repeatable filter matches any of its values ($in), and an id field
// that references another service (board_id -> boards) is resolved to the full id before it is
// sent. Ids, of the positional <id> too, go through cmd/id_resolver.h: full id, unique prefix
// of 8+ hex digits, or slug (boards, repos); too short and ambiguous prefixes are explained.
// Every text argument must be valid UTF-8 (usage error otherwise).
//
// Exit codes (cmd/command.h): 0 ok; 1 the server refused ("agor: <server message>");
// 2 usage ("agor: <problem> (see '<command> --help')", CLI11's messages in agor's words, a
// mistyped verb with the closest one suggested); 3 unreachable ("agor: cannot reach agor at
// <url>: is 'agor serve' running?"). Every failure is exactly one stderr line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "cmd/client/rest_client.h"
#include "cmd/id_resolver.h"
#include "cmd/output.h"

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace agor {

// A command-line flag that sets (or filters on) one field of the service's records.
struct FieldFlag {
  std::string flag;   // "--slug"
  std::string field;  // "slug": a field of the service's schema
  std::string help;
  bool positional = false;  // create takes it as a required positional argument; update as flag
  bool repeatable = false;  // each occurrence adds one element to a JSON array
  bool required = false;    // required on create (positional fields always are)
};

// A verb that POSTs to /<service>/<id>/<verb> (`agor session stop ID`).
struct ActionVerb {
  std::string verb;  // "stop": also the path's last segment
  std::string help;
};

// A flag of create that sets a field to a fixed value (`--private`: visibility = "private").
struct PresetFlag {
  std::string flag;   // "--private"
  std::string field;  // "visibility"
  std::string value;  // "private"
  std::string help;
};

struct ResourceSpec {
  std::string command;             // "board": the program name is "agor board"
  std::string service;             // "boards"
  std::vector<FieldFlag> fields;   // create and update flags, in body order
  std::vector<FieldFlag> filters;  // list filters (equality, or $in when repeatable)
  std::vector<Column> columns;     // list's table columns
  // verb -> one example command line, shown by that verb's --help and (all) by the command's.
  std::vector<std::pair<std::string, std::string>> examples;
  bool has_create = true;
  bool has_show = true;
  bool has_update = true;
  bool has_rm = true;
  std::vector<ActionVerb> actions;
  std::vector<PresetFlag> presets;  // create's; a preset wins over its field's own flag
};

// Parses argv (argv[0] is the command's name), runs the request, prints, returns the exit code.
int RunResource(const ResourceSpec& spec, int argc, char** argv);

// Prints "agor: <message>" on stderr (first letter lowered, one line); returns 3 when `status`
// is unreachable, 4 when it is the server's 401 (worded as how to log in: RestClient's own
// words with the URL, or "not logged in: run 'agor login' or set AGOR_TOKEN (<message>)" for a
// Socket.IO answer), else 1.
int ReportFailure(const Status& status);

// The flags of every client command: --url, --token, --json.
struct ClientFlags {
  std::string url;
  std::string token;
  bool json = false;
};
void AddClientFlags(CLI::App* app, ClientFlags* flags);

// GET /<service><query> and the page's records (a note on stderr when more follow).
Status FindRecords(RestClient& client, const std::string& service, const QueryParams& query,
                   Json* rows);

// Adds `--token T` to `app` (the credential order of cmd/credentials.h in its help).
void AddTokenFlag(CLI::App* app, std::string* token);

// The daemon to talk to from --url and --token (ChooseUrl, then AttachCredential): -1 when
// the command should go on, else the exit code after a one-line report (2 for a bad URL,
// --token or AGOR_TOKEN; 1 for a refused token file).
int ChooseDaemon(const std::string& url_flag, const std::string& token_flag,
                 const std::string& command_path, BaseUrl* out);

// Prints "agor: <message> (see '<command_path> --help')" on stderr; returns 2.
int ReportUsage(const std::string& message, const std::string& command_path);

// "agor board create", or "agor board" before a verb is parsed: what `see '... --help'` names.
std::string ParsedPath(const CLI::App& app);

// A command-with-verbs' parse error in agor's words: a missing verb lists the verbs, an unknown
// one suggests the closest verb or alias, anything else is CLI11's message translated.
std::string UsageMessage(const CLI::App& app, const CLI::ParseError& error);

// Parses argv into `app`: -1 when the command should go on, else the exit code to return
// (0 after --help is printed, 2 after a usage error is reported on stderr in agor's words).
int ParseCommandLine(CLI::App& app, int argc, char** argv, const std::string& command_path);

}  // namespace agor
