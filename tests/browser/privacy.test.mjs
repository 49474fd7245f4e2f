// A user who is not a member of a private board never sees it, in the page or in the page's
// network traffic: every HTTP response body and every WebSocket frame of eve's window is
// recorded (CDP Network.webSocketFrameReceived/Sent, page.on('response')) from her first
// request on, while ana creates a private board, opens it in her own window and moves her
// mouse on it, renames it, creates a session on it, opens it and a message is written there;
// and while ana makes a team board eve sees private (it must leave eve's list live) and
// renames it. A team board created last is the barrier: once eve's list shows it, everything
// before it has been delivered (or not) to her. No console error in either window.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, uniq } from './daemon.mjs';
import { launch, UserPage, q } from './browser.mjs';

describe('a private board and a non-member', () => {
  let daemon, browser, ana, eve, A, E;

  before(async () => {
    daemon = await startDaemon();
    ana = await daemon.user({ name: 'Ana' });
    eve = await daemon.user({ name: 'Eve' });
    browser = await launch();
    A = await UserPage.open(browser, daemon, { label: 'ana' });
    E = await UserPage.open(browser, daemon, { label: 'eve' });
    await E.recordTraffic();
    for (const [u, who] of [[A, ana], [E, eve]]) {
      await u.goto();
      await u.login(who);
      await u.present('[data-testid=boards]', 'the boards list');
      await u.connected();
    }
  });

  after(async () => {
    await browser?.close();
    await daemon?.dispose();
  });

  // Whether eve's page or traffic shows any of `secrets`, once `barrier` (a team board created
  // after them) is in her list: everything written before it has reached her by then.
  async function assertNeverSeen(secrets, what) {
    const barrier = await (await ana.rest()).create('boards', { name: uniq('barrier'), slug: uniq('barrier') });
    await E.visible(`[data-testid=board-link][data-board-id=${q(barrier.board_id)}]`, 'the barrier board in eve\'s list');
    const html = await E.page.content();
    const wire = await E.trafficText();
    assert.ok(wire.includes(barrier.board_id), 'the recording holds the barrier board (it records at all)');
    for (const s of secrets) {
      assert.ok(!html.includes(s), `eve's page shows ${what}: ${s}`);
      const at = wire.indexOf(s);
      assert.equal(at, -1, `eve's traffic holds ${what}: ${s}: ...${wire.slice(Math.max(0, at - 200), at + 100)}...`);
    }
    assert.deepEqual(E.traffic.unreadable, [], 'responses whose body could not be read');
  }

  it('never reaches the page of a user who is not a member, even on the wire', { timeout: 30000 }, async () => {
    const rest = await ana.rest();
    const secrets = [];
    const name = uniq('secret-board');
    const priv = await rest.create('boards', { name, slug: uniq('secret'), visibility: 'private' });
    secrets.push(priv.board_id, name, priv.slug);
    // Used in ana's window: presence, cursor moves.
    await A.openBoard(priv.board_id);
    const canvas = await A.page.$eval('[data-testid=canvas]', (c) => {
      const r = c.getBoundingClientRect();
      return { x: r.left + 40, y: r.top + 40 };
    });
    await A.page.mouse.move(canvas.x, canvas.y);
    await A.page.mouse.move(canvas.x + 200, canvas.y + 150, { steps: 10 });
    const renamed = uniq('hidden-board');
    secrets.push(renamed);
    await rest.patch('boards', priv.board_id, { name: renamed });
    const title = uniq('covert-session');
    const session = await rest.create('sessions', { board_id: priv.board_id, title, agentic_tool: 'claude-code' });
    secrets.push(session.session_id, title);
    await A.visible(`[data-testid=session-card][data-session-id=${q(session.session_id)}]`, 'the new session\'s card');
    await A.click(`[data-testid=session-card][data-session-id=${q(session.session_id)}]`);
    await A.visible(`[data-testid=session-panel][data-session-id=${q(session.session_id)}]`, 'the session panel');
    const whisper = uniq('whisper');
    secrets.push(whisper);
    const message = await rest.create('messages', { session_id: session.session_id, role: 'user', content: whisper });
    secrets.push(message.message_id);
    await A.until('the message in ana\'s panel', (id) => !!document.querySelector(`[data-testid=message][data-message-id="${id}"]`),
      { args: [message.message_id] });
    await A.click('[data-testid=prompt-input]'); // typing on the private board too
    await A.page.keyboard.type('psst');
    await assertNeverSeen(secrets, 'the private board');
  });

  it('a team board made private leaves a non-member\'s list live', { timeout: 30000 }, async () => {
    const rest = await ana.rest();
    const team = await rest.create('boards', { name: uniq('open-plans'), slug: uniq('open') });
    const teamLink = `[data-testid=board-link][data-board-id=${q(team.board_id)}]`;
    await E.visible(teamLink, 'the team board in eve\'s list');
    await rest.patch('boards', team.board_id, { visibility: 'private' });
    const later = uniq('closed-plans');
    await rest.patch('boards', team.board_id, { name: later });
    await E.until('the board made private leaves eve\'s list', (sel) => !document.querySelector(sel), { args: [teamLink] });
    await assertNeverSeen([later], 'the board\'s name after it was made private');
  });

  it('a private board shows for a new member live and leaves when the membership goes', { timeout: 30000 }, async () => {
    const rest = await ana.rest();
    const club = await rest.create('boards', { name: uniq('club'), slug: uniq('club'), visibility: 'private' });
    const link = `[data-testid=board-link][data-board-id=${q(club.board_id)}]`;
    const member = await rest.create('board-members', { board_id: club.board_id, user_id: eve.id, role: 'viewer' });
    await E.visible(link, 'the private board once eve is a member');
    await rest.remove('board-members', member.id);
    const later = uniq('club-renamed');
    await rest.patch('boards', club.board_id, { name: later });
    await E.until('the board leaves eve\'s list with her membership', (sel) => !document.querySelector(sel), { args: [link] });
    await assertNeverSeen([later], 'the board\'s name after her membership went');
  });

  it('no console error in any step', () => {
    for (const u of [A, E]) assert.deepEqual(u?.errors ?? [], [], `${u?.label}: console errors`);
  });
});
