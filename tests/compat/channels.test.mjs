// Board channels (`agor serve`, default `--channels boards`) and `--channels everybody`, seen by
// stock clients: who receives which event.
//
// Negative assertions ("client X got nothing of board B") never sleep: every write is followed by
// a barrier board creation, which reaches everybody; events arrive in seq order on each
// connection, so once a client has the barrier it has everything written before it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './daemon.mjs';
import {
  open, Recorder, restClient, uniq, makeBoard, makeSession, makeMessage, asList, UUID_RE,
} from './helpers.mjs';

const SERVICES = ['boards', 'sessions', 'tasks', 'messages'];

// Creates a barrier board and waits until every recorder has received its 'created' event.
async function barrier(rest, recorders) {
  const tag = uniq('barrier');
  const board = await rest.create('boards', { name: tag, slug: tag });
  await Promise.all(recorders.map((r) => r.waitForItem(
    (i) => i.name === 'boards created' && i.record.board_id === board.board_id,
    { what: `barrier board ${tag}` })));
  return board;
}

// The events a recorder received since `from`, as [name, id] pairs, barrier boards left out.
function seen(recorder, from = 0) {
  return recorder.items.slice(from)
    .filter((i) => !(i.service === 'boards' && String(i.record.slug).startsWith('barrier-')))
    .map((i) => [i.name, i.record[`${i.service.replace(/s$/, '')}_id`]]);
}

