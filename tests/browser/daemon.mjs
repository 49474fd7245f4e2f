// The real agor daemon for the browser suite, started the way tests/compat/daemon.mjs does:
//   $AGOR_BINARY serve --port <port> --db <tmpdir>/agor.db [args]
// with the URL read from its first stdout line (`agor listening on http://127.0.0.1:PORT ...`)
// and the admin's credentials from `admin-credentials` beside the database. restart() stops it
// (SIGTERM) and starts it again on the SAME port and database, so a page open in a browser
// reconnects to the same origin (its localStorage token included).
// Besides, a REST client (fetch) and the records a test needs: users, their tokens, boards,
// command sessions on the test fixture agents (tests/fixtures/agents).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const LISTENING_RE = /listening on (http:\/\/[^\s]+)/;
const STDERR_KEEP = 64 * 1024;
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/agents');

// A daemon still running when the test process exits is killed (a failed test must not leave
// one behind).
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
});

export function uniq(prefix = 't') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export class Daemon {
  // args: extra `agor serve` flags; env: extra environment of the daemon (and so of its agents).
  constructor({ args = [], env = {}, startTimeoutMs = 15000 } = {}) {
    if (!process.env.AGOR_BINARY) throw new Error('AGOR_BINARY is not set (path of the agor executable)');
    this.args = args;
    this.env = env;
    this.startTimeoutMs = startTimeoutMs;
    this.dir = mkdtempSync(path.join(tmpdir(), 'agor-browser-'));
    this.db = path.join(this.dir, 'agor.db');
    this.child = null;
    this.url = null;
    this.port = 0;
    this.stderr = '';
    this.exited = null;
    this.credentials = undefined;
  }

  async start({ port = this.port } = {}) {
    if (this.child) throw new Error('daemon already running');
    const argv = ['serve', '--port', String(port), '--db', this.db, ...this.args];
    const child = spawn(process.env.AGOR_BINARY, argv, {
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
      if (process.env.BROWSER_DEBUG) process.stderr.write(`[agor] ${chunk}`);
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP);
    });
    const lines = readline.createInterface({ input: child.stdout });
    let timer;
    const first = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`agor did not listen within ${this.startTimeoutMs} ms`)),
        this.startTimeoutMs);
      lines.once('line', resolve);
      child.once('error', reject);
      this.exited.then(({ code, signal }) => reject(new Error(`agor exited before listening (${code}, ${signal})`)));
    });
    let line;
    try {
      line = await first;
    } catch (err) {
      child.kill('SIGKILL');
      await this.exited;
      this.child = null;
      throw new Error(`${err.message}\nargv: ${argv.join(' ')}\nstderr:\n${this.stderr}`);
    } finally {
      clearTimeout(timer);
    }
    lines.on('line', () => {}); // keep draining stdout
    const m = LISTENING_RE.exec(line);
    if (!m) throw new Error(`unexpected first stdout line of agor: ${JSON.stringify(line)}`);
    this.url = m[1].replace(/\/$/, '');
    this.port = Number(new URL(this.url).port);
    const file = path.join(this.dir, 'admin-credentials');
    if (existsSync(file)) this.credentials = JSON.parse(readFileSync(file, 'utf8'));
    return this;
  }

  // Sends `signal`, waits for the exit (SIGKILL after timeoutMs, then throws).
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
    this.child = null;
    if (result === null) {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(`agor did not exit within ${timeoutMs} ms of ${signal}; stderr:\n${this.stderr}`);
    }
    return result;
  }

  async restart() {
    await this.stop('SIGTERM');
    return this.start({ port: this.port });
  }

  async dispose() {
    try {
      if (this.child) await this.stop('SIGTERM');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  // REST as the admin (its API key), or as `token` (a user's JWT).
  rest(token = this.credentials?.api_key) {
    return restClient(this.url, token);
  }

  // A user created by the admin; resolves with {user, id, email, password, name, rest()}.
  // rest() logs in (a password hash on the daemon: only when a test needs the user's REST) and
  // resolves with a REST client presenting the user's JWT.
  async user({ name, role = 'member', emoji } = {}) {
    const email = `${uniq(name.toLowerCase())}@example.com`;
    const password = `pw-${uniq('secret')}`;
    const user = await this.rest().create('users', { email, password, name, role, ...(emoji ? { emoji } : {}) });
    let token;
    return {
      user, id: user.user_id, email, password, name, emoji,
      rest: async () => {
        token ??= (await restClient(this.url).create('authentication', { strategy: 'local', email, password })).accessToken;
        return this.rest(token);
      },
    };
  }
}

export async function startDaemon(options = {}) {
  const daemon = new Daemon(options);
  try {
    await daemon.start();
  } catch (err) {
    rmSync(daemon.dir, { recursive: true, force: true });
    throw err;
  }
  return daemon;
}

// Feathers REST: `Authorization: Bearer <token>` when a token is given.
export function restClient(baseUrl, token) {
  async function call(method, p, body) {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${baseUrl}${p}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!res.ok) {
      const err = new Error(`${method} ${p} -> ${res.status}: ${text}`);
      err.status = res.status;
      throw err;
    }
    return json;
  }
  return {
    call,
    find: (service, query = '') => call('GET', `/${service}${query ? `?${query}` : ''}`),
    get: (service, id) => call('GET', `/${service}/${encodeURIComponent(id)}`),
    create: (service, data) => call('POST', `/${service}`, data),
    patch: (service, id, data) => call('PATCH', `/${service}/${encodeURIComponent(id)}`, data),
    remove: (service, id) => call('DELETE', `/${service}/${encodeURIComponent(id)}`),
  };
}
