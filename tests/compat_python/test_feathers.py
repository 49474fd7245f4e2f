"""python3-socketio against the real agor daemon: the Feathers socket protocol (calls with
acks, Feathers error JSON, events with their offset argument) over every transport the client
can end up on: WebSocket only, long-polling only, and the default (polling, then the upgrade).
"""

import unittest

from daemon import start_daemon
from helpers import (ISO_RE, SEQ_RE, UUID_RE, Client, FeathersError, Rest, uniq)

MISSING = "00000000-0000-4000-8000-000000000000"
daemon = None
rest = None
admin_id = None  # the user the helpers' token (the admin's API key) authenticates


def setUpModule():
    global daemon, rest, admin_id
    daemon = start_daemon()
    rest = Rest(daemon)
    admin_id = rest.create("authentication", {"strategy": "api-key",
                                              "api_key": daemon.token})["user"]["user_id"]


def tearDownModule():
    daemon.dispose()


class FeathersOverTransport:
    """The tests every transport runs; subclasses name the transports."""

    transports = None

    @classmethod
    def setUpClass(cls):
        cls.client = Client(daemon, transports=cls.transports)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def assertFeathersError(self, call, name, code, class_name):
        with self.assertRaises(FeathersError) as caught:
            call()
        err = caught.exception
        self.assertEqual((err.name, err.code, err.class_name), (name, code, class_name), err.body)
        self.assertIsInstance(err.message, str)
        return err

    def test_create_get_find_update_patch_remove(self):
        boards = self.client.service("boards")
        tag = uniq("crud")
        slugs = [f"{tag}-a", f"{tag}-b", f"{tag}-c"]
        # owner_id and created_by are the caller's user id, set by the server: a created_by
        # the client sends does not stick.
        created = boards.create({"name": f"{tag} a", "slug": f"{tag}-a", "description": "first",
                                 "created_by": tag})
        self.assertRegex(created["board_id"], UUID_RE)
        self.assertEqual((created["name"], created["slug"]), (f"{tag} a", f"{tag}-a"))
        self.assertEqual((created["visibility"], created["owner_id"], created["created_by"]),
                         ("team", admin_id, admin_id))
        self.assertRegex(created["created_at"], ISO_RE)
        self.assertEqual(boards.get(created["board_id"]), created)

        b = boards.create({"name": f"{tag} b", "slug": f"{tag}-b"})
        boards.create({"name": f"{tag} c", "slug": f"{tag}-c"})
        self.assertEqual(boards.find({"slug": f"{tag}-b"})["data"], [b])
        page = boards.find({"created_by": admin_id, "slug": {"$in": slugs},
                            "$sort": {"name": -1}, "$limit": 2, "$select": ["name"]})
        self.assertEqual((page["total"], page["limit"], page["skip"]), (3, 2, 0))
        self.assertEqual([r["name"] for r in page["data"]], [f"{tag} c", f"{tag} b"])
        for r in page["data"]:
            self.assertLessEqual(set(r), {"name", "board_id"}, "$select leaked a field")

        updated = boards.update(created["board_id"], {"name": f"{tag} a2", "slug": f"{tag}-a2"})
        self.assertEqual(updated["name"], f"{tag} a2")
        self.assertIsNone(updated["description"], "update replaces the record")
        # ... but not its server-set fields.
        self.assertEqual((updated["created_at"], updated["owner_id"], updated["created_by"]),
                         (created["created_at"], admin_id, admin_id),
                         "update keeps created_at, owner_id and created_by (server-set)")
        patched = boards.patch(created["board_id"], {"description": "patched"})
        self.assertEqual((patched["name"], patched["description"]), (f"{tag} a2", "patched"))
        removed = boards.remove(created["board_id"])
        self.assertEqual(removed, patched, "remove answers the record it removed")
        self.assertFeathersError(lambda: boards.get(created["board_id"]), "NotFound", 404,
                                 "not-found")

    def test_errors_are_feathers_error_json(self):
        boards = self.client.service("boards")
        err = self.assertFeathersError(lambda: boards.get(MISSING), "NotFound", 404, "not-found")
        self.assertIn("00000000", err.message)
        self.assertFeathersError(lambda: boards.patch(MISSING, {"description": "x"}), "NotFound",
                                 404, "not-found")
        self.assertFeathersError(lambda: boards.remove(MISSING), "NotFound", 404, "not-found")

        tag = uniq("err")
        bad = self.assertFeathersError(
            lambda: boards.create({"name": tag, "slug": tag, "bogus_field": 1}), "BadRequest",
            400, "bad-request")
        self.assertIn("bogus_field", repr(bad.body), "the 400 names the unknown field")
        self.assertFeathersError(lambda: boards.create({"name": tag, "slug": tag, "color": 7}),
                                 "BadRequest", 400, "bad-request")
        self.assertEqual(boards.find({"slug": tag})["total"], 0, "nothing stored half-way")
        self.assertFeathersError(lambda: boards.remove(None), "MethodNotAllowed", 405,
                                 "method-not-allowed")
        boards.create({"name": tag, "slug": tag})
        self.assertFeathersError(lambda: boards.create({"name": tag, "slug": tag}), "Conflict",
                                 409, "conflict")
        self.assertFeathersError(lambda: self.client.service("no-such-service").find(),
                                 "NotFound", 404, "not-found")
        self.assertEqual(boards.find({"slug": tag})["total"], 1, "the connection still works")

    def test_refused_json_is_answered_and_the_connection_stays(self):
        # A Python str may hold a lone surrogate (os.fsdecode() makes them of undecodable
        # bytes); json writes it as "\ud800", which is not Unicode text: agor refuses it with a
        # 400 ack instead of dropping the connection while the call waits.
        boards = self.client.service("boards")
        tag = uniq("lone")
        err = self.assertFeathersError(
            lambda: boards.create({"name": "bad \udcff name", "slug": tag}), "BadRequest", 400,
            "bad-request")
        self.assertIn("Invalid JSON", err.message)
        self.assertTrue(self.client.sio.connected)
        self.assertEqual(boards.find({"slug": tag})["total"], 0)
        # Non-ASCII text that is Unicode travels as it is, astral characters included.
        name = "caf\u00e9 \U0001f600 \u4e2d"
        self.assertEqual(boards.create({"name": name, "slug": tag})["name"], name)

    def test_events_carry_their_offset(self):
        tag = uniq("ev")
        other = Client(daemon, transports=["websocket"])
        try:
            boards = other.service("boards")
            x = boards.create({"name": f"{tag} x", "slug": f"{tag}-x"})
            y = rest.create("boards", {"name": f"{tag} y", "slug": f"{tag}-y"})
            x2 = boards.patch(x["board_id"], {"description": "by socket"})
            y2 = rest.patch("boards", y["board_id"], {"description": "by REST"})
            x3 = rest.update("boards", x["board_id"], {"name": f"{tag} x3", "slug": f"{tag}-x3"})
            y3 = boards.remove(y["board_id"])
            z = self.client.service("boards").create({"name": f"{tag} z", "slug": f"{tag}-z"})
        finally:
            other.close()
        expected = [("boards created", x), ("boards created", y), ("boards patched", x2),
                    ("boards patched", y2), ("boards updated", x3), ("boards removed", y3),
                    ("boards created", z)]
        ids = {x["board_id"], y["board_id"], z["board_id"]}

        def mine(items):
            return [i for i in items if i["record"].get("board_id") in ids]

        items = self.client.rec.wait_for(lambda items: len(mine(items)) >= len(expected),
                                         what=f"{len(expected)} events of {tag}")
        got = mine(items)
        for i in got:
            self.assertRegex(str(i["offset"]), SEQ_RE, f"event without its offset: {i}")
            self.assertIsInstance(i["offset"], str, "the offset is a decimal string")
        # Handlers may run out of order (one thread per message): the offsets give the order.
        got.sort(key=lambda i: int(i["offset"]))
        self.assertEqual([(i["name"], i["record"]) for i in got], expected)
        self.assertEqual(len({i["offset"] for i in got}), len(got), "offsets are unique")


