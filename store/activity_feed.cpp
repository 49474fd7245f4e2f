#include "store/activity_feed.h"

#include <cstdio>

#include "base/clock.h"
#include "base/json.h"
#include "base/utf8.h"

namespace agor {
namespace {

Json IdOrNull(const std::string& id) {
  return id.empty() ? Json(nullptr) : Json(id);
}

// One line: every control character (newlines, tabs, escapes) becomes a space.
std::string OneLine(const std::string& text) {
  std::string out = ToValidUtf8(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

std::string Cut(const std::string& text) {
  return std::string(Utf8Prefix(OneLine(text), kMaxSummaryBytes));
}

std::string ShortId(const std::string& id) {
  return id.substr(0, 8);
}

std::string UserLabel(ActivityNames& names, const std::string& user_id) {
  if (user_id.empty()) return "agor";
  std::string name = names.UserName(user_id);
  return name.empty() ? "user " + ShortId(user_id) : name;
}

std::string ActorName(const Event& ev, ActivityNames& names) {
  return ev.actor_agent.empty() ? UserLabel(names, ev.actor_id) : ev.actor_agent;
}

// A session by its title, else its id's prefix; from the record when it is the session's own
// event (a removed one is gone from the table already).
std::string SessionLabel(const Event& ev, ActivityNames& names, std::string* tool) {
  std::string title, agent;
  if (ev.service == "sessions") {
    title = StringField(ev.record, "title");
    agent = StringField(ev.record, "agentic_tool");
  } else {
    names.Session(ev.session_id, &title, &agent);
  }
  if (tool) *tool = agent.empty() ? "the agent" : agent;
  return title.empty() ? ShortId(ev.session_id) : title;
}

bool Within(const std::string& earlier, const std::string& later, int64_t ms) {
  int64_t a = 0, b = 0;
  return ParseIso8601(earlier, &a) && ParseIso8601(later, &b) && b - a <= ms;
}

bool SameActor(const ActivityEntry& e, const Event& ev) {
  return e.actor_id == ev.actor_id && e.actor_agent == ev.actor_agent;
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return n == 1 ? std::string("a ") + one : std::to_string(n) + " " + many;
}

// The summary of an entry that grows, from what it holds.
std::string GrowingSummary(const ActivityEntry& e) {
  if (e.verb == "wrote")
    return e.actor_name + " wrote " + Plural(e.count, "message", "messages") + " in " + e.subject;
  std::string times = e.count > 1 ? " (" + std::to_string(e.count) + " times)" : "";
  return e.actor_name + " updated " + e.subject + times;
}

struct Draft {  // what one event's entry says
  std::string verb, subject, summary;
};

// The daemon's own updates (a restart idling sessions, owners given to old boards) and a
// run's status changes say nothing people did.
bool Unattended(const Event& ev) {
  bool update = ev.event != "created" && ev.event != "removed";
  return !ev.actor_agent.empty() || (update && ev.actor_id.empty());
}

bool BoardDraft(const Event& ev, ActivityNames& names, Draft* d) {
  if (Unattended(ev)) return false;
  std::string actor = ActorName(ev, names);
  d->subject = "board " + StringField(ev.record, "name");
  d->verb = ev.event == "created" ? "created" : ev.event == "removed" ? "removed" : "updated";
  d->summary = actor + " " + d->verb + " " + d->subject;
  return true;
}

bool SessionDraft(const Event& ev, ActivityNames& names, Draft* d) {
  if (Unattended(ev)) return false;
  d->subject = "session " + SessionLabel(ev, names, nullptr);
  d->verb = ev.event == "created" ? "created" : ev.event == "removed" ? "removed" : "updated";
  d->summary = ActorName(ev, names) + " " + d->verb + " " + d->subject;
  return true;
}

std::string TaskEnd(const Event& ev, const std::string& status, const std::string& session) {
  const Json& ms = ev.record.is_object() ? ev.record.value("duration_ms", Json()) : Json();
  std::string took = ms.is_number_integer() ? FormatDuration(ms.get<int64_t>()) : "";
  if (status == "completed")
    return "task in " + session + " completed" + (took.empty() ? "" : " in " + took);
  if (status == "stopped")
    return "task in " + session + " stopped" + (took.empty() ? "" : " after " + took);
  std::string error = StringField(ev.record, "error");
  return "task in " + session + " failed" + (error.empty() ? "" : ": " + error);
}

bool TaskDraft(const Event& ev, ActivityNames& names, Draft* d) {
  std::string tool;
  std::string session = SessionLabel(ev, names, &tool);
  d->subject = "session " + session;
  if (ev.event == "created") {
    d->verb = "prompted";
    d->summary = ev.actor_id.empty() && ev.actor_agent.empty()
                     ? "a queued prompt started " + tool + " in " + session
                     : ActorName(ev, names) + " prompted " + tool + " in " + session;
  } else if (ev.event == "removed") {
    d->verb = "removed";
    d->summary = ActorName(ev, names) + " removed a task in " + session;
  } else {
    std::string status = StringField(ev.record, "status");
    if (status != "completed" && status != "failed" && status != "stopped") return false;
    d->verb = status;
    d->summary = TaskEnd(ev, status, session);
  }
  return true;
}

bool MessageDraft(const Event& ev, ActivityNames& names, Draft* d) {
  if (ev.event != "created" && ev.event != "removed") return false;
  bool queued = StringField(ev.record, "status") == "queued";
  // A prompt's own message: its task's `prompted` entry says it.
  if (!queued && ev.event == "created" && ev.actor_agent.empty() &&
      !StringField(ev.record, "task_id").empty())
    return false;
  d->verb = ev.event == "removed" ? "removed" : queued ? "queued" : "wrote";
  if (d->verb == "wrote") return true;  // named only if it starts an entry: see DeriveActivity
  std::string session = SessionLabel(ev, names, nullptr);
  d->subject = session;
  if (ev.event == "removed") {
    d->verb = "removed";
    d->summary = ActorName(ev, names) + " removed a message in " + session;
    return true;
  }
  d->summary = ActorName(ev, names) + " queued a prompt in " + session;
  return true;
}

bool MemberDraft(const Event& ev, ActivityNames& names, Draft* d) {
  std::string member = UserLabel(names, StringField(ev.record, "user_id"));
  d->subject = member;
  if (ev.event == "created") {
    d->verb = "joined";
    d->summary = member + " joined the board";
  } else if (ev.event == "removed") {
    d->verb = "left";
    d->summary = member + " left the board";
  } else {
    d->verb = "role";
    d->summary = member + " is now " + StringField(ev.record, "role") + " on the board";
  }
  return true;
}

bool MakeDraft(const Event& ev, ActivityNames& names, Draft* d) {
  if (ev.board_id.empty()) return false;
  if (ev.service == "boards") return BoardDraft(ev, names, d);
  if (ev.service == "sessions") return SessionDraft(ev, names, d);
  if (ev.service == "tasks") return TaskDraft(ev, names, d);
  if (ev.service == "messages") return MessageDraft(ev, names, d);
  if (ev.service == "board-members") return MemberDraft(ev, names, d);
  return false;
}

// Whether `ev`, drafted as `d`, grows `previous` (see the header's grouping rules).
bool Grows(const ActivityEntry& previous, const Event& ev, const Draft& d) {
  if (previous.verb != d.verb || !SameActor(previous, ev)) return false;
  std::string task = StringField(ev.record, "task_id");
  if (d.verb == "wrote" && !task.empty()) return previous.task_id == task;
  if (d.verb != "wrote" && d.verb != "updated") return false;
  // A `wrote` draft names no subject (its session is the grouping key, which saves a lookup).
  bool same = d.verb == "wrote" || previous.subject == d.subject;
  return same && previous.task_id.empty() && previous.session_id == ev.session_id &&
         Within(previous.ts, ev.ts, kActivityGroupMs);
}

}  // namespace

Json ActivityEntry::ToJson() const {
  return Json{{"activity_id", activity_id},
              {"board_id", board_id},
              {"session_id", IdOrNull(session_id)},
              {"task_id", IdOrNull(task_id)},
              {"actor", {{"user_id", IdOrNull(actor_id)}, {"name", actor_name}}},
              {"verb", verb},
              {"summary", summary},
              {"count", count},
              {"first_seq", first_seq},
              {"last_seq", last_seq},
              {"ts", ts}};
}

ActivityGroup GroupOf(const Event& ev) {
  if (ev.board_id.empty()) return ActivityGroup::kNone;
  if (ev.service == "messages" && ev.event == "created") {
    bool run = !ev.actor_agent.empty() && !StringField(ev.record, "task_id").empty();
    return run ? ActivityGroup::kTask : ActivityGroup::kSession;
  }
  bool update = ev.event == "patched" || ev.event == "updated";
  if (update && (ev.service == "boards" || ev.service == "sessions")) return ActivityGroup::kBoard;
  return ActivityGroup::kNone;
}

ActivityChange DeriveActivity(const Event& ev, const ActivityEntry* previous, ActivityNames& names,
                              ActivityEntry* out) {
  Draft d;
  if (!MakeDraft(ev, names, &d)) return ActivityChange::kNone;
  if (previous && Grows(*previous, ev, d)) {
    *out = *previous;
    ++out->count;
    out->last_seq = ev.seq;
    out->ts = ev.ts;
    out->summary = Cut(GrowingSummary(*out));
    return ActivityChange::kGrown;
  }
  ActivityEntry e;
  e.board_id = ev.board_id;
  e.session_id = ev.service == "boards" || ev.service == "board-members" ? "" : ev.session_id;
  if (ev.service == "tasks" || ev.service == "messages")
    e.task_id = StringField(ev.record, "task_id");
  e.actor_id = ev.actor_id;
  e.actor_agent = ev.actor_agent;
  e.actor_name = Cut(ActorName(ev, names));
  e.verb = d.verb;
  e.subject = Cut(d.verb == "wrote" ? SessionLabel(ev, names, nullptr) : d.subject);
  e.first_seq = e.last_seq = ev.seq;
  e.ts = ev.ts;
  e.summary = Cut(d.summary.empty() ? GrowingSummary(e) : d.summary);
  *out = std::move(e);
  return ActivityChange::kCreated;
}

std::string FormatDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[64];
  if (ms < 10000) {
    snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 120000) {
    snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ms / 1000));
  } else if (ms < 7200000) {
    snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(ms / 60000),
             static_cast<long long>(ms / 1000 % 60));
  } else {
    snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(ms / 3600000),
             static_cast<long long>(ms / 60000 % 60));
  }
  return buf;
}

}  // namespace agor
