// Client-side helpers of the compatibility suite: the stock Feathers + Socket.IO client used
// exactly as a web app uses it, a REST helper, and waits driven by events (never fixed sleeps).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FeathersError } from '@feathersjs/errors';
import { feathers } from '@feathersjs/feathers';
import socketio from '@feathersjs/socketio-client';
import { io } from 'socket.io-client';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
export const SEQ_RE = /^\d+$/;

export const DEFAULT_WAIT_MS = 5000;
export const RECONNECT_WAIT_MS = 10000;

// A short unique tag, to name test records.
export function uniq(prefix = 't') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

// A target is a URL string (no credentials) or anything with {url, token}: a Daemon of
// daemon.mjs, whose token is its admin's API key.
function target(daemonOrUrl) {
  return typeof daemonOrUrl === 'string' ? { url: daemonOrUrl, token: undefined } : daemonOrUrl;
}

// `const socket = io(url, {auth: {token}, ...opts}); const app = feathers().configure(socketio(socket))`:
// the token rides in the CONNECT packet, as `io(url, {auth: {token}})` sends it (also on every
// reconnect, next to the recovery's {pid, offset}); opts.auth replaces it.
// Reconnection stays on (the stock behaviour); its delays are shortened so tests run fast.
export function connect(daemonOrUrl, opts = {}) {
  const { url, token } = target(daemonOrUrl);
  const auth = token ? { auth: { token } } : {};
  const socket = io(url, { reconnectionDelay: 100, reconnectionDelayMax: 300, ...auth, ...opts });
  const app = feathers().configure(socketio(socket));
  const client = {
    socket,
    app,
    service: (name) => app.service(name),
    close() {
      socket.disconnect();
    },
  };
  return client;
}

// Resolves with the listener's arguments (an array) at the next `event` of `emitter`.
export function nextEvent(emitter, event, { timeoutMs = DEFAULT_WAIT_MS, what } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'${what ? ` (${what})` : ''}`));
    }, timeoutMs);
    function onEvent(...args) {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      resolve(args);
    }
    emitter.on(event, onEvent);
  });
}

// Resolves once the socket is connected (at once if it already is); rejects on the first
// connect_error (the daemon refused the handshake) or on timeout.
export function connected(socket, { timeoutMs = DEFAULT_WAIT_MS } = {}) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`socket did not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    }
    function onConnect() {
      cleanup();
      resolve();
    }
    function onError(err) {
      cleanup();
      reject(new Error(`connect_error: ${err?.message}${err?.description ? ` (${err.description})` : ''}`));
    }
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

// Opens a client and waits until it is connected.
export async function open(daemonOrUrl, opts = {}) {
  const client = connect(daemonOrUrl, opts);
  try {
    await connected(client.socket);
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}

// Records the Feathers events of a client, in arrival order:
//   {name: 'messages created', service, event, record, offset}
// `offset` is the extra last argument of the event frame (the event's seq), when present.
export class Recorder {
  constructor(app, services, events = ['created', 'updated', 'patched', 'removed']) {
    this.items = [];
    this.waiters = [];
    this.detachers = [];
    for (const service of services) {
      for (const event of events) {
        const listener = (record, ...rest) => {
          const offset = rest.length ? rest[rest.length - 1] : undefined;
          this.items.push({ name: `${service} ${event}`, service, event, record, offset });
          this.check();
        };
        app.service(service).on(event, listener);
        this.detachers.push(() => app.service(service).off(event, listener));
      }
    }
  }

  check() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate(this.items)) return true;
      clearTimeout(w.timer);
      w.resolve(this.items);
      return false;
    });
  }

  // Resolves when predicate(items) holds (checked now and after each event).
  waitFor(predicate, { timeoutMs = DEFAULT_WAIT_MS, what = 'events' } = {}) {
    if (predicate(this.items)) return Promise.resolve(this.items);
    return new Promise((resolve, reject) => {
      const w = { predicate, resolve };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.items.length}:\n` +
          this.items.map((i) => `  ${i.name} ${JSON.stringify(i.record)} offset=${JSON.stringify(i.offset)}`).join('\n')));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  // Waits until an event matching `match(item)` has arrived; resolves with that item.
  async waitForItem(match, options = {}) {
    await this.waitFor((items) => items.some(match), options);
    return this.items.find(match);
  }

  // Waits until `count` events with name `name` (e.g. 'messages created') have arrived.
  waitForCount(name, count, options = {}) {
    return this.waitFor((items) => items.filter((i) => i.name === name).length >= count,
      { what: `${count} '${name}'`, ...options });
  }

  named(name) {
    return this.items.filter((i) => i.name === name);
  }

  clear() {
    this.items = [];
  }

  detach() {
    for (const d of this.detachers) d();
    this.detachers = [];
  }
}