describe('board channels (default --channels boards)', () => {
  let daemon;
  let rest;
  let boardA;
  let boardB;
  let sA1;
  let sA2;
  let sB1;
  let taskIdA2;
  const clients = [];

  async function client(opts = {}) {
    const c = await open(daemon, { transports: ['websocket'], ...opts });
    clients.push(c);
    c.rec = new Recorder(c.app, SERVICES);
    return c;
  }

  before(async () => {
    daemon = await startDaemon();
    rest = restClient(daemon);
    boardA = await makeBoard(rest, uniq('A'));
    boardB = await makeBoard(rest, uniq('B'));
    sA1 = await makeSession(rest, boardA.board_id);
    sA2 = await makeSession(rest, boardA.board_id);
    sB1 = await makeSession(rest, boardB.board_id);
    // A task is a prompt's run (POST /tasks is refused): one on sA2, over before the test's
    // clients connect, which then see it patched.
    const watcher = await open(daemon, { transports: ['websocket'] });
    clients.push(watcher);
    await watcher.app.service('subscriptions').create({ board_id: boardA.board_id });
    const rec = new Recorder(watcher.app, ['sessions']);
    const run = await rest.create(`sessions/${sA2.session_id}/prompt`, { prompt: 'p' });
    await rec.waitForItem((i) => i.name === 'sessions patched' && i.record.status === 'idle',
      { what: 'the end of the prompt on sA2' });
    taskIdA2 = run.task_id;
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('board, session and handshake subscriptions receive exactly their events', async () => {
    const byService = await client();
    const subA = await byService.service('subscriptions').create({ board_id: boardA.board_id });
    assert.match(subA.id, UUID_RE);
    assert.equal(subA.board_id, boardA.board_id);

    const byHandshake = await client({ query: { board_id: boardA.board_id } });
    const bySession = await client();
    const subS = await bySession.service('subscriptions').create({ session_id: sA2.session_id });
    assert.match(subS.id, UUID_RE);
    assert.equal(subS.session_id, sA2.session_id);
    const nobody = await client();
    // Subscribed to board A *and* to a session of A: still one copy of each event.
    const both = await client({ query: { board_id: boardA.board_id } });
    await both.service('subscriptions').create({ session_id: sA1.session_id });
    const all = [byService, byHandshake, bySession, nobody, both];

    const mB1 = await makeMessage(rest, sB1.session_id, 'on board B');
    const mA1 = await makeMessage(rest, sA1.session_id, 'on board A, session 1');
    const mA2 = await makeMessage(rest, sA2.session_id, 'on board A, session 2');
    const sA1p = await rest.patch('sessions', sA1.session_id, { title: 'renamed A1' });
    const sB1p = await rest.patch('sessions', sB1.session_id, { title: 'renamed B1' });
    const sA2p = await rest.patch('sessions', sA2.session_id, { title: 'renamed A2' });
    const taskA2 = await rest.patch('tasks', taskIdA2, { error: null });
    const boardBp = await rest.patch('boards', boardB.board_id, { description: 'B patched' });
    const tagC = uniq('C');
    const boardC = await rest.create('boards', { name: tagC, slug: tagC });
    const sC = await makeSession(rest, boardC.board_id);
    await barrier(rest, all.map((c) => c.rec));

    const boardEvents = [['boards patched', boardBp.board_id], ['boards created', boardC.board_id]];
    const boardA_events = [
      ['messages created', mA1.message_id], ['messages created', mA2.message_id],
      ['sessions patched', sA1p.session_id], ['sessions patched', sA2p.session_id],
      ['tasks patched', taskA2.task_id],
    ];
    const expectA = [
      boardA_events[0], boardA_events[1], boardA_events[2], boardA_events[3], boardA_events[4],
      ...boardEvents,
    ];
    assert.deepEqual(seen(byService.rec), expectA, 'subscriptions.create({board_id: A})');
    assert.deepEqual(seen(byHandshake.rec), expectA, 'handshake query board_id=A');
    assert.deepEqual(seen(both.rec), expectA, 'board A + session A1: no duplicate');
    assert.deepEqual(seen(bySession.rec), [
      ['messages created', mA2.message_id], ['sessions patched', sA2p.session_id],
      ['tasks patched', taskA2.task_id], ...boardEvents,
    ], 'subscriptions.create({session_id: A2})');
    assert.deepEqual(seen(nobody.rec), boardEvents, 'no subscription: board events only');
    // Nobody here is on board B or C: their sessions' events reach no one.
    for (const c of all) {
      for (const id of [mB1.message_id, sB1p.session_id, sC.session_id]) {
        assert.ok(!c.rec.items.some((i) => Object.values(i.record).includes(id)), `leaked ${id}`);
      }
    }
    // The records on the wire are the ones the writes returned.
    assert.deepEqual(byService.rec.items.find((i) => i.record.message_id === mA1.message_id).record, mA1);
  });

  test('find() lists the subscriptions, remove(id) stops them', async () => {
    const c = await client();
    const subs = c.service('subscriptions');
    assert.deepEqual(asList(await subs.find()), []);
    const sub1 = await subs.create({ board_id: boardB.board_id });
    const sub2 = await subs.create({ session_id: sA1.session_id });
    const listed = asList(await subs.find());
    assert.deepEqual(
      listed.map((s) => s.id).sort(), [sub1.id, sub2.id].sort(), `find(): ${JSON.stringify(listed)}`);
    assert.deepEqual(listed.find((s) => s.id === sub1.id).board_id, boardB.board_id);
    assert.deepEqual(listed.find((s) => s.id === sub2.id).session_id, sA1.session_id);

    const before1 = c.rec.items.length;
    const m1 = await makeMessage(rest, sB1.session_id, 'B while subscribed');
    const m2 = await makeMessage(rest, sA1.session_id, 'A1 while subscribed');
    await barrier(rest, [c.rec]);
    assert.deepEqual(seen(c.rec, before1),
      [['messages created', m1.message_id], ['messages created', m2.message_id]]);

    const removed = await subs.remove(sub1.id);
    assert.equal(removed.id, sub1.id);
    assert.deepEqual(asList(await subs.find()).map((s) => s.id), [sub2.id]);
    const before2 = c.rec.items.length;
    await makeMessage(rest, sB1.session_id, 'B after unsubscribe');
    const m4 = await makeMessage(rest, sA1.session_id, 'A1 still subscribed');
    await barrier(rest, [c.rec]);
    assert.deepEqual(seen(c.rec, before2), [['messages created', m4.message_id]]);

    await subs.remove(sub2.id);
    assert.deepEqual(asList(await subs.find()), []);
    const before3 = c.rec.items.length;
    await makeMessage(rest, sA1.session_id, 'A1 after unsubscribe');
    await barrier(rest, [c.rec]);
    assert.deepEqual(seen(c.rec, before3), []);
  });

  test('a handshake subscription can be removed too', async () => {
    const c = await client({ query: { board_id: `${boardA.board_id},${boardB.board_id}` } });
    const listed = asList(await c.service('subscriptions').find());
    assert.deepEqual(listed.map((s) => s.board_id).sort(), [boardA.board_id, boardB.board_id].sort());
    const subB = listed.find((s) => s.board_id === boardB.board_id);
    await c.service('subscriptions').remove(subB.id);
    const from = c.rec.items.length;
    await makeMessage(rest, sB1.session_id, 'B after removing the handshake subscription');
    const mA = await makeMessage(rest, sA1.session_id, 'A still subscribed');
    await barrier(rest, [c.rec]);
    assert.deepEqual(seen(c.rec, from), [['messages created', mA.message_id]]);
  });

  test('bad subscriptions are refused with a Feathers error', async () => {
    const c = await client();
    const subs = c.service('subscriptions');
    await assert.rejects(subs.create({}), (err) => err.name === 'BadRequest' && err.code === 400);
    await assert.rejects(subs.create({ board_id: '00000000-0000-4000-8000-000000000000' }),
      (err) => err.name === 'NotFound' && err.code === 404);
    await assert.rejects(subs.remove('00000000-0000-4000-8000-000000000000'),
      (err) => err.name === 'NotFound' && err.code === 404);
  });

  test('board created/patched/removed events reach every connection', async () => {
    const a = await client({ query: { board_id: boardA.board_id } });
    const z = await client();
    const tag = uniq('pub');
    const board = await rest.create('boards', { name: tag, slug: tag });
    const patched = await rest.patch('boards', board.board_id, { color: '#00ff00' });
    const removed = await rest.remove('boards', board.board_id);
    for (const c of [a, z]) {
      await c.rec.waitFor((items) => items.some((i) => i.name === 'boards removed' && i.record.board_id === board.board_id),
        { what: 'boards removed' });
      const mine = c.rec.items.filter((i) => i.service === 'boards' && i.record.board_id === board.board_id);
      assert.deepEqual(mine.map((i) => [i.name, i.record]),
        [['boards created', board], ['boards patched', patched], ['boards removed', removed]]);
    }
  });
});

describe('--channels everybody', () => {
  let daemon;
  let rest;
  const clients = [];
  before(async () => {
    daemon = await startDaemon({ args: ['--channels', 'everybody'] });
    rest = restClient(daemon);
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('every connection receives every event', async () => {
    for (const opts of [{ transports: ['websocket'] }, {}]) {
      const c = await open(daemon, opts);
      c.rec = new Recorder(c.app, SERVICES);
      clients.push(c);
    }
    const boardA = await makeBoard(rest, uniq('A'));
    const boardB = await makeBoard(rest, uniq('B'));
    const sA = await makeSession(rest, boardA.board_id);
    const sB = await makeSession(rest, boardB.board_id);
    const mA = await makeMessage(rest, sA.session_id, 'a');
    const mB = await makeMessage(rest, sB.session_id, 'b');
    const sBp = await rest.patch('sessions', sB.session_id, { title: 'patched' });
    await barrier(rest, clients.map((c) => c.rec));
    for (const c of clients) {
      assert.deepEqual(seen(c.rec), [
        ['boards created', boardA.board_id], ['boards created', boardB.board_id],
        ['sessions created', sA.session_id], ['sessions created', sB.session_id],
        ['messages created', mA.message_id], ['messages created', mB.message_id],
        ['sessions patched', sBp.session_id],
      ]);
    }
  });
});
