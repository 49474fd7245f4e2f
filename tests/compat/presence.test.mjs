// Presence and the activity feed (issue 12) with the stock Feathers client: the `presence`
// service's roster events, selection and typing (with its expiry), Agor's own `cursor-move` /
// `cursor-moved` events and their coalescing, the disconnect grace and a recovered reconnect
// without leave/join flicker, privacy (a private board's presence never reaches a non-member,
// revoking a member removes their entry), and the read-only `activity` service with its live
// events (a private board's feed is, to a non-member, exactly a missing board's: an empty find,
// a NotFound get, no live entry).
//
// One daemon for the file, with short presence times (typing expiry, disconnect grace) so the
// waits stay short. Waits are driven by events. Negative checks ("nothing of board P reached
// dave") use a barrier: a presence patch on a board the client is on, sent after the traffic
// that must not arrive and received after it (one ordered queue per connection).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './daemon.mjs';
import {
  open, nextEvent, Recorder, restClient, uniq, makeBoard, makeSession, asList, ISO_RE,
} from './helpers.mjs';

const GRACE_MS = 1500;
const TYPING_MS = 300;
const ENTRY_KEYS = ['board_id', 'cursor', 'emoji', 'idle', 'last_active', 'name', 'presence_id',
  'selected_session_id', 'typing_session_id', 'user_id'];
const ACTIVITY_KEYS = ['activity_id', 'actor', 'board_id', 'count', 'first_seq', 'last_seq',
  'session_id', 'summary', 'task_id', 'ts', 'verb'];

// Records Agor's raw socket events (cursor-moved, cursor-left) with all their arguments.
class RawRecorder {
  constructor(socket, names = ['cursor-moved', 'cursor-left']) {
    this.items = [];
    this.waiters = [];
    for (const name of names) {
      socket.on(name, (...args) => {
        this.items.push({ name, data: args[0], args });
        this.waiters = this.waiters.filter((w) => !w());
      });
    }
  }

  // Resolves with the first item matching `match` (now or later).
  waitFor(match, { timeoutMs = 5000, what = 'a raw event' } = {}) {
    const found = this.items.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(() => {
        const item = this.items.find(match);
        if (!item) return false;
        clearTimeout(timer);
        resolve(item);
        return true;
      });
    });
  }
}

// The rejection of `promise` (fails when it resolves).
async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

function assertFeathersError(err, name, code) {
  assert.equal(err.name, name, JSON.stringify(err));
  assert.equal(err.code, code, JSON.stringify(err));
}

function assertEntry(entry, { userId, name, boardId }) {
  assert.deepEqual(Object.keys(entry).sort(), ENTRY_KEYS, JSON.stringify(entry));
  assert.equal(typeof entry.presence_id, 'string');
  assert.ok(entry.presence_id.length > 0);
  assert.equal(entry.user_id, userId);
  assert.equal(entry.name, name);
  assert.equal(entry.board_id, boardId);
  assert.equal(typeof entry.idle, 'boolean');
  assert.match(entry.last_active, ISO_RE);
}

