"""Board channels (the default `--channels boards`) and `--channels everybody`, seen by
python3-socketio clients: who receives which event.

A negative check ("client X got nothing of board B") never sleeps: after the writes, a barrier
board is created, whose event reaches every connection after everything written before it.
python-engineio runs each message's handler on a thread of its own, so a client first waits
for every event it should get (assert_seen), then compares what it got with that, in offset
order: an extra event would have been sent before the barrier.
"""

import threading
import unittest

import socketio

from daemon import start_daemon
from helpers import (WAIT_S, Client, FeathersError, Rest, make_board, make_message,
                     make_session, uniq)

SERVICES = ("boards", "sessions", "tasks", "messages")


def barrier(rest, clients):
    """Creates a board and waits until each client has received its `boards created`."""
    board = make_board(rest, uniq("barrier"))
    for c in clients:
        c.rec.wait_item(lambda i: i["name"] == "boards created"
                        and i["record"]["board_id"] == board["board_id"],
                        what=f"barrier {board['slug']}")
    return board


def seen(items):
    """The (name, id) of each event, in seq order, barriers left out."""
    out = []
    for i in sorted(items, key=lambda i: int(i["offset"])):
        if i["service"] == "boards" and i["record"]["slug"].startswith("barrier-"):
            continue
        out.append((i["name"], i["record"][i["service"][:-1] + "_id"]))
    return out


def assert_seen(test, client, expected, msg=None):
    """Waits for each of `expected` (after a barrier), then checks it got exactly those."""
    client.rec.wait_for(lambda items: set(expected) <= set(seen(items)), what=repr(expected))
    test.assertEqual(seen(client.rec.snapshot()), expected, msg)


class BoardChannels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = start_daemon()
        cls.rest = Rest(cls.daemon)
        cls.clients = []
        cls.board_a = make_board(cls.rest, uniq("A"))
        cls.board_b = make_board(cls.rest, uniq("B"))
        cls.s_a1 = make_session(cls.rest, cls.board_a["board_id"])
        cls.s_a2 = make_session(cls.rest, cls.board_a["board_id"])
        cls.s_b1 = make_session(cls.rest, cls.board_b["board_id"])

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients:
            c.close()
        cls.daemon.dispose()

    def client(self, transports=("websocket",), query=""):
        c = Client(self.daemon, transports=list(transports), query=query, services=SERVICES)
        self.clients.append(c)
        return c

    def test_each_client_gets_only_its_boards_events(self):
        a, b = self.board_a["board_id"], self.board_b["board_id"]
        by_service = self.client()
        sub = by_service.service("subscriptions").create({"board_id": a})
        self.assertEqual(sub, {"id": a, "board_id": a})
        by_handshake = self.client(transports=("polling",), query=f"board_id={a}")
        by_session = self.client(transports=("polling", "websocket"))
        sub = by_session.service("subscriptions").create({"session_id": self.s_a2["session_id"]})
        self.assertEqual(sub["session_id"], self.s_a2["session_id"])
        on_b = self.client(query=f"board_id={b}")
        nobody = self.client()
        everyone = [by_service, by_handshake, by_session, on_b, nobody]

        m_b1 = make_message(self.rest, self.s_b1["session_id"], "on board B")
        m_a1 = make_message(self.rest, self.s_a1["session_id"], "on board A, session 1")
        m_a2 = make_message(self.rest, self.s_a2["session_id"], "on board A, session 2")
        s_a1 = self.rest.patch("sessions", self.s_a1["session_id"], {"title": "renamed A1"})
        board_b = self.rest.patch("boards", b, {"description": "B patched"})
        barrier(self.rest, everyone)

        board_events = [("boards patched", board_b["board_id"])]
        expect_a = [("messages created", m_a1["message_id"]),
                    ("messages created", m_a2["message_id"]),
                    ("sessions patched", s_a1["session_id"])] + board_events
        assert_seen(self, by_service, expect_a, "subscriptions.create({board_id: A})")
        assert_seen(self, by_handshake, expect_a, "handshake ?board_id=A over polling")
        assert_seen(self, by_session, [("messages created", m_a2["message_id"])] + board_events,
                    "subscriptions.create({session_id: A2})")
        assert_seen(self, on_b, [("messages created", m_b1["message_id"])] + board_events)
        assert_seen(self, nobody, board_events, "no subscription: board events only")
        record = next(i["record"] for i in by_service.rec.snapshot()
                      if i["record"].get("message_id") == m_a1["message_id"])
        self.assertEqual(record, m_a1, "the record on the wire is the one the write returned")

    def test_find_and_remove_subscriptions(self):
        a = self.board_a["board_id"]
        c = self.client()
        subs = c.service("subscriptions")
        subs.create({"board_id": a[:8]})  # a short id resolves
        subs.create({"session_id": self.s_b1["session_id"]})
        found = subs.find()
        self.assertCountEqual(found, [{"id": a, "board_id": a},
                                      {"id": self.s_b1["session_id"],
                                       "session_id": self.s_b1["session_id"]}])
        self.assertEqual(subs.remove(a), {"id": a, "board_id": a})
        self.assertEqual(subs.find(), [{"id": self.s_b1["session_id"],
                                        "session_id": self.s_b1["session_id"]}])
        make_message(self.rest, self.s_a1["session_id"], "after leaving A")
        m_b = make_message(self.rest, self.s_b1["session_id"], "still on B1")
        barrier(self.rest, [c])
        assert_seen(self, c, [("messages created", m_b["message_id"])])

    def test_subscription_errors(self):
        subs = self.client().service("subscriptions")
        with self.assertRaises(FeathersError) as caught:
            subs.create({"board_id": "00000000-0000-4000-8000-000000000000"})
        self.assertEqual((caught.exception.name, caught.exception.code), ("NotFound", 404))
        with self.assertRaises(FeathersError) as caught:
            subs.create({"board": "x"})
        self.assertEqual((caught.exception.name, caught.exception.code), ("BadRequest", 400))
        with self.assertRaises(FeathersError) as caught:
            subs.remove("never-joined")
        self.assertEqual(caught.exception.code, 404)

    def test_handshake_with_a_missing_board_is_refused(self):
        missing = "00000000-0000-4000-8000-000000000000"
        sio = socketio.Client(reconnection=False, handle_sigint=False)
        refused = threading.Event()
        errors = []
        sio.on("connect_error", lambda *data: (errors.append(data), refused.set()))
        sio.connect(f"{self.daemon.url}/?board_id={missing}", transports=["websocket"],
                    auth={"token": self.daemon.token}, wait=False)
        try:
            self.assertTrue(refused.wait(WAIT_S), "no CONNECT_ERROR")
        finally:
            sio.disconnect()
        self.assertIn(missing, repr(errors), "the CONNECT_ERROR names the board")
        self.assertFalse(sio.connected)


class Everybody(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = start_daemon(["--channels", "everybody"])
        cls.rest = Rest(cls.daemon)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.dispose()

    def test_every_client_gets_every_event(self):
        clients = [Client(self.daemon, transports=t, services=SERVICES)
                   for t in (["websocket"], ["polling"], None)]
        try:
            board = make_board(self.rest)
            session = make_session(self.rest, board["board_id"])
            message = make_message(self.rest, session["session_id"], "to everybody")
            barrier(self.rest, clients)
            expected = [("boards created", board["board_id"]),
                        ("sessions created", session["session_id"]),
                        ("messages created", message["message_id"])]
            for c in clients:
                assert_seen(self, c, expected, c.transport())
        finally:
            for c in clients:
                c.close()


if __name__ == "__main__":
    unittest.main()
