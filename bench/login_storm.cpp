#include "bench/login_storm.h"

namespace agor::bench {

double LoginStormResult::logins_per_s() const {
  int64_t span = end_ns - start_ns;
  return span > 0 ? ok * 1e9 / static_cast<double>(span) : 0;
}

Json LoginStormResult::ToJson() const {
  return Json{{"ok", ok},
              {"limited", limited},
              {"failed", failed},
              {"logins_per_s", logins_per_s()},
              {"login_latency", login.ToJson()},
              {"first_error", first_error}};
}

LoginStorm::LoginStorm(EventLoop* loop, const std::vector<uint16_t>& ports, int logins,
                       const std::string& email, const std::string& password)
    : body_(Json{{"strategy", "local"}, {"email", email}, {"password", password}}.dump()) {
  for (int i = 0; i < logins; ++i) {
    clients_.push_back(std::make_unique<HttpClient>(loop, ports[i % ports.size()]));
  }
}

void LoginStorm::Start() {
  result_.start_ns = NowNs();
  for (auto& client : clients_) Send(client.get());
}

void LoginStorm::Send(HttpClient* client) {
  int64_t sent_ns = NowNs();
  ++in_flight_;
  bool sent = client->Request(
      "POST", "/authentication", body_,
      [=](int status, std::string_view text) { OnAnswer(client, sent_ns, status, text); });
  if (!sent) OnAnswer(client, sent_ns, 0, client->last_error());
}

// A login counts when it hands out a token: a 2xx without one would be a server that skipped
// the work the storm is there to cause.
void LoginStorm::OnAnswer(HttpClient* client, int64_t sent_ns, int status, std::string_view body) {
  int64_t now = NowNs();
  --in_flight_;
  result_.end_ns = now;
  bool token =
      (status == 200 || status == 201) && body.find("\"accessToken\"") != std::string_view::npos;
  if (token) {
    ++result_.ok;
    latency_.Add(now - sent_ns);
  } else if (status == 429) {
    ++result_.limited;
  } else {
    ++result_.failed;
    if (result_.first_error.empty())
      result_.first_error = std::to_string(status) + " " + std::string(body.substr(0, 300));
  }
  if (!stopping_ && status != 0) Send(client);
}

LoginStormResult LoginStorm::Result() {
  result_.login = latency_.Summarize();
  return result_;
}

}  // namespace agor::bench
