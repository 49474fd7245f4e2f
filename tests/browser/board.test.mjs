// Three users' windows (two sizes) on one board in headless Chromium, against the real
// daemon: the facepile, live cursors at the same board coordinates across windows, selection
// outlines, the typing indicator, a `command` agent's messages streaming into both windows in
// order (the fixture agent prints one line per gate file, so each step is observed before the
// next exists), the activity feed equal to GET /activity, a daemon restart on the same port and
// database after which both windows show every message once, a recorded Claude Code run whose
// partial text streams into the element its stored message then fills, a session created
// through the form. No console error in any of it.
// Every wait is on what the page shows (waitForSelector / waitForFunction), never a sleep.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon, FIXTURES, uniq } from './daemon.mjs';
import { launch, UserPage, q } from './browser.mjs';

const STEP_MS = 30000;
const IDLE_MS = 3000; // --presence-idle-ms: cy, who only moves once, goes idle within the run
const TYPING_MS = 2000; // --presence-typing-ms: typing clears by itself this long after the last key

// The board coordinates of a client point, and back, as the contract defines them: pixel
// offsets from the canvas content's top-left, unscaled, scroll included.
function clientToBoard(page, cx, cy) {
  return page.evaluate((cx, cy) => {
    const c = document.querySelector('[data-testid=canvas]');
    const r = c.getBoundingClientRect();
    return { x: cx - r.left - c.clientLeft + c.scrollLeft, y: cy - r.top - c.clientTop + c.scrollTop };
  }, cx, cy);
}

function boardToClient(page, bx, by) {
  return page.evaluate((bx, by) => {
    const c = document.querySelector('[data-testid=canvas]');
    const r = c.getBoundingClientRect();
    const cx = bx + r.left + c.clientLeft - c.scrollLeft;
    const cy = by + r.top + c.clientTop - c.scrollTop;
    const hit = document.elementFromPoint(cx, cy);
    return { cx, cy, onCanvas: !!hit && c.contains(hit), hit: hit ? hit.outerHTML.slice(0, 120) : null };
  }, bx, by);
}

// Moves `u`'s mouse in steps to board point (bx, by) of its canvas; resolves with the board
// coordinates the page itself computes for where the mouse ended.
async function moveTo(u, bx, by) {
  const p = await boardToClient(u.page, bx, by);
  assert.ok(p.onCanvas, `${u.label}: board point (${bx}, ${by}) is not over the canvas in its window (hit: ${p.hit})`);
  await u.page.mouse.move(p.cx, p.cy, { steps: 12 });
  return clientToBoard(u.page, p.cx, p.cy);
}

// Waits until `viewer` shows `who`'s cursor at board coordinates `at` (within 3 px) with
// `who`'s name in it.
async function seesCursor(viewer, who, at) {
  await viewer.until(`${who.name}'s cursor near (${at.x}, ${at.y}) with their name`, (id, x, y, name) => {
    const el = document.querySelector(`[data-testid=cursor][data-user-id="${id}"]`);
    if (!el) return false;
    const dx = Math.abs(Number(el.getAttribute('data-x')) - x);
    const dy = Math.abs(Number(el.getAttribute('data-y')) - y);
    return dx <= 3 && dy <= 3 && el.textContent.includes(name);
  }, { args: [who.id, at.x, at.y, who.name] });
}

// The messages the open session panel shows, in DOM order.
function shownMessages(u) {
  return u.page.$$eval('[data-testid=session-panel] [data-testid=message]', (els) => els.map((e) => ({
    id: e.getAttribute('data-message-id'),
    index: e.getAttribute('data-index'),
    text: e.textContent,
  })));
}

// Waits until the open panel shows exactly `expected` (message contents) in index order.
async function showsExactly(u, expected, what) {
  await u.until(what, (expected) => {
    const els = [...document.querySelectorAll('[data-testid=session-panel] [data-testid=message]')];
    if (els.length !== expected.length) return false;
    let prev = -1;
    for (let i = 0; i < els.length; i++) {
      const index = Number(els[i].getAttribute('data-index'));
      if (!(index > prev) || !els[i].textContent.includes(expected[i])) return false;
      prev = index;
    }
    return true;
  }, { args: [expected] });
}

