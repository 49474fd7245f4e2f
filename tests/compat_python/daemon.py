"""Starts the real agor binary for the Python compatibility suite.

    $AGOR_BINARY serve --port <port> --db <tmpdir>/agor.db [extra args]

Its URL comes from the first stdout line (`agor listening on http://127.0.0.1:PORT (db ...)`);
stop() sends SIGTERM (or SIGKILL) and waits for the exit, restart() starts it again on the same
database and port. Readiness is that line, never a sleep. stderr is kept (the last 64 KiB) to
explain a failure, and echoed when COMPAT_DEBUG is set.

Threading: a Daemon is driven by one test thread; two reader threads drain its pipes.
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

LISTENING_RE = re.compile(r"listening on (http://\S+)")
STDERR_KEEP = 64 * 1024
START_TIMEOUT_S = 15

_live = set()  # every child still running is killed when the test process exits


@atexit.register
def _kill_leftovers():
    for child in list(_live):
        try:
            child.kill()
        except OSError:
            pass


def binary():
    path = os.environ.get("AGOR_BINARY")
    if not path:
        raise RuntimeError("AGOR_BINARY is not set (path of the agor executable)")
    return path


def _read_credentials(folder):
    """The admin-credentials file the daemon writes beside its database before it listens
    ({email, password, api_key, url}); None when absent."""
    path = os.path.join(folder, "admin-credentials")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Daemon:
    def __init__(self, args=()):
        self.args = list(args)
        self.dir = tempfile.mkdtemp(prefix="agor-compat-py-")
        self.db = os.path.join(self.dir, "agor.db")
        self.child = None
        self.url = None
        self.port = 0
        self.credentials = None
        self._stderr = b""
        self._lock = threading.Lock()
        self._drains = []

    def start(self, port=None):
        if self.child:
            raise RuntimeError("daemon already running")
        port = self.port if port is None else port
        argv = [binary(), "serve", "--port", str(port), "--db", self.db, *self.args]
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        self.child = child
        _live.add(child)
        self._drains = [threading.Thread(target=self._drain_stderr, args=(child,), daemon=True)]
        self._drains[0].start()
        first = self._first_line(child)
        match = LISTENING_RE.search(first or "")
        if not match:
            self._abort(child)
            raise RuntimeError(f"agor did not start: first stdout line {first!r}\n"
                               f"argv: {' '.join(argv)}\nstderr:\n{self.stderr()}")
        self._drains.append(threading.Thread(target=self._drain_stdout, args=(child,), daemon=True))
        self._drains[-1].start()
        self.url = match.group(1).rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])
        self.credentials = _read_credentials(self.dir)
        return self

    @property
    def token(self):
        """The admin's API key (`agor_sk_...`), None without an admin-credentials file."""
        return (self.credentials or {}).get("api_key")

    # The first stdout line, read on a helper thread so a silent daemon times out.
    def _first_line(self, child):
        box = []
        reader = threading.Thread(target=lambda: box.append(child.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        return box[0].decode("utf-8", "replace") if box else None

    def _drain_stdout(self, child):
        for line in child.stdout:
            if os.environ.get("COMPAT_DEBUG"):
                sys.stderr.write("[agor stdout] " + line.decode("utf-8", "replace"))

    def _drain_stderr(self, child):
        for line in child.stderr:
            if os.environ.get("COMPAT_DEBUG"):
                sys.stderr.write("[agor] " + line.decode("utf-8", "replace"))
            with self._lock:
                self._stderr = (self._stderr + line)[-STDERR_KEEP:]

    def stderr(self):
        with self._lock:
            return self._stderr.decode("utf-8", "replace")

    def _abort(self, child):
        child.kill()
        child.wait()
        _live.discard(child)
        self.child = None
        self._close_pipes(child)

    def stop(self, sig=signal.SIGTERM, timeout_s=10):
        """Sends `sig`, waits for the exit and returns the exit status."""
        child = self.child
        if not child:
            return None
        child.send_signal(sig)
        try:
            code = child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._abort(child)
            raise RuntimeError(f"agor did not exit within {timeout_s} s of {sig}:\n{self.stderr()}")
        _live.discard(child)
        self.child = None
        self._close_pipes(child)
        return code

    # The drain threads end at EOF (the daemon has exited), then the pipes are closed.
    def _close_pipes(self, child):
        for thread in self._drains:
            thread.join(START_TIMEOUT_S)
        child.stdout.close()
        child.stderr.close()

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        """Starts again on the same database and port (clients reconnect to the same URL)."""
        if self.child:
            self.stop()
        return self.start(self.port)

    def dispose(self):
        try:
            if self.child:
                self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_daemon(args=()):
    daemon = Daemon(args)
    try:
        daemon.start(0)
    except Exception:
        shutil.rmtree(daemon.dir, ignore_errors=True)
        raise
    return daemon
