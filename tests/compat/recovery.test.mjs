// Socket.IO connection-state recovery with the stock socket.io-client: the client sends
// {pid, offset} by itself when it reconnects; agor replays exactly the events it missed, from its
// durable event log, also after `kill -9` and a restart of the daemon on the same db and port.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './daemon.mjs';
import {
  open, nextEvent, Recorder, restClient, uniq, makeBoard, makeSession, makeMessage, asList,
  SEQ_RE, seqLess, drop, reconnect, RECONNECT_WAIT_MS,
} from './helpers.mjs';

// A client subscribed to `boardId` that records its 'messages created' events.
async function subscriber(url, boardId, opts = {}) {
  const c = await open(url, { transports: ['websocket'], ...opts });
  c.rec = new Recorder(c.app, ['messages'], ['created']);
  c.sub = await c.service('subscriptions').create({ board_id: boardId });
  return c;
}

function ids(c) {
  return c.rec.named('messages created').map((i) => i.record.message_id);
}

function assertOffsetsIncrease(c) {
  const items = c.rec.items;
  for (const i of items) assert.match(String(i.offset), SEQ_RE, `event without a seq offset: ${JSON.stringify(i.record)}`);
  for (let k = 1; k < items.length; k++) {
    assert.ok(seqLess(items[k - 1].offset, items[k].offset),
      `offsets not increasing: ${items[k - 1].offset} then ${items[k].offset}`);
  }
}

async function createMessages(writer, sessionId, n, label) {
  const out = [];
  for (let k = 0; k < n; k++) out.push(await writer(sessionId, `${label} ${k + 1}/${n}`));
  return out.map((m) => m.message_id);
}

