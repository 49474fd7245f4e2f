// ResourceCli: the one generic client command behind `agor board`, `agor session` and
// `agor repo`. A ResourceSpec (data, no code) names the Feathers service, the flags that set
// record fields, the list filters and the table columns; RunResource turns it into
//
//   agor <command> list [--limit N] [--skip N] [filters...]     GET    /<service>
//   agor <command> <create-verb> [<positional>] [field flags]   POST   /<service>
//   agor <command> show <id>                                    GET    /<service>/<id>
//   agor <command> update <id> [field flags]                    PATCH  /<service>/<id>
//   agor <command> rm <id>                                      DELETE /<service>/<id>
//
// with --url URL, --json and -h/--help on every level. Output follows cmd/output.h: list
// prints records, the other verbs print the one record the server answered.
//
// Field rules come from store/schema.h: an enum field's flag only accepts its choices (checked
// before any request), and an id field that references another service (board_id -> boards)
// accepts an id or a unique prefix, resolved with GET /<that service>/<prefix> to the full id
// before it is sent. Ids given to show/update/rm go to the server as typed (it resolves
// prefixes of 8+ hex digits itself).
//
// Exit codes (cmd/command.h): 0 ok; 1 the server refused ("agor: <server message>");
// 2 usage ("agor: <problem> (see '<command> --help')"); 3 unreachable ("agor: cannot reach
// agor at <url>: is 'agor serve' running?"). Every failure is exactly one stderr line.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "cmd/output.h"

namespace CLI {
class App;
}

namespace agor {

class RestClient;

// A command-line flag that sets (or filters on) one field of the service's records.
struct FieldFlag {
  std::string flag;   // "--slug"
  std::string field;  // "slug": a field of the service's schema
  std::string help;
  bool positional = false;  // create takes it as a required positional argument; update as flag
  bool repeatable = false;  // each occurrence adds one element to a JSON array
  bool required = false;    // required on create (positional fields always are)
};

struct ResourceSpec {
  std::string command;             // "board": the program name is "agor board"
  std::string service;             // "boards"
  std::string create_verb;         // "create" or "add"
  std::vector<FieldFlag> fields;   // create and update flags, in body order
  std::vector<FieldFlag> filters;  // list filters (equality on the field)
  std::vector<Column> columns;     // list's table columns
  bool has_show = true;
  bool has_update = true;
};

// Parses argv (argv[0] is the command's name), runs the request, prints, returns the exit code.
int RunResource(const ResourceSpec& spec, int argc, char** argv);

// GET /<service>/<id_or_prefix>: the full id (the service's id field) of the record a full id or
// unique prefix names. A refusal keeps its code and reads "<label>: <server message>"; an
// unreachable daemon's status comes back as is; an answer without the id is a GeneralError.
Status ResolveId(RestClient& client, const std::string& service, const std::string& id_or_prefix,
                 const std::string& label, std::string* full_id);

// Prints "agor: <message>" on stderr; returns 3 when `status` is unreachable, else 1.
int ReportFailure(const Status& status);

// Prints "agor: <message> (see '<command_path> --help')" on stderr; returns 2.
int ReportUsage(const std::string& message, const std::string& command_path);

// Parses argv into `app`: -1 when the command should go on, else the exit code to return
// (0 after --help is printed, 2 after a usage error is reported on stderr).
int ParseCommandLine(CLI::App& app, int argc, char** argv, const std::string& command_path);

}  // namespace agor
