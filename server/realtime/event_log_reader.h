// EventLogReader: the EventOrderer's LogReader (event_orderer.h) over the store's event log, so
// a remote broker fills its gaps from the log every node shares.
//
// Each read commits the store's open batch first, as a recovery replay does: the store's
// connection sees its own uncommitted appends, and an event that can still roll back must
// never be delivered. The commit publishes the batch's events; the broker queues a publish
// made while the orderer runs (redis_broker.h), so nothing re-enters the orderer.
//
// Threading: the event loop that owns the store. The store is borrowed and must outlive it.
#pragma once

#include <exception>

#include "server/realtime/event_orderer.h"
#include "store/store.h"

namespace agor {

class EventLogReader : public LogReader {
 public:
  explicit EventLogReader(Store* store) : store_(store) {}

  Status ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out) override {
    Status s = store_->Commit();
    return s.ok() ? store_->event_log()->ReadSince(after_seq, max, out) : s;
  }
  Status LastSeq(int64_t* out) override {
    Status s = store_->Commit();
    if (!s.ok()) return s;
    try {
      *out = store_->event_log()->LastSeq();
      return Status::OK();
    } catch (const std::exception& e) {  // SQLiteCpp throws on a failed read
      return Status::GeneralError(std::string("reading the event log's end: ") + e.what());
    }
  }

 private:
  Store* store_;
};

}  // namespace agor