describe('connection state recovery after a dropped connection', () => {
  let daemon;
  let rest;
  let board;
  let session;
  const clients = [];
  before(async () => {
    daemon = await startDaemon();
    rest = restClient(daemon);
    board = await makeBoard(rest);
    session = await makeSession(rest, board.board_id);
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  for (const [mode, opts] of [['websocket only', { transports: ['websocket'] }], ['default transports', { transports: undefined }]]) {
    test(`missed events arrive once, in order (${mode})`, async () => {
      const N = 20;
      const c = await subscriber(daemon, board.board_id, opts);
      clients.push(c);
      const writerClient = await open(daemon, { transports: ['websocket'] });
      clients.push(writerClient);
      const write = (sessionId, content) => writerClient.service('messages').create({ session_id: sessionId, role: 'user', content });
      assert.equal(c.socket.recovered, false, 'a first connection is not a recovery');

      const live = await createMessages(write, session.session_id, 3, 'before the drop');
      await c.rec.waitForCount('messages created', 3);
      assert.deepEqual(ids(c), live);

      await drop(c);
      const missed = await createMessages(write, session.session_id, N, 'while disconnected');
      await reconnect(c);
      assert.equal(c.socket.recovered, true, 'socket.recovered after reconnecting with {pid, offset}');

      await c.rec.waitForCount('messages created', 3 + N, { what: 'the missed events' });
      const after = await createMessages(write, session.session_id, 3, 'after the reconnect');
      await c.rec.waitForCount('messages created', 3 + N + 3, { what: 'live events after recovery' });
      // A last barrier so that a late duplicate would be seen.
      const last = await createMessages(write, session.session_id, 1, 'barrier');
      await c.rec.waitFor((items) => items.some((i) => i.record.message_id === last[0]), { what: 'barrier message' });
      assert.deepEqual(ids(c), [...live, ...missed, ...after, ...last], 'every event exactly once, in order');
      assertOffsetsIncrease(c);

      // The subscription survived the recovery.
      const subs = asList(await c.service('subscriptions').find());
      assert.deepEqual(subs.map((s) => s.id), [c.sub.id]);
      c.close();
    });
  }

  test('a second drop right after a recovery recovers again', async () => {
    const c = await subscriber(daemon, board.board_id);
    clients.push(c);
    const write = (sid, content) => makeMessage(rest, sid, content);
    const expected = await createMessages(write, session.session_id, 1, 'first');
    await c.rec.waitForCount('messages created', 1);
    for (let round = 0; round < 2; round++) {
      await drop(c);
      expected.push(...await createMessages(write, session.session_id, 3, `drop ${round}`));
      await reconnect(c);
      assert.equal(c.socket.recovered, true, `round ${round}`);
      await c.rec.waitForCount('messages created', expected.length);
    }
    expected.push(...await createMessages(write, session.session_id, 1, 'barrier'));
    await c.rec.waitForCount('messages created', expected.length);
    assert.deepEqual(ids(c), expected);
    c.close();
  });
});

describe('connection state recovery across kill -9 and a restart', () => {
  let daemon;
  let rest;
  const clients = [];
  before(async () => {
    daemon = await startDaemon();
    rest = restClient(daemon);
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('events from before the kill and after the restart arrive once, in order', async () => {
    const board = await makeBoard(rest);
    const session = await makeSession(rest, board.board_id);
    const write = (sid, content) => makeMessage(rest, sid, content);
    // away: dropped before the last writes and the kill; connected: connected up to the kill.
    const away = await subscriber(daemon, board.board_id);
    const connected = await subscriber(daemon, board.board_id, { transports: undefined });
    clients.push(away, connected);

    const pre = await createMessages(write, session.session_id, 2, 'before');
    await Promise.all([away, connected].map((c) => c.rec.waitForCount('messages created', 2)));

    await drop(away);
    const beforeKill = await createMessages(write, session.session_id, 5, 'acknowledged before the kill');
    await connected.rec.waitForCount('messages created', 7);

    const connectedBack = nextEvent(connected.socket, 'connect', { timeoutMs: RECONNECT_WAIT_MS + 5000, what: 'reconnect after restart' });
    const connectedGone = nextEvent(connected.socket, 'disconnect', { what: 'disconnect at kill -9' });
    const port = daemon.port;
    const exit = await daemon.kill9();
    assert.equal(exit.signal, 'SIGKILL');
    await connectedGone;
    // Both clients now try to reconnect by themselves, and fail while the daemon is down.
    const awayBack = nextEvent(away.socket, 'connect', { timeoutMs: RECONNECT_WAIT_MS + 5000, what: 'reconnect after restart' });
    away.socket.io.reconnection(true);
    away.socket.connect();
    await nextEvent(connected.socket.io, 'reconnect_error', { what: 'a failed reconnect attempt while down' });

    await daemon.start({ port });
    assert.equal(daemon.port, port);
    await Promise.all([awayBack, connectedBack]);
    assert.equal(away.socket.recovered, true, 'recovered after the restart (client that was away)');
    assert.equal(connected.socket.recovered, true, 'recovered after the restart (client connected at the kill)');

    const afterRestart = await createMessages(write, session.session_id, 5, 'after the restart');
    const expected = [...pre, ...beforeKill, ...afterRestart];
    for (const c of [away, connected]) {
      await c.rec.waitForCount('messages created', expected.length, { what: 'all events across the restart' });
    }
    const barrier = await createMessages(write, session.session_id, 1, 'barrier');
    for (const c of [away, connected]) {
      await c.rec.waitForCount('messages created', expected.length + 1);
      assert.deepEqual(ids(c), [...expected, ...barrier], 'every event exactly once, in order');
      assertOffsetsIncrease(c);
    }
  });

  test('a graceful restart (SIGTERM) recovers as well', async () => {
    const board = await makeBoard(rest);
    const session = await makeSession(rest, board.board_id);
    const write = (sid, content) => makeMessage(rest, sid, content);
    const c = await subscriber(daemon, board.board_id);
    clients.push(c);
    const pre = await createMessages(write, session.session_id, 1, 'before');
    await c.rec.waitForCount('messages created', 1);
    await drop(c);
    const missed = await createMessages(write, session.session_id, 3, 'missed');
    const exit = await daemon.stop('SIGTERM');
    assert.equal(exit.code, 0, `SIGTERM exit: ${JSON.stringify(exit)}`);
    const back = nextEvent(c.socket, 'connect', { timeoutMs: RECONNECT_WAIT_MS, what: 'reconnect after restart' });
    c.socket.io.reconnection(true);
    c.socket.connect();
    await daemon.start({ port: daemon.port });
    await back;
    assert.equal(c.socket.recovered, true);
    const post = await createMessages(write, session.session_id, 2, 'after');
    await c.rec.waitForCount('messages created', 6);
    assert.deepEqual(ids(c), [...pre, ...missed, ...post]);
  });
});

describe('recovery refused when the offset is older than the retention', () => {
  let daemon;
  let rest;
  const clients = [];
  const RETAIN = 5;
  before(async () => {
    daemon = await startDaemon({ args: ['--event-retention-count', String(RETAIN)] });
    rest = restClient(daemon);
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('socket.recovered is false and no partial replay happens', async () => {
    const board = await makeBoard(rest);
    const session = await makeSession(rest, board.board_id);
    const write = (sid, content) => makeMessage(rest, sid, content);
    const c = await subscriber(daemon, board.board_id);
    clients.push(c);
    await createMessages(write, session.session_id, 1, 'seen');
    await c.rec.waitForCount('messages created', 1);

    await drop(c);
    await createMessages(write, session.session_id, RETAIN * 6, 'beyond retention');
    await reconnect(c);
    assert.equal(c.socket.recovered, false, 'an offset older than the retention is not recovered');

    // A fresh session: no subscription kept; the client subscribes again and gets live events
    // only (no partial replay of what it missed).
    assert.deepEqual(asList(await c.service('subscriptions').find()), []);
    await c.service('subscriptions').create({ board_id: board.board_id });
    const fresh = await createMessages(write, session.session_id, 2, 'fresh');
    await c.rec.waitForCount('messages created', 3);
    assert.deepEqual(ids(c).slice(1), fresh);

    // And a recovery inside the retention still works on this daemon.
    await drop(c);
    const few = await createMessages(write, session.session_id, 2, 'within retention');
    await reconnect(c);
    assert.equal(c.socket.recovered, true, 'an offset within the retention is recovered');
    await c.rec.waitForCount('messages created', 5);
    assert.deepEqual(ids(c).slice(3), few);
  });
});
