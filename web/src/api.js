// The Feathers client of the page: stock @feathersjs/feathers + socketio-client +
// authentication-client over socket.io-client, talking to the daemon that served the page.
//
// Transport: WebSocket only (`transports: ['websocket']`). The daemon serving this page always
// speaks WebSocket on the same origin, so the long-polling handshake the default starts with
// would only add round trips (and a second HTTP request stream) to every load and reconnect;
// recovery ({pid, offset}) works the same on both (tests/compat/recovery.test.mjs).
//
// Authentication: authentication-client keeps the JWT in localStorage (`feathers-jwt`), so a
// reload logs in again with `reAuthenticate()`; after a dropped connection it calls
// `reAuthenticate(true)` itself, and its `create authentication` waits in the socket's buffer
// until the reconnect, before the daemon replays what we missed.
//
// Reconnects: a recovered connection (socket.recovered) gets every missed event replayed and
// keeps its board subscriptions; a connection that could not be recovered (the log no longer
// holds our offset) starts afresh, so the open views refetch and subscribe again
// (onReconnect). Events are applied idempotently by id (LiveSet), so a replay can never double
// anything.
import { feathers } from '@feathersjs/feathers';
import socketio from '@feathersjs/socketio-client';
import authentication from '@feathersjs/authentication-client';
import { io } from 'socket.io-client';

export const socket = io(window.location.origin, { transports: ['websocket'] });
export const client = feathers();
client.configure(socketio(socket));
client.configure(authentication());

// ---- connection state -------------------------------------------------------------------

let state = 'reconnecting'; // until the first connect
let everConnected = false;
const stateListeners = new Set();
const reconnectListeners = new Set();
const authLostListeners = new Set();

export function connectionState() {
  return state;
}

// fn(state) now and at every change: 'connected' | 'reconnecting' | 'disconnected'.
export function onConnectionState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}

// fn({recovered}) after every reconnect (not the first connect).
export function onReconnect(fn) {
  reconnectListeners.add(fn);
  return () => reconnectListeners.delete(fn);
}

// fn(error) when the stored token no longer works after a reconnect (expired, revoked).
export function onAuthLost(fn) {
  authLostListeners.add(fn);
  return () => authLostListeners.delete(fn);
}

function setState(next) {
  if (next === state) return;
  state = next;
  for (const fn of stateListeners) fn(state);
}

socket.on('connect', () => {
  setState('connected');
  if (!everConnected) {
    everConnected = true;
    return;
  }
  const recovered = socket.recovered === true;
  for (const fn of reconnectListeners) fn({ recovered });
});

socket.on('disconnect', () => {
  // socket.active: the manager will reconnect by itself (transport closed or errored); not
  // after our own disconnect() or the server's DISCONNECT packet.
  setState(socket.active ? 'reconnecting' : 'disconnected');
  // authentication-client's own disconnect listener (registered first) has just started
  // reAuthenticate(true): its promise would otherwise reject unhandled if the token is gone.
  const pending = client.get('authentication');
  if (pending && typeof pending.catch === 'function') {
    pending.catch((err) => {
      for (const fn of authLostListeners) fn(err);
    });
  }
});

socket.on('connect_error', () => {
  setState(socket.active ? 'reconnecting' : 'disconnected');
});

socket.io.on('reconnect_failed', () => setState('disconnected'));

// The banner's "Reconnect now" after the server or we closed the socket.
export function reconnectNow() {
  if (!socket.connected) socket.connect();
}

// ---- reading ----------------------------------------------------------------------------

// Every record of a find, following pages (the daemon's max page is 1000).
export async function findAll(service, query = {}) {
  const out = [];
  const limit = 1000;
  for (let skip = 0; ; skip += limit) {
    const page = await client.service(service).find({ query: { ...query, $limit: limit, $skip: skip } });
    const data = Array.isArray(page) ? page : page.data;
    out.push(...data);
    if (Array.isArray(page) || data.length < limit || out.length >= page.total) return out;
  }
}

const EVENTS = ['created', 'updated', 'patched', 'removed'];

// Listens to a service's created/updated/patched/removed; fn(kind, record). Returns off().
export function listen(service, fn) {
  const svc = client.service(service);
  const handlers = EVENTS.map((kind) => {
    const handler = (record) => fn(kind, record);
    svc.on(kind, handler);
    return [kind, handler];
  });
  return () => {
    for (const [kind, handler] of handlers) svc.off(kind, handler);
  };
}

// A live, idempotent set of records keyed by id: a snapshot (find) plus the events that follow.
//   accept(record): whether a record belongs here (e.g. its board_id is the open board); a
//   patched record that no longer belongs (moved elsewhere) leaves.
// Events that arrive while a snapshot loads are queued and applied, in order, on top of it:
// each record then ends as its latest event (or the snapshot when none came), so nothing is
// lost or doubled whatever the interleaving. `created` of a known id replaces it (a replay),
// `removed` of an unknown id is a no-op.
export class LiveSet {
  constructor({ idKey, accept = () => true, onChange = () => {} }) {
    this.idKey = idKey;
    this.accept = accept;
    this.onChange = onChange;
    this.map = new Map();
    this.loading = 0; // the serial of the load in flight, 0 when none
    this.serial = 0;
    this.queue = [];
    this.ready = false;
  }

  get(id) {
    return this.map.get(id);
  }

  values() {
    return [...this.map.values()];
  }

  // Replaces the content with fetch()'s records; resolves once applied. When fetch fails the
  // content stays, the events queued meanwhile are applied to it, and the error is thrown.
  async load(fetch) {
    const token = ++this.serial;
    if (!this.loading) this.queue = [];
    this.loading = token;
    let rows;
    try {
      rows = await fetch();
    } catch (err) {
      if (token === this.loading) this.flush(null);
      throw err;
    }
    if (token === this.loading) this.flush(rows); // else a newer load superseded this one
  }

  flush(rows) {
    const queued = this.queue;
    this.queue = [];
    this.loading = 0;
    const changed = new Set();
    if (rows) {
      for (const id of this.map.keys()) changed.add(id);
      this.map = new Map();
      for (const r of rows) {
        if (!this.accept(r)) continue;
        this.map.set(r[this.idKey], r);
        changed.add(r[this.idKey]);
      }
      this.ready = true;
    }
    for (const [kind, record] of queued) this.applyOne(kind, record, changed);
    this.onChange({ reset: !!rows, ids: changed });
  }

  apply(kind, record) {
    if (!record || typeof record !== 'object') return;
    if (this.loading) {
      this.queue.push([kind, record]);
      return;
    }
    const changed = new Set();
    this.applyOne(kind, record, changed);
    if (changed.size) this.onChange({ reset: false, ids: changed, kind });
  }

  applyOne(kind, record, changed) {
    const id = record[this.idKey];
    if (id === undefined || id === null) return;
    if (kind === 'removed' || !this.accept(record)) {
      if (this.map.delete(id)) changed.add(id);
      return;
    }
    this.map.set(id, record);
    changed.add(id);
  }
}
