"""The daemon's own origin is always allowed, whatever --cors-origin says: Python's
websocket-client sends `Origin: http://<host>:<port>` from the URL it connects to, the
daemon's own origin, and must not get 403. A foreign origin still does, on both transports.
"""

import socket
import unittest

import socketio
import websocket

from daemon import start_daemon
from helpers import Client, LogRecorder

daemon = None
FOREIGN = "http://evil.example"


def setUpModule():
    global daemon
    # Only another origin is configured: the daemon's own must be allowed anyway.
    daemon = start_daemon(["--cors-origin", "http://app.example:5173"])


def tearDownModule():
    daemon.dispose()


class OwnOrigin(unittest.TestCase):
    def connect_and_call(self, url, transports):
        client = Client(url, transports=transports, token=daemon.token)
        try:
            self.assertEqual(client.service("boards").find({"$limit": 0})["limit"], 0)
            return client.transport()
        finally:
            client.close()

    def test_websocket_to_127_0_0_1(self):
        self.assertEqual(self.connect_and_call(daemon.url, ["websocket"]), "websocket")

    def test_websocket_to_localhost(self):
        url = f"http://localhost:{daemon.port}"
        self.assertEqual(self.connect_and_call(url, ["websocket"]), "websocket")

    def test_upgrade_from_polling_to_localhost(self):
        url = f"http://localhost:{daemon.port}"
        self.assertEqual(self.connect_and_call(url, None), "websocket")

    def test_websocket_client_sends_the_daemons_origin(self):
        # The raw handshake python-engineio makes: websocket-client's default Origin header.
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{daemon.port}/socket.io/?EIO=4&transport=websocket")
        try:
            self.assertTrue(ws.recv().startswith("0{"), "the Engine.IO open packet")
        finally:
            ws.close()


class ForeignOrigin(unittest.TestCase):
    def test_websocket_from_a_foreign_origin_gets_403(self):
        with self.assertRaises(websocket.WebSocketBadStatusException) as caught:
            websocket.create_connection(
                f"ws://127.0.0.1:{daemon.port}/socket.io/?EIO=4&transport=websocket",
                origin=FOREIGN)
        self.assertEqual(caught.exception.status_code, 403)

    def test_polling_from_a_foreign_origin_is_refused(self):
        log = LogRecorder()
        sio = socketio.Client(reconnection=False, handle_sigint=False, engineio_logger=log.logger)
        with self.assertRaises(socketio.exceptions.ConnectionError) as caught:
            sio.connect(daemon.url, headers={"Origin": FOREIGN}, transports=["polling"])
        self.assertIn("403", str(caught.exception))

    def test_configured_origin_is_allowed(self):
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{daemon.port}/socket.io/?EIO=4&transport=websocket",
            origin="http://app.example:5173")
        try:
            self.assertTrue(ws.recv().startswith("0{"))
        finally:
            ws.close()


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(has_ipv6_loopback(), "no IPv6 loopback here")
class Ipv6Loopback(unittest.TestCase):
    """On --host ::1 the URL is http://[::1]:PORT and websocket-client's Origin the same."""

    def test_websocket_and_polling_on_ipv6_loopback(self):
        d = start_daemon(["--host", "::1"])
        try:
            self.assertEqual(d.url, f"http://[::1]:{d.port}")
            for transports in (["websocket"], ["polling"], None):
                client = Client(d, transports=transports)  # with its admin's API key
                try:
                    self.assertEqual(client.service("boards").find({"$limit": 0})["limit"], 0)
                finally:
                    client.close()
        finally:
            d.dispose()


if __name__ == "__main__":
    unittest.main()
