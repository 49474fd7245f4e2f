// The stock Feathers client (all six methods, errors, events) against the real agor daemon,
// over every transport a web app may end up on.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NotFound, BadRequest, MethodNotAllowed, Conflict } from '@feathersjs/errors';
import { startDaemon } from './daemon.mjs';
import {
  assertFeathersError, connect, connected, open, nextEvent, Recorder, restClient, uniq, UUID_RE, ISO_RE,
  SEQ_RE, seqLess,
} from './helpers.mjs';

const MODES = [
  { name: 'default transports (polling, then upgrade to websocket)', opts: {}, upgrade: true },
  { name: 'websocket only', opts: { transports: ['websocket'] }, first: 'websocket' },
  { name: 'polling only', opts: { transports: ['polling'] }, first: 'polling' },
];

describe('stock Feathers client', () => {
  let daemon;
  let rest;
  let adminId; // the user the helpers' token (the admin's API key) authenticates
  before(async () => {
    daemon = await startDaemon();
    rest = restClient(daemon);
    adminId = (await rest.create('authentication', { strategy: 'api-key', api_key: daemon.token })).user.user_id;
    assert.match(adminId, UUID_RE);
  });
  after(async () => {
    await daemon?.dispose();
  });

  for (const mode of MODES) {
    describe(mode.name, () => {
      let client;
      let firstTransport;
      let upgraded;
      before(async () => {
        // The manager's first 'open' tells which transport the connection started on.
        client = connect(daemon, mode.opts);
        const opened = nextEvent(client.socket.io, 'open', { what: 'engine open' });
        await opened;
        const engine = client.socket.io.engine;
        firstTransport = engine.transport.name;
        upgraded = mode.upgrade ? nextEvent(engine, 'upgrade', { what: 'upgrade to websocket' }) : null;
        upgraded?.catch(() => {}); // awaited in its own test
        await connected(client.socket);
      });
      after(() => client?.close());

      test('connects on the expected transport', async () => {
        assert.equal(client.socket.connected, true);
        if (mode.upgrade) {
          assert.equal(firstTransport, 'polling', 'a default client starts with HTTP long-polling');
          // A call made at once may still travel over polling; it must work either way.
          const page = await client.service('boards').find({ query: { $limit: 0 } });
          assert.equal(page.limit, 0);
          if (client.socket.io.engine.transport.name !== 'websocket') await upgraded;
          assert.equal(client.socket.io.engine.transport.name, 'websocket');
          // And calls keep working after the upgrade.
          const again = await client.service('boards').find({ query: { $limit: 0 } });
          assert.equal(again.limit, 0);
        } else {
          assert.equal(firstTransport, mode.first);
          assert.equal(client.socket.io.engine.transport.name, mode.first);
        }
      });

      test('create, get, find ($limit/$sort/$select/$skip), update, patch, remove', async () => {
        const boards = client.service('boards');
        const tag = uniq('crud');
        const slugs = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
        // owner_id and created_by are the caller's user id, set by the server: a created_by the
        // client sends does not stick.
        const created = await boards.create({
          name: `${tag} a`, slug: `${tag}-a`, description: 'first', created_by: tag,
        });
        assert.match(created.board_id, UUID_RE);
        assert.equal(created.name, `${tag} a`);
        assert.equal(created.slug, `${tag}-a`);
        assert.equal(created.description, 'first');
        assert.equal(created.visibility, 'team');
        assert.equal(created.owner_id, adminId);
        assert.equal(created.created_by, adminId);
        assert.match(created.created_at, ISO_RE);
        assert.match(created.updated_at, ISO_RE);

        const got = await boards.get(created.board_id);
        assert.deepEqual(got, created);

        const b = await boards.create({ name: `${tag} b`, slug: `${tag}-b` });
        const c = await boards.create({ name: `${tag} c`, slug: `${tag}-c` });

        const byEquality = await boards.find({ query: { slug: `${tag}-b` } });
        assert.equal(byEquality.total, 1);
        assert.deepEqual(byEquality.data, [b]);

        const page = await boards.find({
          query: { created_by: adminId, slug: { $in: slugs }, $sort: { name: -1 }, $limit: 2, $select: ['name'] },
        });
        assert.equal(page.total, 3);
        assert.equal(page.limit, 2);
        assert.equal(page.skip, 0);
        assert.deepEqual(page.data.map((r) => r.name), [`${tag} c`, `${tag} b`]);
        for (const r of page.data) {
          assert.ok('name' in r);
          for (const key of Object.keys(r)) {
            assert.ok(['name', 'board_id'].includes(key), `$select leaked field '${key}': ${JSON.stringify(r)}`);
          }
        }

        const skipped = await boards.find({
          query: { slug: { $in: slugs }, $sort: { name: 1 }, $skip: 1, $limit: 1 },
        });
        assert.equal(skipped.total, 3);
        assert.equal(skipped.skip, 1);
        assert.deepEqual(skipped.data.map((r) => r.board_id), [b.board_id]);

        const inList = await boards.find({
          query: { board_id: { $in: [created.board_id, c.board_id] }, $sort: { name: 1 } },
        });
        assert.deepEqual(inList.data.map((r) => r.board_id), [created.board_id, c.board_id]);

        const updated = await boards.update(created.board_id, { name: `${tag} a2`, slug: `${tag}-a2` });
        assert.equal(updated.board_id, created.board_id);
        assert.equal(updated.name, `${tag} a2`);
        assert.equal(updated.slug, `${tag}-a2`);
        assert.equal(updated.description, null, 'update replaces the record: fields not given are reset');
        assert.equal(updated.created_at, created.created_at);
        // Server-set fields are not the client's to replace: update keeps them.
        assert.equal(updated.owner_id, created.owner_id);
        assert.equal(updated.created_by, created.created_by, 'update keeps created_by (server-set)');
        assert.ok(updated.updated_at >= created.updated_at);

        const patched = await boards.patch(created.board_id, { description: 'patched' });
        assert.equal(patched.name, `${tag} a2`, 'patch keeps the fields it does not name');
        assert.equal(patched.description, 'patched');
        assert.deepEqual(await boards.get(created.board_id), patched);

        const removed = await boards.remove(created.board_id);
        assert.equal(removed.board_id, created.board_id);
        assert.equal(removed.description, 'patched');
        await assertFeathersError(boards.get(created.board_id), NotFound, 404, 'not-found');

        const rest2 = await boards.find({ query: { slug: { $in: slugs }, $sort: { name: 1 } } });
        assert.deepEqual(rest2.data.map((r) => r.board_id), [b.board_id, c.board_id]);
      });

      test('errors are FeathersError instances with the right name and code', async () => {
        const boards = client.service('boards');
        const missing = '00000000-0000-4000-8000-000000000000';
        const nf = await assertFeathersError(boards.get(missing), NotFound, 404, 'not-found');
        assert.match(nf.message, /00000000/);
        await assertFeathersError(boards.patch(missing, { description: 'x' }), NotFound, 404, 'not-found');
        await assertFeathersError(boards.update(missing, { name: 'x' }), NotFound, 404, 'not-found');
        await assertFeathersError(boards.remove(missing), NotFound, 404, 'not-found');

        const tag = uniq('err');
        const bad = await assertFeathersError(
          boards.create({ name: tag, slug: tag, bogus_field: 1 }), BadRequest, 400, 'bad-request');
        assert.match(`${bad.message} ${JSON.stringify(bad.data ?? null)} ${JSON.stringify(bad.errors ?? null)}`,
          /bogus_field/, 'the 400 names the unknown field');
        await assertFeathersError(boards.create({ name: tag, slug: tag, visibility: 'secret' }),
          BadRequest, 400, 'bad-request');
        const none = await boards.find({ query: { slug: tag } });
        assert.equal(none.total, 0, 'nothing stored half-way');

        await assertFeathersError(boards.remove(null), MethodNotAllowed, 405, 'method-not-allowed');

        await boards.create({ name: tag, slug: tag });
        await assertFeathersError(boards.create({ name: `${tag} again`, slug: tag }), Conflict, 409, 'conflict');

        await assertFeathersError(client.service('no-such-service').find(), NotFound, 404, 'not-found');

        // The connection is still healthy after errors.
        const ok = await boards.find({ query: { slug: tag } });
        assert.equal(ok.total, 1);
      });

      test('events of writes by another client and by REST arrive in order', async () => {
        const tag = uniq('ev');
        const listener = new Recorder(client.app, ['boards']);
        const other = await open(daemon, { transports: ['websocket'] });
        try {
          const boards = other.service('boards');
          const x = await boards.create({ name: `${tag} x`, slug: `${tag}-x` });
          const y = await rest.create('boards', { name: `${tag} y`, slug: `${tag}-y` });
          const xPatched = await boards.patch(x.board_id, { description: 'by socket' });
          const yPatched = await rest.patch('boards', y.board_id, { description: 'by REST' });
          const xUpdated = await rest.update('boards', x.board_id, { name: `${tag} x2`, slug: `${tag}-x2` });
          const yRemoved = await boards.remove(y.board_id);
          // The listener's own writes come back to it as well.
          const z = await client.service('boards').create({ name: `${tag} z`, slug: `${tag}-z` });

          const expected = [
            ['boards created', x], ['boards created', y], ['boards patched', xPatched],
            ['boards patched', yPatched], ['boards updated', xUpdated], ['boards removed', yRemoved],
            ['boards created', z],
          ];
          // created_by is the caller's user id now (every writer here is the admin): the
          // records of this test are told apart by their board ids.
          const ids = new Set([x.board_id, y.board_id, z.board_id]);
          const mine = (items) => items.filter((i) => ids.has(i.record?.board_id));
          await listener.waitFor((items) => mine(items).length >= expected.length,
            { what: `${expected.length} board events` });
          const got = mine(listener.items);
          assert.deepEqual(got.map((i) => [i.name, i.record]), expected);
          // Every event frame carries its seq (a decimal string) as its last element, increasing.
          for (const i of got) assert.match(String(i.offset), SEQ_RE, `event without a seq offset: ${i.name}`);
          for (let k = 1; k < got.length; k++) {
            assert.ok(seqLess(got[k - 1].offset, got[k].offset),
              `offsets not increasing: ${got[k - 1].offset} then ${got[k].offset}`);
          }
        } finally {
          listener.detach();
          other.close();
        }
      });
    });
  }
});
