// A board: its sessions as cards on a canvas, the facepile and cursors (presence.js), the
// activity feed (feed.js) in a side panel, the open session's panel, and a form to create a
// session.
//
// Events: in the daemon's default `--channels boards` mode a board's sessions, tasks and
// messages only reach connections that joined its channel, so the view calls
// `subscriptions.create({board_id})` first (README "Socket.IO") and loads after it; a
// recovered reconnect keeps the subscription, one that is not recovered starts a fresh
// connection: we subscribe again and reload. (`--channels everybody` delivers them anyway;
// the subscription is harmless there.)
//
// Board coordinates: pixel offsets from the top-left of the canvas's content (scroll
// included, unscaled). A session with a `position {x, y}` sits there (dragging a card stores
// one); the others are laid on a grid of fixed columns in creation order (created_at, then
// session_id), so every window, whatever its size, puts every card at the same board
// coordinates.
import { client, connectionState, findAll, listen, LiveSet, onReconnect } from './api.js';
import { errorText, h, replaceChildren, setText } from './dom.js';
import { mountSessionPanel } from './session_panel.js';
import { mountPresence } from './presence.js';
import { mountFeed } from './feed.js';

export const CARD_W = 220;
export const CARD_H = 112;
export const GAP = 24;
export const COLUMNS = 4;
const ACCESS_CHECK_MS = 5000; // see checkAccess
// The daemon has no agents endpoint: its agentic tools are the `sessions.agentic_tool` enum
// (README "Agents"). `command` runs any argv, so only admins are offered it (the daemon
// refuses it to others anyway, and the form shows that answer inline).
const AGENTS = ['claude-code', 'codex', 'gemini'];

const validPos = (p) => p && typeof p === 'object' && Number.isFinite(p.x) && Number.isFinite(p.y);

function byCreation(a, b) {
  return String(a.created_at || '').localeCompare(String(b.created_at || '')) ||
    String(a.session_id).localeCompare(String(b.session_id));
}

// session_id -> {x, y}: the stored position, else the grid slot of its rank in creation
// order (every session holds its slot, so moving one card never shifts the others).
export function layout(sessions) {
  const out = new Map();
  [...sessions].sort(byCreation).forEach((s, slot) => {
    if (validPos(s.position)) {
      out.set(s.session_id, { x: s.position.x, y: s.position.y });
    } else {
      const col = slot % COLUMNS;
      const row = Math.floor(slot / COLUMNS);
      out.set(s.session_id, { x: GAP + col * (CARD_W + GAP), y: GAP + row * (CARD_H + GAP) });
    }
  });
  return out;
}