// Waits until the open panel shows exactly the stored messages (ids, in index order).
async function showsStored(u, stored, what) {
  const ids = stored.map((m) => m.message_id);
  const indexes = stored.map((m) => String(m.index));
  await u.until(what, (ids, indexes) => {
    const els = [...document.querySelectorAll('[data-testid=session-panel] [data-testid=message]')];
    return els.length === ids.length && els.every((e, i) => e.getAttribute('data-message-id') === ids[i]
      && e.getAttribute('data-index') === indexes[i]);
  }, { args: [ids, indexes] });
}

// The activity ids `u`'s feed lists, newest first.
function feedIds(u) {
  return u.page.$$eval('[data-testid=feed] [data-testid=feed-entry]', (els) => els.map((e) => e.getAttribute('data-activity-id')));
}

// Waits until `u`'s feed lists exactly what GET /activity?board_id= answers (read again after
// each second the page has not matched it, as new entries may come; 10 s in all).
async function feedMatches(u, boardId) {
  const deadline = performance.now() + 10000;
  let want;
  for (;;) {
    want = (await u.daemon.rest().find('activity', `board_id=${boardId}`)).data.map((e) => e.activity_id);
    try {
      await u.page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('[data-testid=feed] [data-testid=feed-entry]')]
        .map((e) => e.getAttribute('data-activity-id'))) === JSON.stringify(want), { timeout: 1000, polling: 'mutation' }, want);
      return;
    } catch {
      if (performance.now() > deadline) break;
    }
  }
  assert.deepEqual(await feedIds(u), want, `${u.label}: the feed against GET /activity`);
}

