// The boards list: every board the user may see, live, and a form to create one.
//
// Live: `boards created|patched|removed` reach every connection that may see the board (no
// subscription needed). Access that changes without a boards event for us:
//   - our membership is added or removed: `board-members created|removed` about us reach us,
//     so we refetch (a private board appears or disappears);
//   - a team board becomes private while we are not a member: the daemon sends us nothing
//     (we may no longer see its events). So every CHECK_MS while the page is visible we ask
//     for the count alone (`$limit: 0`, a few bytes) and refetch when it differs from ours;
//     and we refetch when the page becomes visible again.
// A reconnect that could not be recovered refetches too.
import { client, connectionState, findAll, listen, LiveSet, onReconnect } from './api.js';
import { errorText, h, replaceChildren } from './dom.js';

const CHECK_MS = 3000;

export function byName(a, b) {
  return String(a.name || '').localeCompare(String(b.name || ''), undefined, { sensitivity: 'base' }) ||
    String(a.board_id).localeCompare(String(b.board_id));
}

export function mountBoards({ el, me }) {
  const list = h('ul', { class: 'board-list', 'data-testid': 'boards', 'aria-label': 'Boards' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No boards yet: create the first one.');
  const loadError = h('p', { class: 'error', role: 'alert', hidden: true });
  const items = new Map(); // board_id -> li

  const boards = new LiveSet({ idKey: 'board_id', onChange: render });

  function render() {
    const sorted = boards.values().sort(byName);
    const keep = new Set(sorted.map((b) => b.board_id));
    for (const [id, li] of items) {
      if (!keep.has(id)) {
        li.remove();
        items.delete(id);
      }
    }
    sorted.forEach((board, i) => {
      const li = boardItem(board);
      items.set(board.board_id, li);
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    empty.hidden = !boards.ready || sorted.length > 0;
  }

  function boardItem(board) {
    const li = items.get(board.board_id) || h('li', { class: 'board-item' });
    const key = JSON.stringify(board);
    if (li.agorKey === key) return li; // unchanged: keep the nodes (and the focus)
    li.agorKey = key;
    const link = h('a', {
      class: 'board-link', href: `#/boards/${encodeURIComponent(board.board_id)}`,
      'data-testid': 'board-link', 'data-board-id': board.board_id,
    }, board.name || '(unnamed)');
    if (board.color) li.style.setProperty('--board-color', board.color);
    replaceChildren(li,
      h('span', { class: 'board-swatch', 'aria-hidden': 'true' }, board.icon || ''),
      link,
      board.visibility === 'private' ? h('span', { class: 'badge', title: 'Only its members see it' }, 'private') : null,
      board.description ? h('span', { class: 'muted board-desc' }, board.description) : null);
    return li;
  }

  async function load() {
    try {
      await boards.load(() => findAll('boards', { $sort: { name: 1 } }));
      loadError.hidden = true;
    } catch (err) {
      loadError.textContent = `Could not load the boards: ${errorText(err)}`;
      loadError.hidden = false;
    }
  }

  // ---- create -----------------------------------------------------------------------------
  const name = h('input', {
    type: 'text', id: 'new-board-name', 'data-testid': 'new-board-name', required: true,
    placeholder: 'Board name', autocomplete: 'off',
  });
  const priv = h('input', { type: 'checkbox', id: 'new-board-private', 'data-testid': 'new-board-private' });
  const submit = h('button', { type: 'submit', 'data-testid': 'new-board-submit' }, 'Create board');
  const createError = h('p', { class: 'error', 'data-testid': 'new-board-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'inline-form', onsubmit: onCreate },
    h('label', { class: 'sr-only', for: 'new-board-name' }, 'New board name'),
    name,
    h('label', { class: 'check', for: 'new-board-private' }, priv, ' private'),
    submit);

  async function onCreate(event) {
    event.preventDefault();
    createError.hidden = true;
    const value = name.value.trim();
    if (!value) {
      createError.textContent = 'Give the board a name.';
      createError.hidden = false;
      name.focus();
      return;
    }
    submit.disabled = true;
    try {
      const board = await client.service('boards').create({ name: value, visibility: priv.checked ? 'private' : 'team' });
      boards.apply('created', board); // the event may come first or after: same record, same id
      name.value = '';
      priv.checked = false;
    } catch (err) {
      createError.textContent = errorText(err);
      createError.hidden = false;
    } finally {
      submit.disabled = false;
    }
  }

  replaceChildren(el, h('section', { class: 'boards-page' },
    h('h1', null, 'Boards'),
    form,
    createError,
    loadError,
    list,
    empty));
  document.title = 'agor — boards';

  const offs = [
    listen('boards', (kind, record) => boards.apply(kind, record)),
    listen('board-members', (kind, record) => {
      if (record && record.user_id === me.user_id) load();
    }),
    onReconnect(({ recovered }) => {
      if (!recovered) load();
    }),
  ];
  const onVisible = () => {
    if (document.visibilityState === 'visible') load();
  };
  document.addEventListener('visibilitychange', onVisible);
  let checking = false;
  async function checkCount() {
    if (checking || boards.loading || !boards.ready || connectionState() !== 'connected') return;
    checking = true;
    try {
      const page = await client.service('boards').find({ query: { $limit: 0 } });
      if (page && typeof page.total === 'number' && page.total !== boards.map.size && !boards.loading) load();
    } catch {
      // Offline or logged out: the reconnect (or the login) reloads.
    } finally {
      checking = false;
    }
  }
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') checkCount();
  }, CHECK_MS);
  load();

  return {
    unmount() {
      for (const off of offs) off();
      document.removeEventListener('visibilitychange', onVisible);
      clearInterval(timer);
      el.textContent = '';
    },
  };
}
