"""Client-side helpers of the Python compatibility suite: Debian's python3-socketio
(`socketio.Client`, Socket.IO v5 over python3-engineio 4) used the way a Python app talks to a
Feathers server, a REST helper (stdlib urllib), and waits driven by events (threading.Event /
Condition with a timeout), never fixed sleeps.

The Feathers socket protocol by hand, as a Python app has to write it (there is no Feathers
client for Python): `emit(method, (path, *args), callback=ack)`, the ack called with
`(None, result)` or `(error,)`; events are `"<service> <event>"` with the record and, last,
the event's offset (its seq, a decimal string).

Threading: python-engineio 4.3 runs every received message's handler on its own thread, so
two events' handlers may run in either order: the Recorder keeps them under a lock, and tests
compare events sorted by their offsets, never by arrival.
"""

import json
import logging
import re
import threading
import urllib.error
import urllib.request
import uuid

import socketio

WAIT_S = 5
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
SEQ_RE = re.compile(r"^\d+$")
EVENTS = ("created", "updated", "patched", "removed")


def uniq(prefix="t"):
    """A short unique tag, to name test records."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class FeathersError(Exception):
    """The error of an ack `[error]`: Feathers error JSON {name, message, code, className}."""

    def __init__(self, body):
        super().__init__(f"{body!r}")
        self.body = body if isinstance(body, dict) else {}
        self.name = self.body.get("name")
        self.code = self.body.get("code")
        self.class_name = self.body.get("className")
        self.message = self.body.get("message")


class LogRecorder(logging.Handler):
    """Keeps an engineio logger's messages: how a test learns which transports were used."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []
        self._cond = threading.Condition()
        self.logger = logging.getLogger(f"engineio.compat.{uuid.uuid4().hex}")
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        self.logger.addHandler(self)

    def emit(self, record):
        with self._cond:
            self.messages.append(record.getMessage())
            self._cond.notify_all()

    def count(self, text):
        with self._cond:
            return sum(text in m for m in self.messages)

    def saw(self, text):
        return self.count(text) > 0

    def wait_count(self, text, n, timeout=WAIT_S):
        """Waits until `n` messages contain `text`."""
        with self._cond:
            if not self._cond.wait_for(lambda: sum(text in m for m in self.messages) >= n,
                                       timeout):
                raise AssertionError(f"timed out waiting for {n} log lines with {text!r}: "
                                     f"{self.messages[-20:]}")


class Recorder:
    """The Feathers events a client receives: dicts {name, service, event, record, offset}."""

    def __init__(self):
        self.items = []
        self._cond = threading.Condition()

    def listen(self, sio, services, events=EVENTS):
        for service in services:
            for event in events:
                sio.on(f"{service} {event}", self._handler(service, event))

    def _handler(self, service, event):
        def on_event(record, *rest):
            offset = rest[-1] if rest else None
            with self._cond:
                self.items.append({"name": f"{service} {event}", "service": service,
                                   "event": event, "record": record, "offset": offset})
                self._cond.notify_all()
        return on_event

    def wait_for(self, predicate, timeout=WAIT_S, what="events"):
        """Waits until predicate(items) holds; returns a copy of the items."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.items), timeout):
                got = "\n".join(f"  {i['name']} offset={i['offset']!r} {i['record']!r}"
                                for i in self.items)
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                     f"received {len(self.items)}:\n{got}")
            return list(self.items)

    def wait_item(self, match, **kwargs):
        items = self.wait_for(lambda items: any(match(i) for i in items), **kwargs)
        return next(i for i in items if match(i))

    def snapshot(self):
        with self._cond:
            return list(self.items)

    def by_offset(self):
        return sorted(self.snapshot(), key=lambda i: int(i["offset"]))

    def clear(self):
        with self._cond:
            self.items = []


class Service:
    """`client.service('boards')`: the six Feathers methods as acknowledged emits."""

    def __init__(self, client, path):
        self.client = client
        self.path = path

    def find(self, query=None):
        return self.client.call("find", self.path, query or {})

    def get(self, id, query=None):
        return self.client.call("get", self.path, id, query or {})

    def create(self, data, query=None):
        return self.client.call("create", self.path, data, query or {})

    def update(self, id, data, query=None):
        return self.client.call("update", self.path, id, data, query or {})

    def patch(self, id, data, query=None):
        return self.client.call("patch", self.path, id, data, query or {})

    def remove(self, id, query=None):
        return self.client.call("remove", self.path, id, query or {})


class RecoveringClient(socketio.Client):
    """A socketio.Client that also keeps the `pid` of the CONNECT reply.

    python-socketio 5.7 sends whatever `auth` gives at each (re)connect, so an app can send
    Socket.IO's {pid, offset}; but it drops the CONNECT reply's `pid` (it keeps only `sid`), and
    has no `recovered` flag. This one override is the whole difference."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connect_replies = []

    def _handle_connect(self, namespace, data):
        if isinstance(data, dict):
            self.connect_replies.append(data)
        super()._handle_connect(namespace, data)