// Words split on blanks as a shell would quote them (single quotes literal; double quotes and
// backslash escape): `sh -c 'echo "$x"'` -> ['sh', '-c', 'echo "$x"']. Never run by a shell:
// the daemon takes the array as argv.
export function splitArgs(text) {
  const out = [];
  let cur = null;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (c === '\\' && i + 1 < text.length && quote !== "'") {
      cur = (cur ?? '') + text[++i];
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur = cur ?? '';
    } else if (/\s/.test(c)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

function sessionHref(boardId, sessionId) {
  return `#/boards/${encodeURIComponent(boardId)}/sessions/${encodeURIComponent(sessionId)}`;
}

function newestByCreation(list) {
  let best = null;
  for (const t of list) {
    if (!best || String(t.created_at) > String(best.created_at)) best = t;
  }
  return best;
}

export function mountBoard({ el, boardId, sessionId: initialSession, me, navigate }) {
  let alive = true;
  let board = null;
  let openId = null;
  let panel = null; // {update, typingSlot, focus, unmount}
  let presence = null;
  let feed = null;
  let subscriptionId = null;
  const boardHref = `#/boards/${encodeURIComponent(boardId)}`;
  const isAdmin = me && me.role === 'admin';

  // ---- elements -----------------------------------------------------------------------------
  const heading = h('h1', { class: 'board-name' }, 'Board');
  const privacy = h('span', { class: 'badge', hidden: true, title: 'Only its members see it' }, 'private');
  const facepile = h('div', { class: 'facepile-slot', 'aria-label': 'Who is on this board' });
  const feedToggle = h('button', {
    type: 'button', class: 'secondary', 'aria-controls': `feed-${boardId}`, 'data-testid': 'feed-toggle',
    onclick: () => setFeedOpen(!feedOpen),
  }, 'Activity');
  const status = h('p', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'board-error' });

  const titleInput = h('input', {
    type: 'text', id: `new-session-title-${boardId}`, 'data-testid': 'new-session-title',
    placeholder: 'New session title', autocomplete: 'off',
  });
  const agentSelect = h('select', { id: `new-session-agent-${boardId}`, 'data-testid': 'new-session-agent', onchange: syncCommand },
    AGENTS.map((a) => h('option', { value: a }, a)),
    isAdmin ? h('option', { value: 'command' }, 'command') : null);
  const commandInput = h('input', {
    type: 'text', id: `new-session-command-${boardId}`, 'data-testid': 'new-session-command',
    placeholder: 'argv, e.g. ./agent --flag', autocomplete: 'off', hidden: true, 'aria-label': 'Command (argv, space separated)',
  });
  const createSubmit = h('button', { type: 'submit', 'data-testid': 'new-session-submit' }, 'New session');
  const createError = h('p', { class: 'error', role: 'alert', 'data-testid': 'new-session-error', hidden: true });
  const createForm = h('form', { class: 'inline-form new-session', onsubmit: onCreate },
    h('label', { class: 'sr-only', for: titleInput.id }, 'New session title'),
    titleInput,
    h('label', { class: 'sr-only', for: agentSelect.id }, 'Agent'),
    agentSelect,
    commandInput,
    createSubmit);

  const cards = h('div', { class: 'cards' });
  const sizer = h('div', { class: 'canvas-sizer', 'aria-hidden': 'true' });
  const emptyNote = h('p', { class: 'muted canvas-empty', hidden: true }, 'No sessions on this board yet.');
  const canvas = h('div', { class: 'canvas', 'data-testid': 'canvas', 'aria-label': 'Sessions' }, sizer, cards, emptyNote);
  const panelSlot = h('div', { class: 'panel-slot', hidden: true });
  const feedEl = h('div', { class: 'feed-slot' });
  const feedPanel = h('aside', { class: 'feed-panel', id: `feed-${boardId}`, 'aria-label': 'Activity' },
    h('h2', { class: 'feed-title' }, 'Activity'), feedEl);
  const body = h('div', { class: 'board-body' }, canvas, panelSlot, feedPanel);
  const section = h('section', { class: 'board', 'data-testid': 'board', 'data-board-id': boardId },
    h('header', { class: 'board-head' },
      h('a', { class: 'back', href: '#/', 'aria-label': 'All boards' }, '‹ Boards'),
      heading, privacy, facepile, h('span', { class: 'spacer' }), feedToggle),
    h('div', { class: 'board-tools' }, createForm, createError),
    status,
    body);
  replaceChildren(el, section);

  let feedOpen = window.matchMedia('(min-width: 1100px)').matches;
  function setFeedOpen(open) {
    feedOpen = open;
    section.classList.toggle('feed-open', open);
    feedToggle.setAttribute('aria-expanded', String(open));
  }
  setFeedOpen(feedOpen);

  function syncCommand() {
    const isCommand = agentSelect.value === 'command';
    commandInput.hidden = !isCommand;
    commandInput.required = isCommand;
  }

  function showStatus(text) {
    status.textContent = text || '';
    status.hidden = !text;
  }

  // ---- sessions and their cards -------------------------------------------------------------
  const cardEls = new Map(); // session_id -> card element
  const sessions = new LiveSet({
    idKey: 'session_id',
    accept: (s) => s.board_id === boardId,
    onChange: onSessionsChange,
  });
  const tasks = new LiveSet({
    idKey: 'task_id',
    accept: (t) => t.board_id === boardId || sessions.get(t.session_id) !== undefined,
    onChange: renderCards,
  });

  function onSessionsChange() {
    renderCards();
    if (openId) {
      const s = sessions.get(openId);
      if (s && panel) panel.update(s);
      else if (!s && sessions.ready && !sessions.loading) {
        // The open session was removed or moved to another board.
        navigate(boardHref);
      }
    }
  }

  function renderCard(s, pos, task) {
    let card = cardEls.get(s.session_id);
    if (!card) {
      card = h('a', {
        class: 'session-card', 'data-testid': 'session-card', 'data-session-id': s.session_id,
        href: sessionHref(boardId, s.session_id), draggable: 'false',
      });
      cardEls.set(s.session_id, card);
    }
    if (!(drag && drag.moved && drag.id === s.session_id)) {
      card.style.left = `${pos.x}px`;
      card.style.top = `${pos.y}px`;
    }
    card.style.width = `${CARD_W}px`;
    card.style.height = `${CARD_H}px`;
    const selected = s.session_id === openId;
    card.classList.toggle('open', selected);
    if (selected) card.setAttribute('aria-current', 'true');
    else card.removeAttribute('aria-current');
    const key = JSON.stringify([s.title, s.agentic_tool, s.status, task && [task.status, task.duration_ms]]);
    if (card.agorKey === key) return card;
    card.agorKey = key;
    card.dataset.status = s.status || '';
    // The last run's outcome once it is over (while it runs, the session's status says so).
    const taskNote = task && !['created', 'running', 'stopping'].includes(task.status) ? `last task ${task.status}` : '';
    replaceChildren(card,
      h('span', { class: 'card-title' }, s.title || 'Untitled session'),
      h('span', { class: 'card-agent' }, s.agentic_tool || ''),
      h('span', { class: 'card-foot' },
        h('span', { class: `status-dot status-${s.status || 'idle'}`, 'aria-hidden': 'true' }),
        h('span', { class: 'session-status', 'data-testid': 'session-status' }, s.status || 'idle'),
        taskNote ? h('span', { class: 'card-task muted' }, taskNote) : null));
    return card;
  }

  function renderCards() {
    if (!alive) return;
    const list = sessions.values();
    const positions = layout(list);
    const latest = new Map();
    for (const t of tasks.values()) {
      const cur = latest.get(t.session_id);
      if (!cur || newestByCreation([cur, t]) === t) latest.set(t.session_id, t);
    }
    const keep = new Set();
    let maxX = 0;
    let maxY = 0;
    for (const s of [...list].sort(byCreation)) {
      const pos = positions.get(s.session_id);
      const card = renderCard(s, pos, latest.get(s.session_id));
      keep.add(s.session_id);
      if (card.parentNode !== cards) cards.appendChild(card);
      maxX = Math.max(maxX, pos.x + CARD_W);
      maxY = Math.max(maxY, pos.y + CARD_H);
    }
    for (const [id, card] of cardEls) {
      if (!keep.has(id)) {
        card.remove();
        cardEls.delete(id);
      }
    }
    // The scrollable extent: every card plus a margin.
    sizer.style.width = `${maxX + GAP}px`;
    sizer.style.height = `${maxY + GAP}px`;
    emptyNote.hidden = !sessions.ready || list.length > 0;
    if (presence) presence.refresh();
  }

  // ---- moving cards ---------------------------------------------------------------------------
  // Dragging a card (past a few pixels, so a click still opens it) moves it; on release its
  // board coordinates are stored as the session's `position`, which every window then uses.
  let drag = null; // {id, card, startX, startY, origX, origY, moved}
  let swallowClick = false;

  function onPointerDown(event) {
    const card = event.target.closest && event.target.closest('[data-testid=session-card]');
    if (!card || event.button !== 0 || !event.isPrimary) return;
    drag = {
      id: card.dataset.sessionId, card, startX: event.clientX, startY: event.clientY,
      origX: parseFloat(card.style.left) || 0, origY: parseFloat(card.style.top) || 0, moved: false,
    };
  }

  function onPointerMove(event) {
    if (!drag) return;
    const dx = event.clientX - drag.startX;
    const dy = event.clientY - drag.startY;
    if (!drag.moved) {
      if (Math.hypot(dx, dy) < 6) return;
      drag.moved = true;
      drag.card.classList.add('dragging');
    }
    drag.card.style.left = `${Math.max(0, Math.round(drag.origX + dx))}px`;
    drag.card.style.top = `${Math.max(0, Math.round(drag.origY + dy))}px`;
  }

  async function onPointerUp() {
    const d = drag;
    drag = null;
    if (!d || !d.moved) return;
    d.card.classList.remove('dragging');
    swallowClick = true;
    setTimeout(() => { swallowClick = false; }, 0);
    const position = { x: parseFloat(d.card.style.left) || 0, y: parseFloat(d.card.style.top) || 0 };
    try {
      const patched = await client.service('sessions').patch(d.id, { position });
      sessions.apply('patched', patched);
      showStatus('');
    } catch (err) {
      showStatus(`Could not move the session: ${errorText(err)}`);
      renderCards();
    }
  }

  function onPointerCancel() {
    if (drag && drag.moved) drag.card.classList.remove('dragging');
    drag = null;
    renderCards();
  }

  function onCardClick(event) {
    if (swallowClick) {
      event.preventDefault();
      event.stopPropagation();
      swallowClick = false;
    }
  }

  cards.addEventListener('pointerdown', onPointerDown);
  cards.addEventListener('click', onCardClick, true);
  window.addEventListener('pointermove', onPointerMove);
  window.addEventListener('pointerup', onPointerUp);
  window.addEventListener('pointercancel', onPointerCancel);

  // ---- the open session ---------------------------------------------------------------------
  function openSession(sessionId) {
    if (sessionId === openId) return;
    if (panel) {
      panel.unmount();
      panel = null;
    }
    openId = sessionId || null;
    section.classList.toggle('panel-open', !!openId);
    panelSlot.hidden = !openId;
    if (openId) {
      panel = mountSessionPanel({
        el: panelSlot,
        sessionId: openId,
        session: sessions.get(openId),
        boardHref,
        onTyping: (id) => presence && presence.typing(id),
      });
    } else if (board) {
      document.title = `agor — ${board.name}`;
    }
    renderCards();
    if (presence) presence.select(openId);
  }

  // Esc closes the panel (not from the board tools' fields, nor from a field holding text).
  function onKeyDown(event) {
    if (event.key !== 'Escape' || !openId) return;
    const t = event.target;
    if (t && t.closest && t.closest('.board-tools')) return;
    if (t && t.matches && t.matches('textarea, input, select') && t.value) return; // keep a draft's Esc local
    const card = cardEls.get(openId);
    navigate(boardHref);
    if (card) card.focus();
  }
  document.addEventListener('keydown', onKeyDown);

  // ---- create a session ---------------------------------------------------------------------
  async function onCreate(event) {
    event.preventDefault();
    createError.hidden = true;
    const data = { board_id: boardId, agentic_tool: agentSelect.value };
    const title = titleInput.value.trim();
    if (title) data.title = title;
    if (agentSelect.value === 'command') {
      const argv = splitArgs(commandInput.value);
      if (argv.length === 0) {
        createError.textContent = 'A command session needs the program to run.';
        createError.hidden = false;
        commandInput.focus();
        return;
      }
      data.agent_command = argv;
    }
    createSubmit.disabled = true;
    try {
      const created = await client.service('sessions').create(data);
      sessions.apply('created', created);
      titleInput.value = '';
      commandInput.value = '';
      navigate(sessionHref(boardId, created.session_id));
      if (panel) panel.focus();
    } catch (err) {
      createError.textContent = errorText(err);
      createError.hidden = false;
    } finally {
      createSubmit.disabled = false;
    }
  }

  // ---- the board record, access -------------------------------------------------------------
  function showBoard(record) {
    board = record;
    setText(heading, board.name || '(unnamed)');
    privacy.hidden = board.visibility !== 'private';
    if (board.color) section.style.setProperty('--board-color', board.color);
    if (!openId) document.title = `agor — ${board.name}`;
  }

  function gone(text) {
    if (!alive) return;
    unmountParts();
    replaceChildren(el, h('section', { class: 'board-missing', 'data-testid': 'board-missing' },
      h('h1', null, 'Board not available'),
      h('p', null, text),
      h('p', null, h('a', { href: '#/' }, 'Back to the boards'))));
    document.title = 'agor';
  }

  // Still allowed? Our membership's removal reaches us (board-members removed), but a board
  // made private while we are not a member sends us nothing more: so we also ask (one `get`)
  // every ACCESS_CHECK_MS while the page is visible.
  async function checkAccess() {
    if (connectionState() !== 'connected') return;
    try {
      const record = await client.service('boards').get(boardId);
      if (alive) showBoard(record);
    } catch (err) {
      if (err && err.code === 404) gone('This board was removed, or you no longer have access to it.');
    }
  }

  // ---- loading ------------------------------------------------------------------------------
  async function subscribe() {
    const sub = await client.service('subscriptions').create({ board_id: boardId });
    subscriptionId = sub && sub.id;
  }

  async function loadAll() {
    await Promise.all([
      sessions.load(() => findAll('sessions', { board_id: boardId, $sort: { created_at: 1 } })),
      tasks.load(async () => {
        const page = await client.service('tasks').find({ query: { board_id: boardId, $sort: { created_at: -1 }, $limit: 500 } });
        return Array.isArray(page) ? page : page.data;
      }),
    ]);
  }

  async function start() {
    try {
      showBoard(await client.service('boards').get(boardId));
    } catch (err) {
      if (err && err.code === 404) gone('There is no such board, or you may not see it.');
      else gone(`Could not open the board: ${errorText(err)}`);
      return;
    }
    try {
      await subscribe();
      if (!alive) return;
      presence = mountPresence({
        client,
        boardId,
        me,
        canvas,
        facepile,
        cardFor: (id) => cardEls.get(id) || null,
        typingSlot: (id) => (panel && id === openId ? panel.typingSlot : null),
      });
      feed = mountFeed({ client, boardId, el: feedEl });
      await loadAll();
      if (!alive) return;
      presence.select(openId);
    } catch (err) {
      if (alive) showStatus(`Could not load the board: ${errorText(err)}`);
    }
  }

  async function resync() {
    try {
      await checkAccess();
      if (!alive) return;
      await subscribe();
      await loadAll();
      showStatus('');
    } catch (err) {
      if (alive) showStatus(`Could not reload the board: ${errorText(err)}`);
    }
  }

  const offs = [
    listen('sessions', (kind, record) => sessions.apply(kind, record)),
    listen('tasks', (kind, record) => tasks.apply(kind, record)),
    listen('boards', (kind, record) => {
      if (!record || record.board_id !== boardId) return;
      if (kind === 'removed') gone('This board was removed.');
      else showBoard(record);
    }),
    listen('board-members', (kind, record) => {
      if (record && record.user_id === me.user_id && record.board_id === boardId) checkAccess();
    }),
    onReconnect(({ recovered }) => {
      if (!recovered) resync();
    }),
  ];
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') checkAccess();
  }, ACCESS_CHECK_MS);

  function unmountParts() {
    alive = false;
    for (const off of offs) off();
    offs.length = 0;
    clearInterval(timer);
    document.removeEventListener('keydown', onKeyDown);
    window.removeEventListener('pointermove', onPointerMove);
    window.removeEventListener('pointerup', onPointerUp);
    window.removeEventListener('pointercancel', onPointerCancel);
    if (panel) panel.unmount();
    panel = null;
    if (presence) presence.unmount();
    presence = null;
    if (feed) feed.unmount();
    feed = null;
    if (subscriptionId) {
      client.service('subscriptions').remove(subscriptionId).catch(() => {});
      subscriptionId = null;
    }
  }

  openSession(initialSession);
  start();

  return {
    openSession(id) {
      if (alive) openSession(id);
    },
    unmount() {
      if (alive) unmountParts();
      el.textContent = '';
    },
  };
}
