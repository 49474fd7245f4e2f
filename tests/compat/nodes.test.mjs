// The compatibility suite across nodes (issue 14): stock Feathers clients on different agor
// nodes of one deployment (`--store` PostgreSQL, `--broker` Redis, from $AGOR_TEST_SERVICES:
// services.mjs) see each other's writes as events, in the same order, read and change each
// other's records with the same errors as on one node, a private board stays private across
// nodes, and a connection dropped on one node is recovered on another. Each case starts 3
// nodes (default `--channels boards`) on a fresh database.
//
// Waits are driven by events; a negative check ("nothing of the private board reached her")
// uses a barrier: a later write on a board she follows, which reaches her after everything
// written before it (one ordered stream per connection).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import authentication, { MemoryStorage } from '@feathersjs/authentication-client';
import { NotFound, BadRequest, MethodNotAllowed, Conflict } from '@feathersjs/errors';
import { servicesMissing, startServices, startNodes, stopNodes } from './services.mjs';
import {
  assertFeathersError, connect, connected, open, Recorder, restClient, uniq, makeBoard, makeSession,
  makeMessage, asList, SEQ_RE, seqLess, drop, reconnect,
} from './helpers.mjs';

const SERVICES = ['boards', 'sessions', 'messages'];
const WAIT = { timeoutMs: 15000 };

// A websocket client of `node` as its admin, recording SERVICES' events.
async function adminClient(node) {
  const c = await open(node, { transports: ['websocket'] });
  c.rec = new Recorder(c.app, SERVICES);
  return c;
}

// A client that logs in as `who` ({email, password}) with the stock authentication-client.
async function userClient(node, who) {
  const c = connect(node.url, { transports: ['websocket'] });
  c.app.configure(authentication({ storage: new MemoryStorage() }));
  await connected(c.socket);
  await c.app.authenticate({ strategy: 'local', email: who.email, password: who.password });
  c.rec = new Recorder(c.app, SERVICES);
  return c;
}

// A user's message on a session, through a socket client.
function post(c, sessionId, content) {
  return c.service('messages').create({ session_id: sessionId, role: 'user', content });
}

async function makeUser(rest) {
  const email = `${uniq('user')}@example.com`;
  const password = `pw-${uniq('secret')}`;
  const user = await rest.create('users', { email, password, name: email, role: 'member' });
  return { user, email, password };
}

// A record's own id: a message's, else a session's, else a board's.
const idOf = (r) => r.message_id ?? r.session_id ?? r.board_id;
// Whether a record is, or belongs to, one of `ids` (board, session and message ids).
const touches = (r, ids) => [r.board_id, r.session_id, r.message_id].some((id) => ids.has(id));

// The events of a recorder that touch `ids`, as comparable [name, id, offset] triples, up to
// and including the one of the record `last`.
function sequence(rec, ids, last) {
  const items = rec.items.filter((i) => touches(i.record, ids)).map((i) => [i.name, idOf(i.record), i.offset]);
  return items.slice(0, items.findIndex((i) => i[1] === last) + 1);
}

function waitForId(c, id, what) {
  return c.rec.waitForItem((i) => idOf(i.record) === id, { ...WAIT, what });
}