def _target(daemon_or_url):
    """(url, token) of a URL string (no credentials) or of a Daemon (its admin's API key)."""
    if isinstance(daemon_or_url, str):
        return daemon_or_url, None
    return daemon_or_url.url, daemon_or_url.token


class Client:
    """One python-socketio connection with its event Recorder and Feathers calls.

    daemon_or_url: a Daemon (the client presents its admin's API key as `auth={"token": ...}`,
    what the CONNECT packet carries) or a URL string (no credentials unless `token` is given).

    transports: None (polling, then the upgrade), ['websocket'] or ['polling'].
    query: the handshake's query string ("board_id=a,b"). reconnection (python-socketio's own
    loop) is off unless asked for. recover: send Socket.IO's {pid, offset} at each (re)connect,
    the pid of the last CONNECT reply and the highest offset received, as socket.io-client
    does by itself."""

    def __init__(self, daemon_or_url, transports=None, query="", services=("boards",),
                 reconnection=False, recover=False, token=None):
        url, default_token = _target(daemon_or_url)
        self.token = token or default_token
        self.log = LogRecorder()
        sio_class = RecoveringClient if recover else socketio.Client
        self.sio = sio_class(reconnection=reconnection, reconnection_delay=0.1,
                             reconnection_delay_max=0.3, randomization_factor=0,
                             handle_sigint=False, engineio_logger=self.log.logger)
        self.rec = Recorder()
        self.rec.listen(self.sio, services)
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.url = f"{url}/?{query}" if query else url
        self.transports = transports
        self.auth = self._recovery_auth if recover else self._token_auth()
        self.connect()

    def connect(self):
        self.sio.connect(self.url, transports=self.transports, auth=self.auth,
                         wait_timeout=WAIT_S)

    def _token_auth(self):
        return {"token": self.token} if self.token else None

    def _recovery_auth(self):
        auth = self._token_auth() or {}
        offsets = [int(i["offset"]) for i in self.rec.snapshot()]
        if not self.sio.connect_replies or not offsets:
            return auth
        return {"pid": self.pid(), "offset": str(max(offsets)), **auth}

    def pid(self):
        """The pid of the last CONNECT reply (a recovering client only)."""
        return self.sio.connect_replies[-1].get("pid") if self.sio.connect_replies else None

    def _on_connect(self):
        self.disconnected.clear()
        self.connected.set()

    def _on_disconnect(self):
        self.connected.clear()
        self.disconnected.set()

    def transport(self):
        return self.sio.transport()

    def service(self, path):
        return Service(self, path)

    def call(self, method, path, *args, timeout=WAIT_S):
        """Emits `method` with (path, *args) and waits for its ack; raises FeathersError."""
        done = threading.Event()
        box = []

        def ack(*answer):
            box.append(answer)
            done.set()

        self.sio.emit(method, (path, *args), callback=ack)
        if not done.wait(timeout):
            raise TimeoutError(f"no ack for {method} {path} within {timeout} s")
        answer = box[0]
        if not answer or answer[0] is not None:
            raise FeathersError(answer[0] if answer else None)
        if len(answer) != 2:
            raise AssertionError(f"ack of {method} {path} is not [null, result]: {answer!r}")
        return answer[1]

    def close(self):
        """Disconnects and waits for Engine.IO's reader and writer threads to end: a client
        connected again while the old writer still runs shares its queue with the new one
        (python-engineio calls task_done() on the new queue, whose writer then dies, and the
        namespace never connects)."""
        self.sio.disconnect()
        for task in (self.sio.eio.read_loop_task, self.sio.eio.write_loop_task):
            if task is not None:
                task.join(WAIT_S)


class HttpError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body!r}")
        self.status = status
        self.body = body


class Rest:
    """REST client of the same daemon (Feathers conventions), for writes made "by someone else".

    With a Daemon it sends `Authorization: Bearer <its admin's API key>`; `token` overrides."""

    def __init__(self, daemon_or_url, token=None):
        self.base, default_token = _target(daemon_or_url)
        self.token = token or default_token

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=WAIT_S) as res:
                text = res.read().decode()
        except urllib.error.HTTPError as err:
            text = err.read().decode()
            raise HttpError(err.code, json.loads(text) if text else None) from None
        return json.loads(text) if text else None

    def find(self, service, query=""):
        return self.request("GET", f"/{service}" + (f"?{query}" if query else ""))

    def get(self, service, id):
        return self.request("GET", f"/{service}/{id}")

    def create(self, service, data):
        return self.request("POST", f"/{service}", data)

    def update(self, service, id, data):
        return self.request("PUT", f"/{service}/{id}", data)

    def patch(self, service, id, data):
        return self.request("PATCH", f"/{service}/{id}", data)

    def remove(self, service, id):
        return self.request("DELETE", f"/{service}/{id}")


def make_board(rest, tag=None):
    tag = tag or uniq("board")
    return rest.create("boards", {"name": tag, "slug": tag})


def make_session(rest, board_id):
    return rest.create("sessions", {"board_id": board_id, "title": uniq("session"),
                                    "agentic_tool": "command", "agent_command": ["true"]})


def make_message(rest, session_id, content):
    return rest.create("messages", {"session_id": session_id, "role": "user", "content": content})
