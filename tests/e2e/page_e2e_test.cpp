// End-to-end test of the board page served by the real daemon: the page and the script it
// names, their caching and security headers, HEAD, 304, an unknown asset; and that a page
// loaded from the daemon's own origin may log in and open the socket whatever --cors-origin
// lists, while another origin and another Host are still refused.
#include <regex>

#include "tests/e2e/web_test_helpers.h"

namespace agor {
namespace {

using namespace web_test;

Response Exchange(const Daemon& d, const std::string& request) {
  RawHttp c;
  Open(&c, d);
  REQUIRE(c.SendRaw(request));
  return Read(&c);
}

// The first src="/assets/....js" of the page.
std::string ScriptOf(const std::string& html) {
  std::smatch m;
  REQUIRE(std::regex_search(html, m, std::regex(R"re(src="(/assets/[^"]+\.js)")re")));
  return m[1];
}

}  // namespace

TEST_CASE("the daemon serves the page, its script, 304s and Feathers 404s", "[e2e][page]") {
  // One daemon for all the checks below (plain blocks, not SECTIONs, which would restart it).
  // An allow list without the daemon's own origin: the page's requests still pass.
  Daemon d({"--cors-origin", "http://app.example"});
  const std::string own = "Origin: http://127.0.0.1:" + std::to_string(d.port()) + "\r\n";

  Response page = Exchange(d, Get("/"));
  CHECK(page.status == 200);
  CHECK(page.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(page.headers["cache-control"] == "no-cache");
  CHECK(page.headers["x-content-type-options"] == "nosniff");
  CHECK(page.headers["content-security-policy"].find("script-src 'self'") != std::string::npos);
  CHECK(page.headers["content-security-policy"].find("frame-ancestors 'none'") !=
        std::string::npos);
  CHECK(page.body.find("<!doctype html>") == 0);
  const std::string etag = page.headers["etag"];
  REQUIRE_FALSE(etag.empty());
  CHECK(Exchange(d, Get("/index.html")).body == page.body);

  {  // the script it names, as a module script fetches it (with the page's Origin)
    Response script = Exchange(d, Get(ScriptOf(page.body), own));
    CHECK(script.status == 200);
    CHECK(script.headers["content-type"] == "text/javascript; charset=utf-8");
    CHECK(script.headers["cache-control"] == "public, max-age=31536000, immutable");
    CHECK(script.headers["x-content-type-options"] == "nosniff");
    CHECK(script.body.size() > 1000);
  }
  {  // revalidation: the same ETag answers 304 without a body, on a kept-alive connection
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw(Get("/", "If-None-Match: " + etag + "\r\n") + Get("/health")));
    Response not_modified = Read(&c);
    CHECK(not_modified.status == 304);
    CHECK(not_modified.body.empty());
    CHECK(not_modified.headers["etag"] == etag);
    CHECK(Read(&c).status == 200);  // the next answer follows at once
  }
  {  // HEAD: the headers of GET, no body
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    REQUIRE(c.WaitClosed(kTimeoutMs));
    const std::string& raw = c.buffered();
    CHECK(raw.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(raw.find("Content-Length: " + std::to_string(page.body.size()) + "\r\n") !=
          std::string::npos);
    CHECK(raw.size() == raw.find("\r\n\r\n") + 4);
  }
  {  // an unknown asset is a Feathers 404; /boards is still the service
    Response missing = Exchange(d, Get("/assets/app-00000000.js"));
    CHECK(missing.status == 404);
    CHECK(missing.json["name"] == "NotFound");
    CHECK(missing.json["code"] == 404);
    Response boards = Exchange(d, Get("/boards", Auth(d)));
    CHECK(boards.status == 200);
    CHECK(boards.json["data"].is_array());  // a Feathers find page
  }
  {  // the page's origin logs in and opens the socket; another origin or Host is refused
    std::string login =
        Json{{"strategy", "local"}, {"email", d.admin_email()}, {"password", d.admin_password()}}
            .dump();
    Response ok = Exchange(d, Post("/authentication", login, own));
    CHECK(ok.status == 201);
    CHECK(ok.json["accessToken"].is_string());
    CHECK(ok.headers["access-control-allow-origin"] ==
          "http://127.0.0.1:" + std::to_string(d.port()));
    RawWebSocket ws;
    CHECK(ws.Connect(d.port(), kWsTarget,
                     {"Origin: http://127.0.0.1:" + std::to_string(d.port())}) == 101);

    Response foreign =
        Exchange(d, Post("/authentication", login, "Origin: http://evil.example\r\n"));
    CHECK(foreign.status == 403);
    CHECK(foreign.json["name"] == "Forbidden");
    Response rebound = Exchange(d, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    CHECK(rebound.status == 403);  // DNS rebinding: not even the page
  }
}

}  // namespace agor
