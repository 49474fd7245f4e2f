// Presence on a board page: the facepile, other users' live cursors, the sessions they have
// selected (outlined in their colour) and "ana is typing…" in the open session's panel.
//
// Wire (README "Socket.IO" → Presence): this connection joins the board's roster with
// `presence.create({board_id})` and changes what it shows with `presence.patch(id, …)`
// (selected_session_id, typing_session_id); the roster comes from `presence.find` and then
// lives on `presence created|patched|removed`. Cursors are Agor's own socket events on the
// Socket.IO socket (`client.io`): we send `cursor-move {boardId, x, y}` / `cursor-leave
// {boardId}` and hear `cursor-moved {userId, presenceId, boardId, x, y}` / `cursor-left`.
// None of these carry a seq, so nothing is replayed after a reconnect: on every reconnect
// we join again (a recovered connection keeps its entry and the create only patches it;
// otherwise it makes a new one) and reload the roster.
//
// Limits we respect: the server drops cursor events past 250/s and answers 429 past 20
// presence calls/s per connection, so cursor moves are coalesced to at most ~30/s and the
// typing flag is patched at most once a second (the server clears it by itself 5 s after the
// last patch that set it, so a steady typist re-sends it every second to keep it up).
//
// All user content (names, emojis) is rendered with textContent.

const CURSOR_SEND_MS = 34; // <= ~30 cursor-move a second
const TYPING_RESEND_MS = 1000; // at most one typing patch a second
const SVG_NS = 'http://www.w3.org/2000/svg';

// A stable colour per user: FNV-1a of the id, mixed (murmur3's finaliser: FNV's low bits
// depend only on the input's low bits, so ids ending alike would share a hue), picks the hue.
// Lightness is lower for the bright hues (yellow to cyan) so white text on the colour stays
// readable, and the same colour reads on light and dark pages.
export function userColor(userId) {
  let h = 0x811c9dc5;
  const s = String(userId ?? '');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  const hue = (h >>> 0) % 360;
  const light = hue >= 40 && hue <= 200 ? 32 : 45;
  return `hsl(${hue}, 75%, ${light}%)`;
}

