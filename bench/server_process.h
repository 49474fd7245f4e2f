// ServerProcess: one server under test on loopback with a fresh temporary database, started and
// stopped by the benchmark.
//   agor: `<agor> serve --port 0 --db <tmp>/agor.db --channels <mode> --log-level warn`; the URL
//         comes from its first stdout line `agor listening on http://127.0.0.1:PORT (db ...)`;
//         the admin's credentials from `<tmp>/admin-credentials`, written before it listens.
//         Every client of agor presents the admin's API key (token()); logins use the email
//         and password.
//   node: one of a cluster's agor nodes (bench/cluster.h): `--store <postgresql url> --broker
//         <redis url> --data-dir <tmp> --channels boards` instead of `--db`; only the first node
//         on a fresh store writes admin-credentials, so the others have no token() of their own.
//   peer: `node server.mjs` in the installed peer copy with PORT=<free port>
//         DB=<tmp>/peer.sqlite QUIET=1 CHANNELS=everybody|board; ready when the port accepts.
// The temporary directory (database, stdout/stderr logs) is removed by Stop().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace agor::bench {

// kNodes: agor's nodes of a Cluster, measured together (one column of the report).
enum class ServerKind { kAgor, kPeer, kNodes };
// agor's --channels boards|everybody; the peer's CHANNELS=board|everybody.
enum class ChannelMode { kEverybody, kBoards };

const char* ServerName(ServerKind kind);        // "agor", "peer", "nodes"
const char* ChannelModeName(ChannelMode mode);  // "everybody", "boards"

struct ServerPaths {
  std::string agor_binary;
  std::string peer_dir;  // an installed copy (see peer_install.h)
};

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (up to 30 s) until it accepts connections.
  Status Start(ServerKind kind, ChannelMode mode, const ServerPaths& paths);
  // Starts an agor node of a cluster (boards mode: `--broker` refuses everybody mode).
  Status StartNode(const std::string& store_url, const std::string& broker_url,
                   const ServerPaths& paths);
  // SIGTERM (SIGKILL after 10 s), then removes the temporary directory. Idempotent.
  void Stop();

  ServerKind kind() const { return kind_; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  // agor's admin API key, what every benchmark client presents; "" for the peer (no auth).
  const std::string& token() const { return token_; }
  const std::string& admin_email() const { return admin_email_; }
  const std::string& admin_password() const { return admin_password_; }
  // The end of the server's stderr and stdout, for error messages.
  std::string LogTail() const;

 private:
  Status Launch(ServerKind kind, const std::function<Status()>& start);
  Status StartAgor(const std::vector<std::string>& where, ChannelMode mode,
                   const ServerPaths& paths);
  Status StartPeer(ChannelMode mode, const ServerPaths& paths);
  Status WaitForAgorUrl();
  Status WaitForPort();
  Status ReadCredentials();

  ServerKind kind_ = ServerKind::kAgor;
  std::string tmp_dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string token_;
  std::string admin_email_;
  std::string admin_password_;
};

// A TCP port on 127.0.0.1 that was free a moment ago; 0 on failure.
uint16_t FreeLoopbackPort();

}  // namespace agor::bench