describe('presence and the activity feed with the stock Feathers client', () => {
  let daemon;
  let rest;
  let admin; // the admin's users record
  let boardA;
  let boardB;
  let sA1;
  let sA2;
  let sB1;
  const users = {};
  const clients = [];

  // A member user and an access token of theirs (local login over REST).
  async function makeUser(name, emoji) {
    const email = `${uniq(name)}@example.com`;
    const password = `pw-${uniq('secret')}`;
    const user = await rest.create('users', { email, password, name, emoji, role: 'member' });
    const auth = await rest.create('authentication', { strategy: 'local', email, password });
    return { user, token: auth.accessToken };
  }

  // A websocket client of `who` (a users entry of makeUser, or the admin by default) recording
  // its presence events and Agor's raw cursor events.
  async function client(who, opts = {}) {
    const target = who ? { url: daemon.url, token: who.token } : daemon;
    const c = await open(target, { transports: ['websocket'], ...opts });
    clients.push(c);
    c.rec = new Recorder(c.app, ['presence']);
    c.raw = new RawRecorder(c.socket);
    c.presence = c.service('presence');
    return c;
  }

  // Waits until `c` has the presence event `name` matching `match(record)`.
  function presenceEvent(c, name, match, what = name) {
    return c.rec.waitForItem((i) => i.name === name && match(i.record), { what });
  }

  // Patches `c`'s entry on a board `watcher` is on and waits until the watcher has that patch:
  // everything queued for the watcher before it has then arrived.
  async function barrier(c, entry, watcher) {
    const cursor = { x: Math.floor(Math.random() * 1e6), y: 7 };
    await c.presence.patch(entry.presence_id, { cursor });
    await presenceEvent(watcher, 'presence patched',
      (r) => r.presence_id === entry.presence_id && r.cursor?.x === cursor.x, 'the barrier');
  }

  before(async () => {
    daemon = await startDaemon({
      args: ['--presence-grace-ms', String(GRACE_MS), '--presence-typing-ms', String(TYPING_MS)],
    });
    rest = restClient(daemon);
    admin = (await rest.create('authentication', { strategy: 'api-key', api_key: daemon.token })).user;
    boardA = await makeBoard(rest, uniq('A'));
    boardB = await makeBoard(rest, uniq('B'));
    sA1 = await makeSession(rest, boardA.board_id);
    sA2 = await makeSession(rest, boardA.board_id);
    sB1 = await makeSession(rest, boardB.board_id);
    users.bob = await makeUser('bob', '🐻');
    users.carol = await makeUser('carol', '🐱');
    users.dave = await makeUser('dave', '🦊');
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('roster: create joins, find lists, remove and joining elsewhere leave', async () => {
    const a = await client();
    const b = await client(users.bob);
    const mine = await a.presence.create({ board_id: boardA.board_id });
    assertEntry(mine, { userId: admin.user_id, name: admin.name, boardId: boardA.board_id });
    assert.equal(mine.cursor, null);
    assert.equal(mine.selected_session_id, null);
    assert.equal(mine.typing_session_id, null);
    assert.equal(mine.idle, false);

    const bobs = await b.presence.create({ board_id: boardA.board_id });
    assertEntry(bobs, { userId: users.bob.user.user_id, name: 'bob', boardId: boardA.board_id });
    assert.equal(bobs.emoji, '🐻');
    assert.notEqual(bobs.presence_id, mine.presence_id);
    const joined = await presenceEvent(a, 'presence created', (r) => r.presence_id === bobs.presence_id);
    assert.deepEqual(joined.record, bobs);
    assert.equal(joined.offset, undefined, 'presence events carry no seq offset');
    assert.notEqual(bobs.presence_id, b.socket._pid, 'the presence id is not the recovery pid');

    const roster = asList(await b.presence.find({ query: { board_id: boardA.board_id } }));
    assert.deepEqual(roster.map((e) => e.presence_id).sort(), [mine.presence_id, bobs.presence_id].sort());
    const overRest = asList(await rest.find('presence', `board_id=${boardA.board_id}`));
    assert.deepEqual(overRest.map((e) => e.presence_id).sort(), roster.map((e) => e.presence_id).sort());

    await b.presence.remove(bobs.presence_id);
    await presenceEvent(a, 'presence removed', (r) => r.presence_id === bobs.presence_id);
    const after1 = asList(await a.presence.find({ query: { board_id: boardA.board_id } }));
    assert.deepEqual(after1.map((e) => e.presence_id), [mine.presence_id]);

    // One board at a time: joining B leaves A.
    const again = await b.presence.create({ board_id: boardA.board_id });
    await presenceEvent(a, 'presence created', (r) => r.presence_id === again.presence_id);
    await b.presence.create({ board_id: boardB.board_id });
    await presenceEvent(a, 'presence removed', (r) => r.presence_id === again.presence_id, 'left A for B');
    // Someone else's entry is NotFound, like a missing one.
    assertFeathersError(await rejection(b.presence.remove(mine.presence_id)), 'NotFound', 404);
    a.close();
    b.close();
  });

  test('selection and typing reach the board, typing expires by itself, bad input is refused', async () => {
    const a = await client();
    const b = await client(users.bob);
    await a.presence.create({ board_id: boardA.board_id });
    const bobs = await b.presence.create({ board_id: boardA.board_id });

    await b.presence.patch(bobs.presence_id, { selected_session_id: sA1.session_id });
    await presenceEvent(a, 'presence patched',
      (r) => r.presence_id === bobs.presence_id && r.selected_session_id === sA1.session_id, 'selection');

    const typing = await b.presence.patch(bobs.presence_id, { typing_session_id: sA2.session_id });
    assert.equal(typing.typing_session_id, sA2.session_id);
    await presenceEvent(a, 'presence patched',
      (r) => r.presence_id === bobs.presence_id && r.typing_session_id === sA2.session_id, 'typing');
    const expired = await presenceEvent(a, 'presence patched',
      (r) => r.presence_id === bobs.presence_id && r.typing_session_id === null &&
        r.selected_session_id === sA1.session_id, 'typing expiry');
    assert.equal(expired.record.selected_session_id, sA1.session_id, 'the selection stays');

    const refuse = async (data, name, code) => assertFeathersError(
      await rejection(b.presence.patch(bobs.presence_id, data)), name, code);
    await refuse({ selected_session_id: sB1.session_id }, 'BadRequest', 400); // another board's
    await refuse({ cursor: { x: 1e8, y: 0 } }, 'BadRequest', 400);
    await refuse({ cursor: { x: 'left', y: 0 } }, 'BadRequest', 400);
    await refuse({ colour: 'red' }, 'BadRequest', 400);
    await refuse({ typing_session_id: '00000000-0000-4000-8000-000000000000' }, 'NotFound', 404);
    assertFeathersError(await rejection(b.presence.create({ board_id: '00000000-0000-4000-8000-000000000000' })),
      'NotFound', 404);
    a.close();
    b.close();
  });

  test("Agor's cursor-move: coalesced to about 20 a second, the last one always arrives", async () => {
    const a = await client();
    const b = await client(users.bob);
    const mine = await a.presence.create({ board_id: boardA.board_id });
    const bobs = await b.presence.create({ board_id: boardA.board_id });
    const N = 200;
    const started = Date.now();
    await new Promise((resolve) => {
      let i = 0;
      const timer = setInterval(() => {
        i += 1;
        b.socket.emit('cursor-move', { boardId: boardA.board_id, x: i, y: -i });
        if (i === N) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const last = await a.raw.waitFor((i) => i.name === 'cursor-moved' && i.data.x === N, { what: 'the final move' });
    const seconds = (Date.now() - started) / 1000;
    const moved = a.raw.items.filter((i) => i.name === 'cursor-moved');
    // At most 20 a second: a 1-2 s burst gives about 20-40; never one per move.
    assert.ok(moved.length >= 3 && moved.length <= 25 * seconds + 5,
      `${moved.length} cursor-moved for ${N} moves in ${seconds} s`);
    assert.deepEqual(Object.keys(last.data).sort(), ['boardId', 'presenceId', 'timestamp', 'userId', 'x', 'y']);
    assert.equal(last.data.y, -N);
    assert.equal(last.data.userId, users.bob.user.user_id);
    assert.equal(last.data.presenceId, bobs.presence_id);
    assert.equal(last.data.boardId, boardA.board_id);
    assert.equal(typeof last.data.timestamp, 'number');
    assert.equal(last.args.length, 1, 'no seq offset on a cursor frame');
    for (let k = 1; k < moved.length; k++) assert.ok(moved[k].data.x > moved[k - 1].data.x, 'in order');
    assert.ok(!b.raw.items.some((i) => i.name === 'cursor-moved'), 'the sender gets no echo');
    // The entry holds the cursor.
    const roster = asList(await a.presence.find({ query: { board_id: boardA.board_id } }));
    assert.deepEqual(roster.find((e) => e.presence_id === bobs.presence_id).cursor, { x: N, y: -N });

    b.socket.emit('cursor-leave', { boardId: boardA.board_id });
    const left = await a.raw.waitFor((i) => i.name === 'cursor-left', { what: 'cursor-left' });
    assert.deepEqual(Object.keys(left.data).sort(), ['boardId', 'presenceId', 'timestamp', 'userId']);
    assert.equal(left.data.presenceId, bobs.presence_id);

    // An Agor client that never calls create, on the board through its handshake, moves too.
    const agorClient = await client(users.carol, { query: { board_id: boardA.board_id } });
    agorClient.socket.emit('cursor-move', { boardId: boardA.board_id, x: 5, y: 6 });
    const moved2 = await a.raw.waitFor(
      (i) => i.name === 'cursor-moved' && i.data.userId === users.carol.user.user_id, { what: "carol's move" });
    assert.deepEqual([moved2.data.x, moved2.data.y], [5, 6]);
    assert.notEqual(moved2.data.presenceId, mine.presence_id);
    for (const c of [a, b, agorClient]) c.close();
  });

  test('a recovered reconnect keeps the entry with no flicker, a lost one leaves after the grace', async () => {
    const a = await client();
    const b = await client(users.bob, { query: { board_id: boardA.board_id } });
    const c = await client(users.carol);
    await a.presence.create({ board_id: boardA.board_id });
    const bobs = await b.presence.create({ board_id: boardA.board_id });
    const carols = await c.presence.create({ board_id: boardA.board_id });
    await presenceEvent(a, 'presence created', (r) => r.presence_id === carols.presence_id);
    // socket.io-client recovers from the offset of the last logged event it received (presence
    // frames carry none, as volatile Socket.IO events): bob gets one of his board's events.
    const sessions = new Recorder(b.app, ['sessions'], ['patched']);
    await rest.patch('sessions', sA1.session_id, { description: uniq('seen by bob') });
    await sessions.waitForCount('sessions patched', 1);
    const from = a.rec.items.length;

    // Bob's transport drops; socket.io-client reconnects with its pid and offset and recovers.
    const back = nextEvent(b.socket, 'connect', { timeoutMs: 10000, what: 'reconnect' });
    b.socket.io.engine.close();
    await back;
    assert.equal(b.socket.recovered, true, 'connection state recovered');
    const kept = asList(await b.presence.find({ query: { board_id: boardA.board_id } }))
      .find((e) => e.presence_id === bobs.presence_id);
    assert.ok(kept, 'the recovered connection keeps its entry and presence_id');
    await barrier(b, bobs, a);
    const flicker = a.rec.items.slice(from).filter((i) =>
      i.record.presence_id === bobs.presence_id && i.name !== 'presence patched');
    assert.deepEqual(flicker, [], 'no removed/created for a recovered connection');

    // Carol's connection is lost for good: her entry leaves once the grace has passed.
    c.socket.io.reconnection(false);
    const lostAt = Date.now();
    c.socket.io.engine.close();
    await presenceEvent(a, 'presence removed', (r) => r.presence_id === carols.presence_id, 'removal after the grace');
    assert.ok(Date.now() - lostAt >= GRACE_MS - 100, 'not before the grace');
    for (const x of [a, b, c]) x.close();
  });

  test('privacy: a private board shows nothing to non-members, revoking removes the entry', async () => {
    const tag = uniq('private');
    const secret = await rest.create('boards', { name: tag, slug: tag, visibility: 'private' });
    const membership = await rest.create('board-members',
      { board_id: secret.board_id, user_id: users.carol.user.user_id, role: 'editor' });
    const a = await client();
    const carol = await client(users.carol);
    const dave = await client(users.dave);
    const watcher = await client();
    const davesA = await dave.presence.create({ board_id: boardA.board_id });
    const watchersA = await watcher.presence.create({ board_id: boardA.board_id });

    assertFeathersError(await rejection(dave.presence.find({ query: { board_id: secret.board_id } })), 'NotFound', 404);
    assertFeathersError(await rejection(dave.presence.create({ board_id: secret.board_id })), 'NotFound', 404);
    const restErr = await rejection(restClient(daemon.url, users.dave.token).find('presence', `board_id=${secret.board_id}`));
    assert.equal(restErr.status, 404);

    await a.presence.create({ board_id: secret.board_id });
    const carols = await carol.presence.create({ board_id: secret.board_id });
    await presenceEvent(a, 'presence created', (r) => r.presence_id === carols.presence_id);
    carol.socket.emit('cursor-move', { boardId: secret.board_id, x: 1, y: 2 });
    await a.raw.waitFor((i) => i.name === 'cursor-moved' && i.data.boardId === secret.board_id, { what: "carol's cursor" });
    await carol.presence.patch(carols.presence_id, { cursor: { x: 3, y: 4 } });
    await presenceEvent(a, 'presence patched', (r) => r.presence_id === carols.presence_id);
    // Dave's queue now holds anything leaked before the barrier.
    await barrier(watcher, watchersA, dave);
    const leaked = [...dave.rec.items.filter((i) => i.record.board_id === secret.board_id),
      ...dave.raw.items.filter((i) => i.data?.boardId === secret.board_id)];
    assert.deepEqual(leaked, [], 'nothing of the private board reaches a non-member');
    assert.ok(davesA.presence_id);

    // Revoking carol removes her entry at once, and she may no longer read the roster.
    await rest.remove('board-members', membership.id);
    await presenceEvent(a, 'presence removed', (r) => r.presence_id === carols.presence_id, 'revocation');
    assertFeathersError(await rejection(carol.presence.find({ query: { board_id: secret.board_id } })), 'NotFound', 404);
    for (const x of [a, carol, dave, watcher]) x.close();
  });

  test('activity: find newest first with paging, live entries on the board channel, private boards hidden', async () => {
    const tag = uniq('feed');
    const board = await rest.create('boards', { name: tag, slug: tag });
    const watcher = await client(undefined, { query: { board_id: board.board_id } });
    const feed = new Recorder(watcher.app, ['activity'], ['created', 'patched']);
    const session = await makeSession(rest, board.board_id, 'feed-session');
    const created = await feed.waitForItem(
      (i) => i.name === 'activity created' && i.record.session_id === session.session_id, { what: 'session created entry' });
    assert.deepEqual(Object.keys(created.record).sort(), ACTIVITY_KEYS, JSON.stringify(created.record));
    assert.equal(created.record.verb, 'created');
    assert.equal(created.record.board_id, board.board_id);
    assert.deepEqual(created.record.actor, { user_id: admin.user_id, name: admin.name });
    assert.match(created.record.summary, /feed-session/);
    assert.equal(created.offset, undefined, 'activity events carry no seq offset');

    await rest.create(`sessions/${session.session_id}/prompt`, { prompt: 'hello' });
    const prompted = await feed.waitForItem((i) => i.record.verb === 'prompted', { what: 'prompted entry' });
    assert.equal(prompted.record.session_id, session.session_id);
    assert.ok(prompted.record.task_id);
    await feed.waitForItem((i) => i.record.verb === 'completed', { what: 'completed entry', timeoutMs: 10000 });

    const page = asList(await watcher.service('activity').find({ query: { board_id: board.board_id, $limit: 2 } }));
    assert.equal(page.length, 2);
    assert.ok(Number(page[0].first_seq) > Number(page[1].first_seq), 'newest first');
    const older = asList(await watcher.service('activity').find(
      { query: { board_id: board.board_id, $before: page[1].first_seq } }));
    assert.ok(older.length >= 1);
    for (const e of older) assert.ok(Number(e.first_seq) < Number(page[1].first_seq), '$before pages on');
    assert.ok(older.some((e) => e.verb === 'created' && e.session_id === null), 'the board creation');
    const one = await watcher.service('activity').get(page[0].activity_id);
    assert.equal(one.activity_id, page[0].activity_id);

    // A private board's feed, to a non-member: find is empty exactly like a missing board's
    // (total too), get is NotFound, and no live entry comes.
    const ptag = uniq('pfeed');
    const secret = await rest.create('boards', { name: ptag, slug: ptag, visibility: 'private' });
    const dave = await client(users.dave, { query: { board_id: board.board_id } });
    const daveFeed = new Recorder(dave.app, ['activity'], ['created', 'patched']);
    const hidden = await dave.service('activity').find({ query: { board_id: secret.board_id } });
    const missing = await dave.service('activity').find({ query: { board_id: '00000000-0000-4000-8000-000000000000' } });
    assert.deepEqual(hidden, missing);
    assert.deepEqual(asList(hidden), []);
    const secretEntry = asList(await watcher.service('activity').find({ query: { board_id: secret.board_id } }))[0];
    assert.equal(secretEntry.verb, 'created', 'the admin sees the private board created');
    assertFeathersError(await rejection(dave.service('activity').get(secretEntry.activity_id)), 'NotFound', 404);
    await makeSession(rest, secret.board_id, 'secret-session');
    const marker = await makeSession(rest, board.board_id, 'after-secret');
    await daveFeed.waitForItem((i) => i.record.session_id === marker.session_id, { what: 'the team board entry' });
    assert.ok(!daveFeed.items.some((i) => i.record.board_id === secret.board_id), 'no private entry');
    watcher.close();
    dave.close();
  });
});