class Heartbeats(unittest.TestCase):
    """The daemon's pings over each transport keep python-engineio's connection alive."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = start_daemon(["--ping-interval", "100", "--ping-timeout", "2000"])

    @classmethod
    def tearDownClass(cls):
        cls.daemon.dispose()

    def check(self, transports):
        client = Client(self.daemon, transports=transports)
        try:
            client.log.wait_count("Received packet PING", 5)
            self.assertFalse(client.disconnected.is_set())
            self.assertEqual(client.service("boards").find({"$limit": 0})["total"], 0)
        finally:
            client.close()

    def test_websocket(self):
        self.check(["websocket"])

    def test_polling(self):
        self.check(["polling"])

    def test_default_transports(self):
        self.check(None)


class WebSocketOnly(FeathersOverTransport, unittest.TestCase):
    transports = ["websocket"]

    def test_connects_over_websocket_with_its_own_origin(self):
        # websocket-client sends `Origin: http://127.0.0.1:<port>`, the daemon's own origin.
        self.assertEqual(self.client.transport(), "websocket")
        self.assertTrue(self.client.log.saw("Attempting WebSocket connection"))
        self.assertFalse(self.client.log.saw("polling"))


class PollingOnly(FeathersOverTransport, unittest.TestCase):
    transports = ["polling"]

    def test_connects_over_polling(self):
        self.assertEqual(self.client.transport(), "polling")
        self.assertTrue(self.client.log.saw("Polling connection accepted"))
        self.assertFalse(self.client.log.saw("WebSocket"))


class DefaultTransports(FeathersOverTransport, unittest.TestCase):
    transports = None

    def test_starts_with_polling_then_upgrades(self):
        self.assertTrue(self.client.log.saw("Polling connection accepted"))
        self.assertTrue(self.client.log.saw("WebSocket upgrade was successful"),
                        self.client.log.messages)
        self.assertEqual(self.client.transport(), "websocket")
        self.assertEqual(self.client.service("boards").find({"$limit": 0})["limit"], 0)


if __name__ == "__main__":
    unittest.main()