describe('Feathers clients on 3 nodes', { skip: servicesMissing() }, () => {
  let services;
  let nodes = [];
  const clients = [];
  before(async () => {
    services = await startServices();
  });
  after(async () => {
    for (const c of clients) c.close();
    await stopNodes(nodes);
    await services?.stop();
  });

  // A case's own 3 nodes on a fresh database (the previous case's are stopped).
  async function freshNodes(name) {
    for (const c of clients.splice(0)) c.close();
    await stopNodes(nodes);
    nodes = [];
    nodes = await startNodes(services, name);
    return nodes;
  }

  async function track(promise) {
    const c = await promise;
    clients.push(c);
    return c;
  }

  test('writes through node 0 (socket) and node 1 (REST) reach all 3 nodes, in one order', async () => {
    await freshNodes('order');
    const watchers = await Promise.all(nodes.map((n) => track(adminClient(n))));
    const writer = watchers[0];
    const rest1 = restClient(nodes[1]);
    const board = await writer.service('boards').create({ name: uniq('order'), slug: uniq('order') });
    await Promise.all(watchers.map((w) => w.service('subscriptions').create({ board_id: board.board_id })));
    const session = await makeSession(rest1, board.board_id);
    // Sequential writes alternating between the nodes, then a burst of concurrent ones.
    const written = [];
    for (let k = 0; k < 4; k++) {
      written.push((await post(writer, session.session_id, `s${k}`)).message_id);
      written.push((await makeMessage(rest1, session.session_id, `r${k}`)).message_id);
    }
    await writer.service('boards').patch(board.board_id, { description: 'by socket on node 0' });
    await rest1.patch('boards', board.board_id, { description: 'by REST on node 1' });
    const burst = await Promise.all(Array.from({ length: 10 }, (_, k) => (k % 2
      ? makeMessage(rest1, session.session_id, `burst ${k}`)
      : post(writer, session.session_id, `burst ${k}`))));
    const last = (await makeMessage(rest1, session.session_id, 'last')).message_id;
    await Promise.all(watchers.map((w, i) => waitForId(w, last, `the last message on node ${i}`)));

    const burstIds = burst.map((m) => m.message_id);
    const ids = new Set([board.board_id, session.session_id, ...written, ...burstIds, last]);
    const seqs = watchers.map((w) => sequence(w.rec, ids, last));
    assert.deepEqual(seqs[1], seqs[0], 'node 1 saw the events of node 0, in its order');
    assert.deepEqual(seqs[2], seqs[0], 'node 2 saw the events of node 0, in its order');
    const created = seqs[0].filter((e) => e[0] === 'messages created').map((e) => e[1]);
    assert.deepEqual(created.slice(0, written.length), written, 'sequential writes in their order');
    assert.deepEqual(new Set(created.slice(written.length)), new Set([...burstIds, last]));
    assert.deepEqual(seqs[0].filter((e) => e[0] === 'boards patched').length, 2);
    for (const e of seqs[0]) assert.match(String(e[2]), SEQ_RE, `event without a seq offset: ${e[0]}`);
    for (let k = 1; k < seqs[0].length; k++) {
      assert.ok(seqLess(seqs[0][k - 1][2], seqs[0][k][2]),
        `offsets not increasing at ${k}: ${JSON.stringify(seqs[0])}`);
    }
  });

  test('CRUD on node 2 over what node 0 wrote, errors as on one node', async () => {
    await freshNodes('crud');
    const c0 = await track(adminClient(nodes[0]));
    const c2 = await track(adminClient(nodes[2]));
    const boards0 = c0.service('boards');
    const boards2 = c2.service('boards');
    const tag = uniq('crud');
    const a = await boards0.create({ name: `${tag} a`, slug: `${tag}-a`, description: 'node 0' });
    const b = await boards0.create({ name: `${tag} b`, slug: `${tag}-b` });
    assert.deepEqual(await boards2.get(a.board_id), a);
    const found = await boards2.find({ query: { slug: { $in: [a.slug, b.slug] }, $sort: { name: 1 } } });
    assert.equal(found.total, 2);
    assert.deepEqual(found.data, [a, b]);

    const session = await makeSession(restClient(nodes[0]), a.board_id);
    const message = await post(c0, session.session_id, 'hi');
    const messages = await c2.service('messages').find({ query: { session_id: session.session_id } });
    assert.deepEqual(messages.data.map((m) => m.message_id), [message.message_id]);

    const patched = await boards2.patch(a.board_id, { description: 'node 2' });
    assert.equal(patched.name, a.name);
    assert.deepEqual(await boards0.get(a.board_id), patched, 'node 0 reads node 2\'s patch');
    const updated = await boards2.update(b.board_id, { name: `${tag} b2`, slug: `${tag}-b2` });
    assert.deepEqual(await boards0.get(b.board_id), updated);
    const removed = await boards2.remove(b.board_id);
    assert.equal(removed.board_id, b.board_id);
    await assertFeathersError(boards0.get(b.board_id), NotFound, 404, 'not-found');
    await assertFeathersError(boards2.patch(b.board_id, { description: 'x' }), NotFound, 404, 'not-found');
    await assertFeathersError(boards2.create({ name: `${tag} c`, slug: a.slug }), Conflict, 409, 'conflict');
    await assertFeathersError(boards2.create({ name: tag, slug: tag, bogus_field: 1 }),
      BadRequest, 400, 'bad-request');
    await assertFeathersError(boards2.remove(null), MethodNotAllowed, 405, 'method-not-allowed');
    await assertFeathersError(c2.service('no-such-service').find(), NotFound, 404, 'not-found');
    const none = await boards0.find({ query: { slug: tag } });
    assert.equal(none.total, 0, 'nothing stored by the refused create');
  });

  test('a private board\'s events never reach a non-member on another node', async () => {
    await freshNodes('private');
    const rest0 = restClient(nodes[0]);
    const team = await makeBoard(rest0, uniq('team'));
    const teamSession = await makeSession(rest0, team.board_id);
    const ptag = uniq('private');
    const secret = await rest0.create('boards', { name: ptag, slug: ptag, visibility: 'private' });
    const [member, outsider] = [await makeUser(rest0), await makeUser(rest0)];
    await rest0.create('board-members',
      { board_id: secret.board_id, user_id: member.user.user_id, role: 'editor' });

    const admin = await track(adminClient(nodes[0]));
    const carol = await track(userClient(nodes[1], member));
    const mallory = await track(userClient(nodes[2], outsider));
    for (const c of [carol, mallory]) await c.service('subscriptions').create({ board_id: team.board_id });
    await carol.service('subscriptions').create({ board_id: secret.board_id });
    await assertFeathersError(mallory.service('subscriptions').create({ board_id: secret.board_id }),
      NotFound, 404, 'not-found');
    await assertFeathersError(mallory.service('boards').get(secret.board_id),
      NotFound, 404, 'not-found');

    // The admin writes on the private board through node 0, then on the team board (the barrier).
    const secretSession = await admin.service('sessions').create({
      board_id: secret.board_id, title: uniq('secret'), agentic_tool: 'command', agent_command: ['cat'],
    });
    const secretMessage = await post(admin, secretSession.session_id, 'secret');
    await admin.service('boards').patch(secret.board_id, { description: 'still private' });
    const barrier = await post(admin, teamSession.session_id, 'barrier');

    await waitForId(carol, secretMessage.message_id, 'the member sees the private message on node 1');
    await Promise.all([carol, mallory].map((c) => waitForId(c, barrier.message_id, 'the barrier')));
    const secretIds = new Set([secret.board_id, secretSession.session_id, secretMessage.message_id]);
    const leaked = mallory.rec.items.filter((i) => touches(i.record, secretIds));
    assert.deepEqual(leaked, [], 'nothing of the private board reached the non-member on node 2');
    assert.ok(carol.rec.items.some((i) => i.name === 'boards patched' && i.record.board_id === secret.board_id),
      'the member saw the private board patched');
  });

  // A load balancer may send the reconnect elsewhere: the stock client's manager reconnects to
  // its `uri`, which the test points at node 1 while the client is away.
  test('a connection dropped on node 0 is recovered on node 1, missed events replayed', async () => {
    await freshNodes('recovery');
    const rest2 = restClient(nodes[2]);
    const board = await makeBoard(rest2);
    const session = await makeSession(rest2, board.board_id);
    const c = await track(adminClient(nodes[0]));
    await c.service('subscriptions').create({ board_id: board.board_id });
    const messages = () => c.rec.named('messages created').map((i) => i.record.message_id);
    const live = (await makeMessage(rest2, session.session_id, 'live')).message_id;
    await waitForId(c, live, 'the live message');

    await drop(c);
    const missed = [];
    for (let k = 0; k < 5; k++) {
      missed.push((await makeMessage(rest2, session.session_id, `missed ${k}`)).message_id);
    }
    c.socket.io.uri = nodes[1].url;
    await reconnect(c);
    assert.equal(c.socket.io.engine.port, String(nodes[1].port), 'reconnected to node 1');
    assert.equal(c.socket.recovered, true, 'node 1 recovered the session node 0 held');
    const after = (await makeMessage(restClient(nodes[0]), session.session_id, 'after')).message_id;
    await waitForId(c, after, 'a live message after the recovery');
    assert.deepEqual(messages(), [live, ...missed, after], 'every event once, in order');
    const subs = await c.service('subscriptions').find();
    assert.deepEqual(asList(subs).map((x) => x.board_id), [board.board_id], 'its subscription too');
  });
});