// REST client of the same daemon (Feathers conventions), for writes made "by someone else".
// With a Daemon (or {url, token}) it sends `Authorization: Bearer <token>`; `token` overrides.
export function restClient(daemonOrUrl, token = target(daemonOrUrl).token) {
  const baseUrl = target(daemonOrUrl).url;
  async function call(method, path, body) {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!res.ok) {
      const err = new Error(`${method} ${path} -> ${res.status}: ${text}`);
      err.status = res.status;
      err.body = json;
      throw err;
    }
    return json;
  }
  return {
    find: (service, query = '') => call('GET', `/${service}${query ? `?${query}` : ''}`),
    get: (service, id) => call('GET', `/${service}/${encodeURIComponent(id)}`),
    create: (service, data) => call('POST', `/${service}`, data),
    update: (service, id, data) => call('PUT', `/${service}/${encodeURIComponent(id)}`, data),
    patch: (service, id, data) => call('PATCH', `/${service}/${encodeURIComponent(id)}`, data),
    remove: (service, id) => call('DELETE', `/${service}/${encodeURIComponent(id)}`),
  };
}

// A board, a session on it, with unique names.
export async function makeBoard(rest, tag = uniq('board')) {
  return rest.create('boards', { name: tag, slug: tag });
}

export async function makeSession(rest, boardId, title = uniq('session')) {
  return rest.create('sessions', { board_id: boardId, title, agentic_tool: 'command', agent_command: ['cat'] });
}

export async function makeMessage(rest, sessionId, content) {
  return rest.create('messages', { session_id: sessionId, role: 'user', content });
}

// Subscription records may come back as an array or as a Feathers page.
export function asList(result) {
  return Array.isArray(result) ? result : result?.data;
}

// Compares decimal seq strings.
export function seqLess(a, b) {
  return BigInt(a) < BigInt(b);
}

// Resolves with the error `promise` rejects with, after checking it is the stock client's
// `Type` (a class of @feathersjs/errors) with that code and className.
export async function assertFeathersError(promise, Type, code, className) {
  let caught;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected a ${Type.name} error, the call succeeded`);
  assert.ok(caught instanceof FeathersError, `not a FeathersError: ${caught?.stack ?? caught}`);
  assert.ok(caught instanceof Type, `expected ${Type.name}, got ${caught.name}: ${caught.message}`);
  assert.equal(caught.name, Type.name);
  assert.equal(caught.code, code);
  assert.equal(caught.className, className);
  assert.equal(typeof caught.message, 'string');
  return caught;
}

// Simulates a dropped connection and keeps the client away until reconnect() is called:
// reconnection is paused, the engine is closed under the socket (as a network drop would).
export async function drop(c) {
  c.socket.io.reconnection(false);
  const gone = nextEvent(c.socket, 'disconnect', { what: 'disconnect after engine.close()' });
  c.socket.io.engine.close();
  await gone;
  assert.equal(c.socket.connected, false);
}

// Lets the stock client reconnect by itself (its own reconnection loop, its own CONNECT packet
// with {pid, offset}); resolves when it is connected again.
export async function reconnect(c) {
  const back = nextEvent(c.socket, 'connect', { timeoutMs: RECONNECT_WAIT_MS, what: 'reconnect' });
  c.socket.io.reconnection(true);
  c.socket.connect();
  await back;
}
