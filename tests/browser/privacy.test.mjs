// A user who is not a member of a private board never sees it, in the page or in the page's
// network traffic: every HTTP response body and every WebSocket frame of eve's window is
// recorded (CDP Network.webSocketFrameReceived/Sent, page.on('response')) from her first
// request on, while ana creates a private board, opens it in her own window and moves her
// mouse on it, renames it, creates a session on it and writes a message there; and while ana
// makes a team board eve sees private (it leaves eve's list live) and renames it. A team board
// created last is the barrier: once eve's list shows it, everything before it has been
// delivered (or not) to her. No console error in either window.
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

  it('never reaches the page of a user who is not a member, even on the wire', { timeout: 30000 }, async () => {
    const rest = ana.rest();
    const secrets = [];
    // A team board eve sees, then made private: it leaves her list at once.
    const team = await rest.create('boards', { name: uniq('open-plans'), slug: uniq('open') });
    const teamLink = `[data-testid=board-link][data-board-id=${q(team.board_id)}]`;
    await E.visible(teamLink, 'the team board in eve\'s list');
    await rest.patch('boards', team.board_id, { visibility: 'private' });
    await E.until('the board made private leaves eve\'s list', (sel) => !document.querySelector(sel), { args: [teamLink] });
    const teamRenamed = uniq('closed-plans');
    secrets.push(teamRenamed);
    await rest.patch('boards', team.board_id, { name: teamRenamed });

    // A private board from the start, used in ana's window.
    const name = uniq('secret-board');
    const priv = await rest.create('boards', { name, slug: uniq('secret'), visibility: 'private' });
    secrets.push(priv.board_id, name, priv.slug);
    await A.openBoard(priv.board_id);
    const canvas = await A.page.$eval('[data-testid=canvas]', (c) => {
      const r = c.getBoundingClientRect();
      return { x: r.left + 40, y: r.top + 40, w: r.width, h: r.height };
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
    const whisper = uniq('whisper');
    secrets.push(whisper);
    const message = await rest.create('messages', { session_id: session.session_id, role: 'user', content: whisper });
    secrets.push(message.message_id);

    // The barrier: a team board created after all of it.
    const barrier = await rest.create('boards', { name: uniq('barrier'), slug: uniq('barrier') });
    await E.visible(`[data-testid=board-link][data-board-id=${q(barrier.board_id)}]`, 'the barrier board in eve\'s list');
    await A.visible(`[data-testid=board-link][data-board-id=${q(barrier.board_id)}], [data-testid=board][data-board-id=${q(priv.board_id)}]`, 'ana still on her board');

    const html = await E.page.content();
    const wire = await E.trafficText();
    assert.ok(wire.includes(barrier.board_id), 'the recording holds the barrier board (it records at all)');
    assert.ok(wire.includes(team.board_id), 'the recording holds the team board eve saw');
    for (const s of secrets) {
      assert.ok(!html.includes(s), `eve's page shows ${s}`);
      const at = wire.indexOf(s);
      assert.equal(at, -1, `eve's traffic holds ${s}: ...${wire.slice(Math.max(0, at - 200), at + 100)}...`);
    }
    assert.deepEqual(E.traffic.unreadable, [], 'responses whose body could not be read');
  });

  it('no console error in any step', () => {
    for (const u of [A, E]) assert.deepEqual(u?.errors ?? [], [], `${u?.label}: console errors`);
  });
});
