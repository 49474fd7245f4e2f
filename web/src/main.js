// The board page: boot (log in again with the stored token), the top bar with the connection
// banner, and the hash router:
//   #/                                        boards list
//   #/boards/<boardId>                        a board
//   #/boards/<boardId>/sessions/<sessionId>   a board with a session's panel open
// Moving between sessions of one board keeps the board view (and its presence) mounted.
import { client, listen, onAuthLost, onConnectionState, reconnectNow } from './api.js';
import { h, replaceChildren, setText } from './dom.js';
import { mountLogin } from './login.js';
import { mountBoards } from './boards.js';
import { mountBoard } from './board.js';

const root = document.getElementById('app');

let me = null; // the logged-in user record
let current = null; // {kind, boardId, view: {unmount(), openSession?()}}

// ---- chrome -----------------------------------------------------------------------------

// [data-testid=connection] holds the state and its text only; the retry button sits beside it.
const bannerText = h('span', {
  class: 'banner-text', 'data-testid': 'connection', 'data-state': 'reconnecting', role: 'status', 'aria-live': 'polite',
});
const bannerRetry = h('button', { type: 'button', class: 'link', hidden: true, onclick: reconnectNow }, 'Reconnect now');
const banner = h('div', { class: 'banner', 'data-state': 'reconnecting' }, bannerText, bannerRetry);

const whoami = h('span', { class: 'whoami', 'data-testid': 'whoami' });
const logoutButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'logout', onclick: logout }, 'Log out');
const userBox = h('div', { class: 'userbox', hidden: true }, whoami, logoutButton);
const topbar = h('header', { class: 'topbar' },
  h('a', { class: 'brand', href: '#/' }, 'agor'),
  banner,
  userBox);
const viewEl = h('main', { class: 'view', id: 'view' });
replaceChildren(root, topbar, viewEl);
root.removeAttribute('data-loading');

const BANNER_TEXT = {
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
};

let connectedOnce = false;
onConnectionState((state) => {
  if (state === 'connected') connectedOnce = true;
  banner.dataset.state = state;
  bannerText.dataset.state = state;
  // Before the first connect the state is `reconnecting` too, but the words say what happens.
  setText(bannerText, !connectedOnce && state === 'reconnecting' ? 'Connecting…' : BANNER_TEXT[state] || state);
  bannerRetry.hidden = state !== 'disconnected';
  document.documentElement.dataset.connection = state;
});

function showUser() {
  userBox.hidden = !me;
  if (!me) return;
  const label = [me.emoji, me.name || me.email].filter(Boolean).join(' ');
  setText(whoami, label);
  whoami.title = me.email || '';
}

// Our own record may change (a rename); `users` events reach the user they are about.
listen('users', (kind, record) => {
  if (!me || !record || record.user_id !== me.user_id) return;
  if (kind === 'removed') {
    authLost({ message: 'Your account was removed.' });
    return;
  }
  me = { ...me, ...record };
  showUser();
});

// ---- routing ----------------------------------------------------------------------------

function parseHash() {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  let decoded;
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    decoded = [];
  }
  if (decoded[0] === 'boards' && decoded[1]) {
    const sessionId = decoded[2] === 'sessions' && decoded[3] ? decoded[3] : null;
    return { kind: 'board', boardId: decoded[1], sessionId };
  }
  return { kind: 'boards' };
}

export function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function unmountCurrent() {
  if (current) {
    try {
      current.view.unmount();
    } finally {
      current = null;
    }
  }
  viewEl.textContent = '';
}

function route() {
  if (!me) {
    showLogin();
    return;
  }
  const r = parseHash();
  if (current && r.kind === 'board' && current.kind === 'board' && current.boardId === r.boardId) {
    current.view.openSession(r.sessionId);
    return;
  }
  if (current && r.kind === 'boards' && current.kind === 'boards') return;
  unmountCurrent();
  const el = h('div', { class: 'view-inner' });
  viewEl.appendChild(el);
  if (r.kind === 'board') {
    current = { kind: 'board', boardId: r.boardId, view: mountBoard({ el, boardId: r.boardId, sessionId: r.sessionId, me, navigate }) };
  } else {
    document.title = 'agor';
    current = { kind: 'boards', view: mountBoards({ el, me, navigate }) };
  }
}

function showLogin(notice) {
  unmountCurrent();
  document.title = 'agor — log in';
  const el = h('div', { class: 'view-inner' });
  viewEl.appendChild(el);
  current = {
    kind: 'login',
    view: mountLogin({
      el,
      notice,
      onLogin(user) {
        me = user;
        showUser();
        current.view.unmount();
        current = null;
        route();
      },
    }),
  };
}

async function logout() {
  unmountCurrent();
  me = null;
  showUser();
  try {
    await client.logout();
  } catch {
    // The token is removed either way (authentication-client's handleError).
  }
  showLogin();
}

function authLost(err) {
  if (!me) return;
  me = null;
  showUser();
  const why = err && err.message ? ` (${err.message})` : '';
  showLogin(`Your session has ended${why}: please log in again.`);
}
onAuthLost(authLost);

window.addEventListener('hashchange', route);

// ---- boot -------------------------------------------------------------------------------

viewEl.appendChild(h('p', { class: 'muted loading' }, 'Loading…'));
client.reAuthenticate().then(
  (res) => {
    me = res.user;
    showUser();
    viewEl.textContent = '';
    route();
  },
  () => {
    viewEl.textContent = '';
    showLogin();
  },
);
