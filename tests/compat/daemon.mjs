// Starts the real agor binary for the compatibility suite:
//   $AGOR_BINARY serve --port <port> --db <tmpdir>/agor.db [extra args]
// or, as one node of several (given `store` and `broker` URLs, services.mjs):
//   $AGOR_BINARY serve --port <port> --store <url> --broker <url> --data-dir <tmpdir> [extra args]
// learns its URL from the first stdout line
//   agor listening on http://127.0.0.1:PORT (db ...)
// and can stop it (SIGTERM), kill it (SIGKILL) and restart it on the same database and port.
// Once it listens, the admin's credentials the daemon wrote on first start beside its database
// (<tmpdir>/admin-credentials: {email, password, api_key, url}) are in `credentials`, and
// `token` is the admin's API key, what the helpers present. Only the first node on an empty
// store writes that file: the others are given the first one's `credentials`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const LISTENING_RE = /listening on (http:\/\/[^\s]+)/;
const STDERR_KEEP = 64 * 1024;

// Every daemon still running when the test process exits is killed (a failed test must not
// leave a daemon behind).
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
});

function binary() {
  const bin = process.env.AGOR_BINARY;
  if (!bin) throw new Error('AGOR_BINARY is not set (path of the agor executable)');
  return bin;
}

export class Daemon {
  // args: extra arguments of `agor serve` (e.g. ['--channels', 'everybody']); env: extra
  // environment of the daemon (and so of its agents); name: its temporary folder's prefix;
  // store, broker: a node's PostgreSQL and Redis URLs (instead of a SQLite file); credentials:
  // the admin's, when another node wrote them.
  constructor({
    args = [], env = {}, startTimeoutMs = 15000, name = 'agor-compat', store, broker, credentials,
  } = {}) {
    this.args = args;
    this.store = store;
    this.broker = broker;
    this.startTimeoutMs = startTimeoutMs;
    this.dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
    this.env = env;
    this.db = path.join(this.dir, 'agor.db');
    this.child = null;
    this.url = null;
    this.port = 0;
    this.stderr = '';
    this.exited = null; // promise of {code, signal} for the current child
    this.credentials = credentials; // {email, password, api_key, url} once started
  }

  // Where the data is: agor refuses --db next to --store.
  where() {
    if (!this.store) return ['--db', this.db];
    return ['--store', this.store, '--broker', this.broker, '--data-dir', this.dir];
  }

  // Starts the daemon. port 0 picks a free one; restart() reuses the previous port.
  async start({ port = this.port, args = this.args } = {}) {
    if (this.child) throw new Error('daemon already running');
    const argv = ['serve', '--port', String(port), ...this.where(), ...args];
    const child = spawn(binary(), argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      if (process.env.COMPAT_DEBUG) process.stderr.write(`[agor] ${chunk}`);
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP);
    });
    const lines = readline.createInterface({ input: child.stdout });
    const first = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`agor did not print its listening line within ${this.startTimeoutMs} ms`));
      }, this.startTimeoutMs);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`agor exited before listening (code ${code}, signal ${signal})`));
      });
    });
    let line;
    try {
      line = await first;
    } catch (err) {
      child.kill('SIGKILL');
      await this.exited;
      this.child = null;
      throw new Error(`${err.message}\nargv: ${argv.join(' ')}\nstderr:\n${this.stderr}`);
    }
    // Keep draining stdout so the daemon never blocks on a full pipe.
    lines.on('line', (l) => {
      if (process.env.COMPAT_DEBUG) process.stderr.write(`[agor stdout] ${l}\n`);
    });
    const m = LISTENING_RE.exec(line);
    if (!m) {
      child.kill('SIGKILL');
      await this.exited;
      this.child = null;
      throw new Error(`unexpected first stdout line of agor: ${JSON.stringify(line)}`);
    }
    this.url = m[1].replace(/\/$/, '');
    this.port = Number(new URL(this.url).port);
    this.credentials = readCredentials(this.dir) ?? this.credentials;
    return this;
  }

  // The admin's API key (`agor_sk_...`).
  get token() {
    return this.credentials?.api_key;
  }

  get pid() {
    return this.child?.pid;
  }

  // Sends `signal` and waits for the process to exit; resolves with {code, signal}.
  async stop(signal = 'SIGTERM', timeoutMs = 10000) {
    const child = this.child;
    if (!child) return null;
    child.kill(signal);
    let timer;
    const result = await Promise.race([
      this.exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (result === null) {
      child.kill('SIGKILL');
      this.child = null;
      await this.exited;
      throw new Error(`agor did not exit within ${timeoutMs} ms of ${signal}; stderr:\n${this.stderr}`);
    }
    this.child = null;
    return result;
  }

  kill9() {
    return this.stop('SIGKILL');
  }

  // Starts again on the same database and the same port (the clients reconnect to the same URL).
  async restart({ args = this.args } = {}) {
    if (this.child) await this.stop('SIGTERM');
    return this.start({ port: this.port, args });
  }

  // Stops the daemon if it runs and removes its temporary directory.
  async dispose() {
    try {
      if (this.child) await this.stop('SIGTERM');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

// The admin-credentials file the daemon writes before it listens; undefined when absent.
function readCredentials(dir) {
  const file = path.join(dir, 'admin-credentials');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8'));
}

// A started daemon of `DaemonClass` (a subclass adds its own helpers: tests/browser/daemon.mjs);
// its temporary folder is removed when it does not start.
export async function startDaemon(options = {}, DaemonClass = Daemon) {
  const daemon = new DaemonClass(options);
  try {
    await daemon.start();
  } catch (err) {
    rmSync(daemon.dir, { recursive: true, force: true });
    throw err;
  }
  return daemon;
}
