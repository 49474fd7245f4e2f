"""Socket.IO connection-state recovery with python3-socketio.

python-socketio 5.7 does not recover by itself (it has no `recovered` flag and drops the
CONNECT reply's `pid`), but it sends whatever `auth` gives at each connect and reconnect, so an
app can send Socket.IO's {pid, offset}: helpers.Client(recover=True) does (the pid kept by a
one-method subclass, the offset being the last argument of every event). agor then replays
exactly the events the client missed from its durable event log, before the CONNECT reply,
also across `kill -9` and a restart of the daemon on the same database and port.
"""

import unittest

from daemon import start_daemon
from helpers import WAIT_S, Client, Rest, make_board, make_message, make_session

RECONNECT_WAIT_S = 10


def message_ids(client):
    return [i["record"]["message_id"] for i in client.rec.by_offset()
            if i["name"] == "messages created"]


class Recovery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = start_daemon()
        cls.rest = Rest(cls.daemon)
        cls.board = make_board(cls.rest)
        cls.session = make_session(cls.rest, cls.board["board_id"])
        other_board = make_board(cls.rest)
        cls.other_session = make_session(cls.rest, other_board["board_id"])

    @classmethod
    def tearDownClass(cls):
        cls.daemon.dispose()

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()

    def subscriber(self, transports, reconnection=False):
        """A recovering client on the board, which has seen one message (so has an offset)."""
        c = Client(self.daemon, transports=transports, services=("messages",),
                   reconnection=reconnection, recover=True)
        self.clients.append(c)
        c.service("subscriptions").create({"board_id": self.board["board_id"]})
        first = self.write(1, "before the drop")
        c.rec.wait_for(lambda items: len(items) == 1, what="the first message")
        self.assertEqual(message_ids(c), first)
        return c

    def write(self, n, label, session=None):
        session = session or self.session
        return [make_message(self.rest, session["session_id"], f"{label} {k}")["message_id"]
                for k in range(n)]

    def wait_disconnected(self, c):
        self.assertTrue(c.disconnected.wait(WAIT_S), "the client did not see the drop")

    def assert_recovered(self, c, pid, expected):
        """After a reconnect: the same pid, then exactly `expected`, once, in seq order."""
        self.assertEqual(c.pid(), pid, "the CONNECT reply keeps the pid: recovered")
        c.rec.wait_for(lambda items: len(items) >= len(expected),
                       what=f"{len(expected)} messages", timeout=RECONNECT_WAIT_S)
        # Live events after the recovery: the board subscription came back with the pid.
        live = self.write(1, "after the recovery")
        c.rec.wait_for(lambda items: len(items) >= len(expected) + 1, what="a live message")
        self.assertEqual(message_ids(c), expected + live)

    def check_reconnect_after_disconnect(self, transports):
        c = self.subscriber(transports)
        pid, before = c.pid(), message_ids(c)
        c.close()
        self.wait_disconnected(c)
        missed = self.write(5, "missed")
        self.write(2, "another board", self.other_session)
        c.connect()
        self.assert_recovered(c, pid, before + missed)

    def test_reconnect_after_disconnect_websocket(self):
        self.check_reconnect_after_disconnect(["websocket"])

    def test_reconnect_after_disconnect_polling(self):
        self.check_reconnect_after_disconnect(["polling"])

    def test_reconnect_after_disconnect_default_transports(self):
        self.check_reconnect_after_disconnect(None)

    def test_unknown_pid_gets_a_fresh_session_and_no_replay(self):
        c = self.subscriber(["websocket"])
        c.close()
        self.wait_disconnected(c)
        self.write(2, "not replayed")
        c.sio.connect_replies.append({"pid": "no-such-pid"})
        c.connect()
        self.assertNotEqual(c.pid(), "no-such-pid")
        # Not recovered: no subscription either, so the board's messages no longer come.
        self.assertEqual(c.service("subscriptions").find(), [])
        self.assertEqual(len(message_ids(c)), 1)


class RecoveryAcrossRestarts(unittest.TestCase):
    def setUp(self):
        self.daemon = start_daemon()
        self.rest = Rest(self.daemon)
        self.board = make_board(self.rest)
        self.session = make_session(self.rest, self.board["board_id"])
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.daemon.dispose()

    def write(self, n, label):
        return [make_message(self.rest, self.session["session_id"], f"{label} {k}")["message_id"]
                for k in range(n)]

    def subscriber(self, transports, reconnection=False):
        c = Client(self.daemon, transports=transports, services=("messages",),
                   reconnection=reconnection, recover=True)
        self.clients.append(c)
        c.service("subscriptions").create({"board_id": self.board["board_id"]})
        before = self.write(2, "before")
        c.rec.wait_for(lambda items: len(items) == 2, what="the first messages")
        return c, before

    def check_restart(self, stop):
        c, before = self.subscriber(["websocket"])
        pid = c.pid()
        stop()
        self.assertTrue(c.disconnected.wait(WAIT_S), "the client did not see the daemon go")
        self.daemon.restart()
        missed = self.write(4, "while away")
        c.connect()
        self.assertEqual(c.pid(), pid, "recovered across the restart")
        c.rec.wait_for(lambda items: len(items) >= 6, what="the missed messages")
        self.assertEqual(message_ids(c), before + missed)

    def test_after_kill_9(self):
        self.check_restart(self.daemon.kill9)

    def test_after_sigterm(self):
        self.check_restart(self.daemon.stop)

    def test_python_socketio_reconnects_by_itself(self):
        # Its own reconnection loop sends the auth callable's {pid, offset}. Whether the writes
        # below land before or after it is back, each message must arrive exactly once.
        c, before = self.subscriber(["websocket"], reconnection=True)
        pid = c.pid()
        self.daemon.kill9()
        self.assertTrue(c.disconnected.wait(WAIT_S))
        self.daemon.restart()
        missed = self.write(4, "while reconnecting")
        self.assertTrue(c.connected.wait(RECONNECT_WAIT_S), "python-socketio did not reconnect")
        self.assertEqual(c.pid(), pid, "recovered")
        c.rec.wait_for(lambda items: len(items) >= 6, what="the missed messages")
        later = self.write(1, "live")
        c.rec.wait_for(lambda items: len(items) >= 7, what="a live message")
        self.assertEqual(message_ids(c), before + missed + later)


if __name__ == "__main__":
    unittest.main()