describe('two users on one board', () => {
  let daemon, browser, gate;
  let ana, bo, cy; // users
  let A, B, C; // their windows: ana 1280x800, bo 1000x700, cy 1280x800
  let board, build, review, slow; // the board; command sessions (build, slow); a claude-code one
  let ready = false;
  const loadTimes = [];

  before(async () => {
    gate = mkdtempSync(path.join(tmpdir(), 'agor-gate-'));
    mkdirSync(path.join(gate, 'claude'));
    // claude-code is the fixture agent replaying a recorded Claude Code run, gated too.
    const claude = path.join(gate, 'claude.sh');
    writeFileSync(claude, `#!/bin/sh\nAGOR_FIXTURE='${path.join(FIXTURES, 'claude_tool_use.jsonl')}' ` +
      `AGOR_FIXTURE_GATE='${path.join(gate, 'claude')}' exec '${path.join(FIXTURES, 'fake_agent.sh')}' "$@"\n`, { mode: 0o755 });
    daemon = await startDaemon({
      env: { AGOR_FIXTURE: path.join(FIXTURES, 'three_lines.txt'), AGOR_FIXTURE_GATE: gate, AGOR_CLAUDE_BIN: claude },
      args: ['--presence-idle-ms', String(IDLE_MS), '--presence-typing-ms', String(TYPING_MS)],
    });
    [ana, bo, cy] = await Promise.all([
      daemon.user({ name: 'Ana', emoji: '🦊' }),
      daemon.user({ name: 'Bo', emoji: '🐙' }),
      daemon.user({ name: 'Cy', emoji: '🦉' }),
    ]);
    const admin = daemon.rest();
    board = await admin.create('boards', { name: 'Sprint 12', slug: uniq('sprint') });
    build = await admin.create('sessions', {
      board_id: board.board_id, title: 'build the release', agentic_tool: 'command',
      agent_command: [path.join(FIXTURES, 'fake_agent.sh')],
    });
    review = await admin.create('sessions', { board_id: board.board_id, title: 'review the login', agentic_tool: 'claude-code' });
    slow = await admin.create('sessions', {
      board_id: board.board_id, title: 'long job', agentic_tool: 'command',
      agent_command: [path.join(FIXTURES, 'slow_agent.sh')],
    });
    browser = await launch();
    A = await UserPage.open(browser, daemon, { label: 'ana', viewport: { width: 1280, height: 800 } });
    B = await UserPage.open(browser, daemon, { label: 'bo', viewport: { width: 1000, height: 700 } });
    C = await UserPage.open(browser, daemon, { label: 'cy', viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await daemon?.dispose();
    if (gate) rmSync(gate, { recursive: true, force: true });
  });

  it('three users log in through the form and open the same board', { timeout: STEP_MS }, async (t) => {
    await Promise.all([[A, ana], [B, bo], [C, cy]].map(async ([u, who]) => {
      loadTimes.push(await u.goto());
      await u.login(who);
      await u.openBoard(board.board_id);
    }));
    t.diagnostic(`page load (navigation to load event, three windows at once): ${loadTimes.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
    for (const s of [build, review]) {
      await A.visible(`[data-testid=session-card][data-session-id=${q(s.session_id)}]`, `the card of ${s.title}`);
    }
    ready = true;
  });

  it('each window shows the others in the facepile', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    for (const [viewer, others] of [[A, [bo, cy]], [B, [ana, cy]]]) {
      for (const o of others) {
        const face = `[data-testid=facepile] [data-testid=face][data-user-id=${q(o.id)}]`;
        await viewer.visible(face, `${o.name} in the facepile`);
        const f = await viewer.page.$eval(face, (e) => ({ text: e.textContent, label: `${e.getAttribute('aria-label')} ${e.title}` }));
        assert.ok(f.text.includes(o.emoji), `${viewer.label}: ${o.name}'s face shows their emoji: ${JSON.stringify(f)}`);
        assert.ok(`${f.text} ${f.label}`.includes(o.name), `${viewer.label}: ${o.name}'s face names them: ${JSON.stringify(f)}`);
      }
    }
  });

  it('a moving mouse is a named cursor at the same board coordinates in a window of another size', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    const anaAt = await moveTo(A, 300, 200);
    await seesCursor(B, ana, anaAt);
    // Where bo's window draws it: the same board point of its own canvas (the cursor's tip
    // is the element's top-left; a transition may still run, so wait for it to settle).
    await B.until(`ana's cursor drawn at board (${anaAt.x}, ${anaAt.y}) of bo's canvas`, (id, x, y) => {
      const c = document.querySelector('[data-testid=canvas]');
      const el = document.querySelector(`[data-testid=cursor][data-user-id="${id}"]`);
      if (!c || !el) return false;
      const r = c.getBoundingClientRect();
      const e = el.getBoundingClientRect();
      const bx = e.left - r.left - c.clientLeft + c.scrollLeft;
      const by = e.top - r.top - c.clientTop + c.scrollTop;
      return Math.abs(bx - x) <= 4 && Math.abs(by - y) <= 4;
    }, { args: [ana.id, anaAt.x, anaAt.y], polling: 50 });
    const boAt = await moveTo(B, 520, 330);
    await seesCursor(A, bo, boAt);
    const cyAt = await moveTo(C, 760, 470);
    await seesCursor(A, cy, cyAt);
    // ana moves again: bo's window follows to the new point.
    const anaAgain = await moveTo(A, 180, 420);
    await seesCursor(B, ana, anaAgain);
    await A.visible('[data-testid=feed]', 'the activity feed');
    await A.shot('board');
    // Leaving the canvas (to the page's header) takes ana's cursor off bo's window.
    await A.page.mouse.move(640, 10, { steps: 5 });
    await B.until('ana\'s cursor gone once her mouse left the canvas',
      (id) => !document.querySelector(`[data-testid=cursor][data-user-id="${id}"]`), { args: [ana.id] });
  });

  it('a session opened in one window is outlined as selected in the other', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    await A.click(`[data-testid=session-card][data-session-id=${q(build.session_id)}]`);
    await A.visible(`[data-testid=session-panel][data-session-id=${q(build.session_id)}]`, 'the session panel');
    assert.equal(await A.page.evaluate(() => location.hash), `#/boards/${board.board_id}/sessions/${build.session_id}`);
    await B.until(`the card of ${build.title} selected by ana`, (sid, uid) => {
      const card = document.querySelector(`[data-testid=session-card][data-session-id="${sid}"]`);
      return !!card && (card.getAttribute('data-selected-by') || '').split(' ').includes(uid);
    }, { args: [build.session_id, ana.id] });
    // Drawn: the selected card's outline and shadows differ from the unselected card's.
    await B.until('the selected card drawn with an outline the other card has not', (a, b) => {
      const look = (id) => {
        const st = getComputedStyle(document.querySelector(`[data-testid=session-card][data-session-id="${id}"]`));
        return `${st.outlineStyle} ${st.outlineColor} ${st.outlineWidth} | ${st.boxShadow} | ${st.borderColor}`;
      };
      return look(a) !== look(b);
    }, { args: [build.session_id, review.session_id], polling: 50 });
  });

  it('typing in the prompt box shows the typing indicator in the other window', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    await B.click(`[data-testid=session-card][data-session-id=${q(build.session_id)}]`);
    await B.visible(`[data-testid=session-panel][data-session-id=${q(build.session_id)}]`, 'the session panel');
    await A.click('[data-testid=prompt-input]');
    await A.page.keyboard.type('wip');
    await B.until('"Ana is typing" in the panel', (name) => {
      const el = document.querySelector('[data-testid=session-panel] [data-testid=typing]');
      return !!el && el.textContent.includes(name);
    }, { args: [ana.name] });
    await B.until(`the typing indicator cleared once ana stopped (${TYPING_MS} ms)`, (name) => {
      const el = document.querySelector('[data-testid=session-panel] [data-testid=typing]');
      return !el || !el.textContent.includes(name);
    }, { args: [ana.name], timeout: TYPING_MS + 10000 });
  });

  it('a prompt to a command agent streams into both windows in order', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    await A.fill('[data-testid=prompt-input]', 'ship it');
    await A.page.keyboard.press('Enter');
    const expected = ['ship it'];
    for (const u of [A, B]) await showsExactly(u, expected, 'the prompt as the first message');
    // The agent prints line N only once gate/N exists: each line is seen in both windows
    // before the next one is printed.
    for (let n = 1; n <= 3; n++) {
      writeFileSync(path.join(gate, String(n)), '');
      expected.push(`line ${n}`);
      for (const u of [A, B]) await showsExactly(u, expected, `the messages up to "line ${n}" in order`);
      if (n === 2) await A.shot('session-streaming');
    }
    const stored = (await daemon.rest().find('messages', `session_id=${build.session_id}&$sort[index]=1`)).data;
    assert.deepEqual(stored.map((m) => m.content), expected);
    for (const u of [A, B]) await showsStored(u, stored, 'the stored messages, by id and index');
    const a = await shownMessages(A);
    const b = await shownMessages(B);
    assert.deepEqual(a.map((m) => [m.id, m.index, m.text]), b.map((m) => [m.id, m.index, m.text]),
      'both windows show the same messages, text included');
    // The feed: the board's activity, newest first, as the server has it (the task's end may
    // still add an entry: the server's list is read again whenever the page has not matched it).
    for (const u of [A, B]) await feedMatches(u, board.board_id);
    await A.shot('board-session');
  });

  it('after a daemon restart both windows show every message once', { timeout: 45000 }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    for (const u of [A, B, C]) u.daemonDown = true; // cy's window goes through it too
    for (const u of [A, B]) {
      await u.page.evaluate(() => {
        window.__agorStates = [];
        const el = document.querySelector('[data-testid=connection]');
        new MutationObserver(() => window.__agorStates.push(el.getAttribute('data-state')))
          .observe(el, { attributes: true, attributeFilter: ['data-state'] });
      });
    }
    await daemon.stop('SIGTERM');
    for (const u of [A, B]) {
      await u.until('the banner says reconnecting, visibly', () => {
        const el = document.querySelector('[data-testid=connection]');
        if (!el || el.getAttribute('data-state') !== 'reconnecting') return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && el.textContent.trim().length > 0;
      });
    }
    await A.shot('reconnecting');
    await daemon.start();
    // Written while the windows are still reconnecting (their backoff is longer than this):
    // they must get these through recovery or a refetch, once each.
    await daemon.rest().call('POST', `/sessions/${build.session_id}/prompt`, { prompt: 'again' });
    for (const u of [A, B, C]) await u.connected(20000);
    for (const u of [A, B, C]) u.daemonDown = false;
    const expected = ['ship it', 'line 1', 'line 2', 'line 3', 'again', 'line 1', 'line 2', 'line 3'];
    for (const u of [A, B]) await showsExactly(u, expected, 'both runs\' messages in order after the restart');
    const stored = (await daemon.rest().find('messages', `session_id=${build.session_id}&$sort[index]=1`)).data;
    assert.deepEqual(stored.map((m) => m.content), expected);
    for (const u of [A, B]) {
      await showsStored(u, stored, 'every stored message once, in index order, after the restart');
      const shown = await shownMessages(u);
      const ids = shown.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, `${u.label}: a message shown twice: ${ids}`);
      const states = await u.page.evaluate(() => window.__agorStates);
      assert.ok(states.includes('reconnecting'), `${u.label}: banner states ${states}`);
      assert.equal(states[states.length - 1], 'connected', `${u.label}: banner states ${states}`);
    }
  });

  it('partial text streams into one message element that the stored message then fills', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    // The recording: init, a thinking block (stored at line 7), then the answer's text block
    // streamed at lines 9 and 10 and stored at line 12, a tool call, its result, a last answer.
    const open = (n) => writeFileSync(path.join(gate, 'claude', String(n)), '');
    for (let n = 1; n <= 8; n++) open(n);
    await B.click(`[data-testid=session-card][data-session-id=${q(review.session_id)}]`);
    await B.visible(`[data-testid=session-panel][data-session-id=${q(review.session_id)}]`, 'the session panel');
    await B.fill('[data-testid=prompt-input]', 'list the files');
    await B.page.keyboard.press('Enter');
    open(9);
    const partial = await B.until('the first streamed words in a message', () => {
      const el = [...document.querySelectorAll('[data-testid=session-panel] [data-testid=message]')]
        .find((e) => e.textContent.includes("I'll list the files"));
      return el && !el.textContent.includes('in the project directory') ? el.getAttribute('data-message-id') : false;
    });
    const streamedId = await partial.jsonValue();
    await B.shot('session-partial');
    open(10);
    await B.until('the next streamed words appended to the same element', (id) => {
      const els = [...document.querySelectorAll('[data-testid=session-panel] [data-testid=message]')]
        .filter((e) => e.textContent.includes("I'll list the files"));
      return els.length === 1 && els[0].getAttribute('data-message-id') === id
        && els[0].textContent.includes("I'll list the files in the project directory.");
    }, { args: [streamedId] });
    for (let n = 11; n <= 40; n++) open(n);
    await B.until('the run\'s last answer', () => [...document.querySelectorAll('[data-testid=session-panel] [data-testid=message]')]
      .some((e) => e.textContent.includes('The project has a README.md and a src directory.')));
    const stored = (await daemon.rest().find('messages', `session_id=${review.session_id}&$sort[index]=1`)).data;
    assert.ok(stored.some((m) => m.message_id === streamedId), `the streamed id ${streamedId} is a stored message's`);
    await showsStored(B, stored, 'the stored messages of the Claude Code run, each once');
  });

  it('a prompt sent while a task runs is queued in both windows, cancelled, and Stop ends the run', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    for (const u of [A, B]) {
      await u.click(`[data-testid=session-card][data-session-id=${q(slow.session_id)}]`);
      await u.visible(`[data-testid=session-panel][data-session-id=${q(slow.session_id)}]`, 'the long job\'s panel');
    }
    await A.fill('[data-testid=prompt-input]', 'start');
    await A.page.keyboard.press('Enter');
    // The agent prints two lines, then runs until stopped.
    for (const u of [A, B]) {
      await u.until('the running agent\'s first lines', () => document.querySelectorAll('[data-testid=session-panel] [data-testid=message]').length >= 3);
    }
    const cardStatus = (u, re, what) => u.until(`the long job's card says ${what}`, (sid, re) =>
      new RegExp(re, 'i').test(document.querySelector(`[data-testid=session-card][data-session-id="${sid}"] [data-testid=session-status]`)?.textContent || ''),
    { args: [slow.session_id, re] });
    await cardStatus(B, 'running', 'running');
    await A.fill('[data-testid=prompt-input]', 'after that');
    await A.page.keyboard.press('Enter');
    const queued = (u) => u.until('"after that" queued', () => [...document.querySelectorAll('[data-testid=queued-prompt]')]
      .some((e) => e.textContent.includes('after that')));
    for (const u of [A, B]) await queued(u);
    await A.click('[data-testid=queued-prompt] [data-testid=cancel-prompt]');
    for (const u of [A, B]) {
      await u.until('the cancelled prompt leaves the queue', () => ![...document.querySelectorAll('[data-testid=queued-prompt]')]
        .some((e) => e.textContent.includes('after that')));
    }
    const messages = (await daemon.rest().find('messages', `session_id=${slow.session_id}`)).data;
    assert.ok(!messages.some((m) => m.content === 'after that'), 'the cancelled prompt is not stored');
    await A.click('[data-testid=stop]');
    for (const u of [A, B]) {
      await u.until('the task status says stopped', () => /stopped/i.test(document.querySelector('[data-testid=session-panel] [data-testid=task-status]')?.textContent || ''));
    }
    await cardStatus(B, '^(?![\\s\\S]*running)', 'no longer running');
    const tasks = (await daemon.rest().find('tasks', `session_id=${slow.session_id}`)).data;
    assert.deepEqual(tasks.map((t) => t.status), ['stopped']);
  });

  it('a session created through the form shows in both windows', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    const title = uniq('triage');
    await B.fill('[data-testid=new-session-title]', title);
    await B.page.select('[data-testid=new-session-agent]', 'codex');
    await B.click('[data-testid=new-session-submit]');
    const card = (title) => [...document.querySelectorAll('[data-testid=session-card]')].some((e) => e.textContent.includes(title));
    for (const u of [A, B]) await u.until(`a card titled ${title}`, card, { args: [title] });
    const found = (await daemon.rest().find('sessions', `board_id=${board.board_id}&title=${encodeURIComponent(title)}`)).data;
    assert.equal(found.length, 1, `sessions titled ${title}: ${JSON.stringify(found)}`);
    assert.equal(found[0].agentic_tool, 'codex');
    assert.equal(found[0].created_by ?? bo.id, bo.id);
  });

  it('a user who does nothing is shown idle, and active again on a move', { timeout: STEP_MS }, async () => {
    assert.ok(ready, 'the windows did not open the board');
    const face = `[data-testid=facepile] [data-testid=face][data-user-id="${cy.id}"]`;
    await A.until(`cy's face idle (nothing from cy for ${IDLE_MS} ms)`, (sel) => document.querySelector(sel)?.getAttribute('data-idle') === 'true',
      { args: [face], timeout: IDLE_MS + 10000 });
    await moveTo(C, 400, 300);
    await A.until('cy\'s face active again after a move', (sel) => document.querySelector(sel)?.getAttribute('data-idle') === 'false',
      { args: [face] });
  });

  it('no console error in any step', async (t) => {
    for (const u of [A, B, C]) {
      assert.deepEqual(u?.errors ?? [], [], `${u?.label}: console errors`);
      if (u?.expectedOutage.length) {
        t.diagnostic(`${u.label}: ${u.expectedOutage.length} network errors of the browser while the daemon was down (not counted)`);
      }
    }
  });
});
