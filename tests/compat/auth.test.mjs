// Authentication with the real @feathersjs/authentication-client against agor, over the stock
// Socket.IO client: `app.authenticate({strategy: "local"})` and the answer's shape, the error
// shapes a Feathers app relies on, `reAuthenticate` after a dropped connection with the recovery
// replay arriving after it and filtered (a private board's events the user may not see are not
// replayed), `logout` (the token stops working), and an expired token.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import authentication, { MemoryStorage } from '@feathersjs/authentication-client';
import { startDaemon } from './daemon.mjs';
import {
  connect, connected, nextEvent, Recorder, restClient, uniq, makeBoard, makeSession, makeMessage,
} from './helpers.mjs';

const RECONNECT_WAIT_MS = 10000;

// A stock client that presents no token of its own: it authenticates through
// authentication-client (`create` on `authentication`), as a web app does.
async function authClient(daemon, opts = {}) {
  const c = connect(daemon.url, { transports: ['websocket'], ...opts });
  c.app.configure(authentication({ storage: new MemoryStorage() }));
  await connected(c.socket);
  return c;
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

function assertNotAuthenticated(err, message) {
  assert.equal(err.name, 'NotAuthenticated', JSON.stringify(err));
  assert.equal(err.code, 401);
  assert.equal(err.className, 'not-authenticated');
  if (message) assert.equal(err.message, message);
}

// A member user created by the admin over REST; resolves with {user, email, password}.
async function makeMember(rest) {
  const email = `${uniq('member')}@example.com`;
  const password = `pw-${uniq('secret')}`;
  const user = await rest.create('users', { email, password, name: 'member', role: 'member' });
  assert.equal(user.password, undefined, 'users create never answers the password');
  return { user, email, password };
}

// Resolves with the decoded packets the manager receives (type 2 EVENT, 3 ACK, ...), in order:
// the order the server sent them in, before any promise callback runs.
function packetLog(socket) {
  const log = [];
  socket.io.on('packet', (p) => log.push(p));
  return log;
}

describe('authentication-client against agor', () => {
  let daemon;
  let rest;
  const clients = [];
  before(async () => {
    daemon = await startDaemon({ args: ['--channels', 'everybody'] });
    rest = restClient(daemon);
    assert.ok(daemon.credentials, 'the daemon wrote admin-credentials beside its database');
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('local strategy: {accessToken, authentication: {strategy, payload}, user}', async () => {
    const c = await authClient(daemon);
    clients.push(c);
    const { email, password } = daemon.credentials;
    const res = await c.app.authenticate({ strategy: 'local', email, password });
    assert.match(res.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    assert.equal(res.authentication.strategy, 'local');
    assert.equal(res.authentication.payload.sub, res.user.user_id);
    assert.ok(res.authentication.payload.exp > res.authentication.payload.iat);
    assert.equal(res.user.email, email);
    assert.equal(res.user.role, 'admin');
    assert.equal(res.user.password, undefined, 'no password in the answer');
    assert.equal(JSON.stringify(res).includes(password), false, 'the password appears nowhere');
    // The connection is now authenticated: service calls work on it.
    const page = await c.service('boards').find({ query: { $limit: 1 } });
    assert.equal(typeof page.total, 'number');
    // reAuthenticate without force answers the same authentication.
    assert.equal((await c.app.reAuthenticate()).accessToken, res.accessToken);
    // The same token over REST and as the jwt strategy.
    assert.equal(typeof (await restClient(daemon.url, res.accessToken).find('boards')).total, 'number');
    const jwt = await rest.create('authentication', { strategy: 'jwt', accessToken: res.accessToken });
    assert.equal(jwt.accessToken, res.accessToken);
    assert.equal(jwt.user.user_id, res.user.user_id);
  });

  test('error shapes: Invalid login, NotAuthenticated without a user', async () => {
    const c = await authClient(daemon);
    clients.push(c);
    const { email } = daemon.credentials;
    const wrong = await rejection(c.app.authenticate({ strategy: 'local', email, password: 'not-the-password' }));
    assertNotAuthenticated(wrong, 'Invalid login');
    const unknown = await rejection(c.app.authenticate({ strategy: 'local', email: 'nobody@example.com', password: 'whatever-it-is' }));
    assertNotAuthenticated(unknown, 'Invalid login');
    // Nothing tells the two apart.
    assert.deepEqual({ ...unknown, stack: undefined }, { ...wrong, stack: undefined });
    const forged = await rejection(c.app.authenticate({ strategy: 'jwt', accessToken: 'a.b.c' }));
    assertNotAuthenticated(forged);
    // No user on this connection: every service but authentication refuses.
    assertNotAuthenticated(await rejection(c.service('boards').find()));
    const noToken = await rejection(restClient(daemon.url).find('boards'));
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.className, 'not-authenticated');
  });

  test('reAuthenticate after a dropped connection: the replay follows it, filtered', async () => {
    const team = await makeBoard(rest);
    const teamSession = await makeSession(rest, team.board_id);
    const secret = await rest.create('boards', { name: uniq('private'), slug: uniq('private'), visibility: 'private' });
    const secretSession = await makeSession(rest, secret.board_id);
    const member = await makeMember(rest);

    const c = await authClient(daemon);
    clients.push(c);
    const rec = new Recorder(c.app, ['messages'], ['created']);
    const res = await c.app.authenticate({ strategy: 'local', email: member.email, password: member.password });
    assert.equal(res.user.user_id, member.user.user_id);
    // The private board does not exist for the member.
    const hidden = await rejection(c.service('boards').get(secret.board_id));
    assert.equal(hidden.code, 404);
    const first = await makeMessage(rest, teamSession.session_id, 'seen live');
    await rec.waitForItem((i) => i.record.message_id === first.message_id, { what: 'the live event' });

    // Drop the connection; authentication-client calls reAuthenticate(true) at the disconnect
    // (its `create authentication` waits in socket.io-client's buffer for the reconnect).
    c.socket.io.reconnection(false);
    const gone = nextEvent(c.socket, 'disconnect', { what: 'disconnect after engine.close()' });
    c.socket.io.engine.close();
    await gone;
    const secretWhileAway = await makeMessage(rest, secretSession.session_id, 'private, missed');
    const missed = await makeMessage(rest, teamSession.session_id, 'team, missed');

    const packets = packetLog(c.socket);
    const reauthenticated = nextEvent(c.app, 'authenticated', { timeoutMs: RECONNECT_WAIT_MS, what: 'reAuthenticate' });
    const back = nextEvent(c.socket, 'connect', { timeoutMs: RECONNECT_WAIT_MS, what: 'reconnect' });
    c.socket.io.reconnection(true);
    c.socket.connect();
    await back;
    assert.equal(c.socket.recovered, true, 'the session was recovered');
    const [again] = await reauthenticated;
    assert.equal(again.authentication.strategy, 'jwt');
    assert.equal(again.user.user_id, member.user.user_id);
    await rec.waitForItem((i) => i.record.message_id === missed.message_id, { what: 'the replayed event' });

    // On the wire: the authentication's ack came before the replayed event.
    const ackAt = packets.findIndex((p) => p.type === 3);
    const replayAt = packets.findIndex((p) => p.type === 2 && p.data?.[1]?.message_id === missed.message_id);
    assert.ok(ackAt >= 0 && replayAt > ackAt, `replay at ${replayAt}, authentication ack at ${ackAt}`);
    // Live again, and the private board's event never came, live or replayed.
    const later = await makeMessage(rest, teamSession.session_id, 'live again');
    await rec.waitForItem((i) => i.record.message_id === later.message_id, { what: 'live after the replay' });
    const ids = rec.named('messages created').map((i) => i.record.message_id);
    assert.equal(ids.includes(secretWhileAway.message_id), false, 'no event of a private board');
    assert.deepEqual(ids.filter((id) => id === missed.message_id), [missed.message_id], 'replayed once');
  });

  test('logout: the token stops working', async () => {
    const c = await authClient(daemon);
    clients.push(c);
    const { email, password } = daemon.credentials;
    const res = await c.app.authenticate({ strategy: 'local', email, password });
    const withToken = restClient(daemon.url, res.accessToken);
    assert.equal(typeof (await withToken.find('boards')).total, 'number');
    await c.app.logout();
    const revoked = await rejection(withToken.find('boards'));
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.className, 'not-authenticated');
    assertNotAuthenticated(await rejection(c.service('boards').find()), undefined);
    assertNotAuthenticated(await rejection(c.app.authenticate({ strategy: 'jwt', accessToken: res.accessToken })));
    // The API key the daemon wrote is another credential: still valid.
    assert.equal(typeof (await rest.find('boards')).total, 'number');
  });
});

describe('an expired token (--token-ttl 1)', () => {
  let daemon;
  const clients = [];
  before(async () => {
    daemon = await startDaemon({ args: ['--channels', 'everybody', '--token-ttl', '1'] });
  });
  after(async () => {
    for (const c of clients) c.close();
    await daemon?.dispose();
  });

  test('answers "jwt expired" with data.name TokenExpiredError, and ends the events', async () => {
    const rest = restClient(daemon);
    const c = await authClient(daemon);
    clients.push(c);
    const { email, password } = daemon.credentials;
    const res = await c.app.authenticate({ strategy: 'local', email, password });
    const rec = new Recorder(c.app, ['boards'], ['created']);
    const withToken = restClient(daemon.url, res.accessToken);
    // Poll until the token's second has passed (bounded; exp is in whole seconds).
    const deadline = Date.now() + 5000;
    let expired;
    while (!expired && Date.now() < deadline) {
      expired = await withToken.find('boards').then(() => undefined, (err) => err);
      if (!expired) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(expired, 'the token still worked 5 s after a 1 s lifetime');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.name, 'NotAuthenticated');
    assert.equal(expired.body.message, 'jwt expired');
    assert.equal(expired.body.data?.name, 'TokenExpiredError');
    const viaClient = await rejection(c.app.authenticate({ strategy: 'jwt', accessToken: res.accessToken }));
    assertNotAuthenticated(viaClient, 'jwt expired');
    assert.equal(viaClient.data?.name, 'TokenExpiredError');
    // The connection authenticated with it receives no more events; a fresh one does.
    const witness = connect(daemon, { transports: ['websocket'] });
    clients.push(witness);
    await connected(witness.socket);
    const seen = new Recorder(witness.app, ['boards'], ['created']);
    const board = await makeBoard(rest);
    await seen.waitForItem((i) => i.record.board_id === board.board_id, { what: 'the witness event' });
    // A round trip on the expired connection: anything sent to it before now arrived before.
    assertNotAuthenticated(await rejection(c.service('boards').find()));
    assert.equal(rec.items.some((i) => i.record.board_id === board.board_id), false,
      'an expired connection received an event');
  });
});