// "ana is typing…", "ana and bo are typing…", "ana, bo and cy are typing…",
// "ana, bo and 2 others are typing…"; '' for nobody.
export function typingText(names) {
  const n = names.length;
  if (n === 0) return '';
  if (n === 1) return `${names[0]} is typing…`;
  if (n === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (n === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return `${names[0]}, ${names[1]} and ${n - 2} others are typing…`;
}

const asArray = (r) => (Array.isArray(r) ? r : Array.isArray(r?.data) ? r.data : []);
const ignore = () => {};

export function mountPresence(ctx) {
  const { client, boardId, canvas, facepile } = ctx;
  const me = ctx.me || {};
  const socket = client.io;
  const service = client.service('presence');

  const entries = new Map(); // presence_id -> entry, this board's roster
  const mine = new Set(); // every presence_id this page has had (an old one lingers in its grace)
  const cursors = new Map(); // presence_id -> {el, userId}
  let myId = null;
  let joined = false; // myId is this connection's current entry
  let dead = false;

  // What we want our entry to show, and what the server last acknowledged.
  const want = { selected: null, typing: null };
  const sent = { selected: null, typing: null };
  let typingSentAt = 0;
  let typingTimer = null;
  let patching = false;

  // ---- the roster -------------------------------------------------------------------

  // Ours: this page's entries and those of our user's other tabs. The facepile shows us; the
  // cursors, outlines and typing are other users' only (our own other tab pointing or typing
  // is not someone else at work).
  const isMine = (e) => mine.has(e.presence_id) || (me.user_id != null && e.user_id === me.user_id);

  function nameOf(presenceId, userId) {
    const e = entries.get(presenceId);
    if (e) return e.name || 'someone';
    for (const x of entries.values()) if (x.user_id === userId) return x.name || 'someone';
    return 'someone';
  }

  function upsert(entry) {
    if (!entry || !entry.presence_id) return;
    if (entry.board_id !== boardId) {
      remove(entry);
      return;
    }
    entries.set(entry.presence_id, entry);
    if (!isMine(entry)) {
      if (entry.cursor && Number.isFinite(entry.cursor.x)) {
        placeCursor(entry.presence_id, entry.user_id, entry.cursor.x, entry.cursor.y);
        cursors.get(entry.presence_id)?.el.setAttribute('data-idle', String(!!entry.idle));
      } else {
        dropCursor(entry.presence_id);
      }
    }
  }

  function remove(entry) {
    if (!entry) return;
    entries.delete(entry.presence_id);
    dropCursor(entry.presence_id);
  }

  let renderQueued = false;
  // Facepile, outlines and typing are cheap to redo from the roster: batch the events of one
  // task (a microtask, not a frame: a background tab gets no animation frames but must stay
  // current).
  function render() {
    if (renderQueued || dead) return;
    renderQueued = true;
    queueMicrotask(() => {
      renderQueued = false;
      if (dead) return;
      renderFacepile();
      renderSelections();
      renderTyping();
    });
  }

  // ---- facepile -----------------------------------------------------------------------

  let facepileSignature = '';

  function renderFacepile() {
    if (!facepile) return;
    // One face per user (a user's several tabs are one person), idle only if every one of
    // their connections is idle; the viewer first, then by name.
    const users = new Map();
    for (const e of entries.values()) {
      const u = users.get(e.user_id);
      if (!u) {
        users.set(e.user_id, { userId: e.user_id, name: e.name || 'someone', emoji: e.emoji, idle: !!e.idle });
      } else {
        u.idle = u.idle && !!e.idle;
        if (!u.emoji && e.emoji) u.emoji = e.emoji;
      }
    }
    const list = [...users.values()].sort((a, b) => {
      if (a.userId === me.user_id) return -1;
      if (b.userId === me.user_id) return 1;
      return a.name.localeCompare(b.name) || String(a.userId).localeCompare(String(b.userId));
    });
    // Rebuilt only when what it shows changed (a hovered face keeps its tooltip).
    const signature = JSON.stringify(list);
    if (signature === facepileSignature && facepile.childElementCount === list.length) return;
    facepileSignature = signature;
    facepile.dataset.testid = 'facepile';
    facepile.classList.add('presence-facepile');
    facepile.setAttribute('aria-label', `${list.length} on this board`);
    const faces = list.map((u) => {
      const face = document.createElement('span');
      face.className = 'presence-face';
      face.dataset.testid = 'face';
      face.dataset.userId = u.userId;
      face.dataset.idle = String(u.idle);
      face.style.setProperty('--presence-color', userColor(u.userId));
      const you = u.userId === me.user_id ? ' (you)' : '';
      face.title = `${u.name}${you}${u.idle ? ' · idle' : ''}`;
      face.setAttribute('role', 'listitem');
      face.setAttribute('aria-label', face.title); // the name is hidden on narrow windows
      const emoji = document.createElement('span');
      emoji.className = 'presence-face-emoji';
      emoji.setAttribute('aria-hidden', 'true');
      emoji.textContent = u.emoji || (u.name.trim()[0] || '?').toUpperCase();
      const name = document.createElement('span');
      name.className = 'presence-face-name';
      name.textContent = u.name;
      face.append(emoji, name);
      return face;
    });
    facepile.setAttribute('role', 'list');
    facepile.replaceChildren(...faces);
  }

  // ---- selections -----------------------------------------------------------------------

  let outlined = new Set(); // card elements we marked

  function renderSelections() {
    // sessionId -> user ids (in roster order, each user once) of others who selected it.
    const bySession = new Map();
    for (const e of entries.values()) {
      if (isMine(e) || !e.selected_session_id) continue;
      const ids = bySession.get(e.selected_session_id) || [];
      if (!ids.includes(e.user_id)) ids.push(e.user_id);
      bySession.set(e.selected_session_id, ids);
    }
    const now = new Set();
    for (const [sessionId, ids] of bySession) {
      const card = ctx.cardFor ? ctx.cardFor(sessionId) : null;
      if (!card) continue;
      now.add(card);
      card.dataset.selectedBy = ids.join(' ');
      card.classList.add('presence-selected');
      // The first user's colour draws the outline; the others add rings outside it.
      card.style.setProperty('--presence-color', userColor(ids[0]));
      // Two or more: each further user adds a ring outside the outline.
      card.classList.toggle('presence-selected-many', ids.length > 1);
      if (ids.length > 1) {
        card.style.setProperty('--presence-rings',
          ids.slice(1).map((id, i) => `0 0 0 ${5 + 3 * (i + 1)}px ${userColor(id)}`).join(', '));
      } else {
        card.style.removeProperty('--presence-rings');
      }
    }
    for (const card of outlined) {
      if (now.has(card)) continue;
      delete card.dataset.selectedBy;
      card.classList.remove('presence-selected', 'presence-selected-many');
      card.style.removeProperty('--presence-color');
      card.style.removeProperty('--presence-rings');
    }
    outlined = now;
  }

  // ---- typing ----------------------------------------------------------------------------

  let typingSlotEl = null;

  function renderTyping() {
    const slot = want.selected && ctx.typingSlot ? ctx.typingSlot(want.selected) : null;
    if (typingSlotEl && typingSlotEl !== slot) typingSlotEl.textContent = '';
    typingSlotEl = slot;
    if (!slot) return;
    const names = [];
    const seen = new Set();
    for (const e of entries.values()) {
      if (isMine(e) || e.typing_session_id !== want.selected) continue;
      if (seen.has(e.user_id)) continue;
      seen.add(e.user_id);
      names.push(e.name || 'someone');
    }
    const text = typingText(names);
    slot.classList.add('presence-typing');
    slot.setAttribute('aria-live', 'polite');
    if (slot.textContent !== text) slot.textContent = text;
  }

  // ---- remote cursors ----------------------------------------------------------------

  // Our own layer inside the canvas, so that A re-rendering the cards never touches it
  // (and we put it back if the canvas's children were replaced).
  const layer = document.createElement('div');
  layer.className = 'presence-cursors';
  layer.setAttribute('aria-hidden', 'true');
  // Positioning is inline (cosmetics are in presence.css): a cursor must never land in the
  // canvas's flow or catch the pointer, whatever stylesheet the page links.
  Object.assign(layer.style, { position: 'absolute', left: '0', top: '0', width: '0', height: '0', overflow: 'visible', pointerEvents: 'none' });

  function ensureLayer() {
    if (!canvas) return false;
    if (layer.parentNode !== canvas) canvas.appendChild(layer);
    return true;
  }

  if (canvas && getComputedStyle(canvas).position === 'static') canvas.style.position = 'relative';

  function cursorElement(userId, name) {
    const el = document.createElement('div');
    el.className = 'presence-cursor';
    el.dataset.testid = 'cursor';
    el.dataset.userId = userId;
    el.style.setProperty('--presence-color', userColor(userId));
    Object.assign(el.style, { position: 'absolute', left: '0', top: '0', pointerEvents: 'none' });
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 16 20');
    svg.setAttribute('width', '16');
    svg.setAttribute('height', '20');
    svg.setAttribute('class', 'presence-cursor-arrow');
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', 'M1 1 L1 16 L5 12 L8 19 L11 18 L8 11 L14 11 Z');
    svg.appendChild(path);
    const label = document.createElement('span');
    label.className = 'presence-cursor-label';
    label.textContent = name;
    el.append(svg, label);
    return el;
  }

  function placeCursor(presenceId, userId, x, y) {
    if (dead || !ensureLayer()) return;
    const name = nameOf(presenceId, userId);
    let c = cursors.get(presenceId);
    if (!c) {
      c = { el: cursorElement(userId, name), userId };
      cursors.set(presenceId, c);
      c.el.style.transform = `translate(${x}px, ${y}px)`; // first place: no glide from 0,0
      layer.appendChild(c.el);
    } else {
      const label = c.el.lastChild;
      if (label.textContent !== name) label.textContent = name;
      c.el.style.transform = `translate(${x}px, ${y}px)`; // CSS transition glides to it
    }
    c.el.dataset.x = String(x);
    c.el.dataset.y = String(y);
  }

  function dropCursor(presenceId) {
    const c = cursors.get(presenceId);
    if (!c) return;
    c.el.remove();
    cursors.delete(presenceId);
  }

  function clearCursors() {
    for (const c of cursors.values()) c.el.remove();
    cursors.clear();
  }

  // ---- our own cursor --------------------------------------------------------------------

  let pending = null; // {x, y} not yet sent
  let lastClient = null; // {clientX, clientY}: the pointer, to follow canvas scrolls
  let sendTimer = null;
  let lastSentAt = 0;
  let cursorShown = false;

  // Board coordinates: from the canvas content's top-left (scroll included, border excluded).
  function boardPoint(clientX, clientY) {
    const r = canvas.getBoundingClientRect();
    return {
      x: Math.round(clientX - r.left - canvas.clientLeft + canvas.scrollLeft),
      y: Math.round(clientY - r.top - canvas.clientTop + canvas.scrollTop),
    };
  }

  function flushMove() {
    sendTimer = null;
    if (!pending || dead) return;
    // Only once our entry exists: before a reconnect has re-authenticated, the server would
    // drop the move (join() sends the latest position when it is done).
    if (joined && socket && socket.connected) {
      socket.emit('cursor-move', { boardId, x: pending.x, y: pending.y });
      cursorShown = true;
    }
    pending = null;
    lastSentAt = performance.now();
  }

  function queueMove(clientX, clientY) {
    lastClient = { clientX, clientY };
    pending = boardPoint(clientX, clientY);
    if (sendTimer) return;
    const wait = Math.max(0, CURSOR_SEND_MS - (performance.now() - lastSentAt));
    sendTimer = setTimeout(flushMove, wait);
  }

  function leaveCursor() {
    pending = null;
    lastClient = null;
    if (sendTimer) clearTimeout(sendTimer);
    sendTimer = null;
    if (cursorShown && socket && socket.connected) socket.emit('cursor-leave', { boardId });
    cursorShown = false;
  }

  // Pointer events: a mouse, a pen or a dragging finger alike.
  const onPointerMove = (ev) => queueMove(ev.clientX, ev.clientY);
  const onPointerLeave = () => leaveCursor();
  const onScroll = () => {
    if (lastClient) queueMove(lastClient.clientX, lastClient.clientY);
  };
  const onBlur = () => leaveCursor();
  const onVisibility = () => {
    if (document.hidden) leaveCursor();
  };

  if (canvas) {
    canvas.addEventListener('pointermove', onPointerMove, { passive: true });
    canvas.addEventListener('pointerleave', onPointerLeave);
    canvas.addEventListener('scroll', onScroll, { passive: true });
  }
  window.addEventListener('blur', onBlur);
  document.addEventListener('visibilitychange', onVisibility);

  // ---- our entry: join, selection, typing ---------------------------------------------------

  let joinRetry = null;

  async function join() {
    if (dead) return;
    joined = false;
    try {
      const entry = await service.create({
        board_id: boardId,
        ...(want.selected ? { selected_session_id: want.selected } : {}),
      });
      if (dead) {
        service.remove(entry.presence_id).catch(ignore);
        return;
      }
      myId = entry.presence_id;
      mine.add(myId);
      sent.selected = entry.selected_session_id ?? null;
      sent.typing = entry.typing_session_id ?? null;
      joined = true;
      upsert(entry);
      const roster = asArray(await service.find({ query: { board_id: boardId } }));
      if (dead) return;
      // The answer is newer than every event queued before it: it replaces the roster.
      entries.clear();
      const keep = new Set();
      for (const e of roster) {
        upsert(e);
        keep.add(e.presence_id);
      }
      for (const id of [...cursors.keys()]) if (!keep.has(id)) dropCursor(id);
      render();
      push();
      if (lastClient) queueMove(lastClient.clientX, lastClient.clientY);
    } catch (err) {
      joined = false;
      // 404 (the board went away or we lost access), 401/403: the board view handles it.
      // A busy or slow moment (429, a timeout, a 5xx) is tried again; a reconnect rejoins
      // anyway.
      const code = err && err.code;
      if (!dead && (code === 429 || code === 408 || code >= 500 || !code)) {
        if (joinRetry) clearTimeout(joinRetry);
        joinRetry = setTimeout(() => {
          joinRetry = null;
          if (!dead && !joined && socket && socket.connected) join();
        }, 2000);
      }
    }
  }

  // Sends what `want` holds that the server does not, one patch at a time.
  async function push() {
    if (!joined || patching || dead) return;
    const data = {};
    if (want.selected !== sent.selected) data.selected_session_id = want.selected;
    if (want.typing !== sent.typing) data.typing_session_id = want.typing;
    if (Object.keys(data).length === 0) return;
    patching = true;
    try {
      const entry = await service.patch(myId, data);
      if ('selected_session_id' in data) sent.selected = data.selected_session_id;
      if ('typing_session_id' in data) {
        sent.typing = data.typing_session_id;
        if (data.typing_session_id) typingSentAt = Date.now();
      }
      upsert(entry);
    } catch (err) {
      // A refused value (the session was removed, not on this board) is not retried.
      // Marking it sent stops a retry loop; a later change patches again.
      if ('selected_session_id' in data && want.selected === data.selected_session_id) sent.selected = want.selected;
      if ('typing_session_id' in data && want.typing === data.typing_session_id) sent.typing = want.typing;
      if (err && err.code === 404) joined = false; // our entry is gone: a reconnect rejoins
    } finally {
      patching = false;
    }
    if (joined) push();
  }

  // The server clears typing 5 s after the patch that set it; we forget ours shortly
  // after the last keystroke so the next keystroke sets it again.
  function armTypingReset() {
    if (typingTimer) clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      typingTimer = null;
      // Let the server's expiry clear it for the others; just note it so the next
      // keystroke re-sends.
      sent.typing = null;
      want.typing = null;
    }, 4000);
  }

  // ---- events ---------------------------------------------------------------------------

  const onCreated = (e) => {
    if (!e || e.board_id !== boardId) return;
    upsert(e);
    render();
  };
  const onPatched = (e) => {
    if (!e) return;
    if (e.board_id !== boardId) {
      if (entries.has(e.presence_id)) {
        remove(e);
        render();
      }
      return;
    }
    upsert(e);
    render();
  };
  const onRemoved = (e) => {
    if (!e || e.board_id !== boardId) return;
    const had = entries.has(e.presence_id);
    remove(e); // also a cursor whose entry we never had in the roster
    if (e.presence_id === myId) joined = false; // e.g. access lost; nothing to patch
    if (had) render();
  };
  const onCursorMoved = (m) => {
    if (!m || m.boardId !== boardId || isMine({ presence_id: m.presenceId, user_id: m.userId })) return;
    if (!Number.isFinite(m.x) || !Number.isFinite(m.y)) return;
    const e = entries.get(m.presenceId);
    if (e) e.cursor = { x: m.x, y: m.y };
    placeCursor(m.presenceId, m.userId, m.x, m.y);
  };
  const onCursorLeft = (m) => {
    if (!m || m.boardId !== boardId) return;
    const e = entries.get(m.presenceId);
    if (e) e.cursor = null;
    dropCursor(m.presenceId);
  };
  let connectedOnce = socket ? socket.connected : true;
  const onConnect = () => {
    // The first connect is the one mount already joins on (if the socket was not up yet).
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    cursorShown = false;
    join();
  };
  const onDisconnect = () => {
    joined = false;
  };

  service.on('created', onCreated);
  service.on('patched', onPatched);
  service.on('removed', onRemoved);
  if (socket) {
    socket.on('cursor-moved', onCursorMoved);
    socket.on('cursor-left', onCursorLeft);
    socket.on('connect', onConnect);
    socket.on('disconnect', onDisconnect);
  }

  ensureLayer();
  join();

  return {
    select(sessionId) {
      const id = sessionId || null;
      if (want.selected !== id) {
        want.selected = id;
        push();
      }
      render();
      // A may open the panel (and its typing slot) right after telling us.
      setTimeout(render, 0);
    },
    typing(sessionId) {
      const id = sessionId || null;
      if (!id) {
        want.typing = null;
        push();
        return;
      }
      armTypingReset();
      const fresh = want.typing !== id || Date.now() - typingSentAt >= TYPING_RESEND_MS;
      want.typing = id;
      if (!fresh) return;
      if (sent.typing === id) sent.typing = null; // same value: force the refresh patch
      push();
    },
    refresh() {
      ensureLayer();
      outlined = new Set([...outlined].filter((c) => c.isConnected));
      render();
    },
    unmount() {
      if (dead) return;
      leaveCursor();
      dead = true;
      service.off('created', onCreated);
      service.off('patched', onPatched);
      service.off('removed', onRemoved);
      if (socket) {
        socket.off('cursor-moved', onCursorMoved);
        socket.off('cursor-left', onCursorLeft);
        socket.off('connect', onConnect);
        socket.off('disconnect', onDisconnect);
      }
      if (canvas) {
        canvas.removeEventListener('pointermove', onPointerMove);
        canvas.removeEventListener('pointerleave', onPointerLeave);
        canvas.removeEventListener('scroll', onScroll);
      }
      window.removeEventListener('blur', onBlur);
      document.removeEventListener('visibilitychange', onVisibility);
      if (typingTimer) clearTimeout(typingTimer);
      if (joinRetry) clearTimeout(joinRetry);
      if (myId && joined) service.remove(myId).catch(ignore);
      joined = false;
      clearCursors();
      layer.remove();
      for (const card of outlined) {
        delete card.dataset.selectedBy;
        card.classList.remove('presence-selected', 'presence-selected-many');
        card.style.removeProperty('--presence-color');
        card.style.removeProperty('--presence-rings');
      }
      outlined.clear();
      if (typingSlotEl) typingSlotEl.textContent = '';
      if (facepile) facepile.replaceChildren();
      entries.clear();
    },
  };
}
