// The activity feed of a board (README "Activity feed"): one line per entry, newest first.
//
// `activity.find({query: {board_id, $limit: 50}})` gives the first page; "Load older" pages
// on with `$before` = the oldest shown entry's first_seq. Live: `activity created` adds an
// entry, `activity patched` replaces it in place (a growing "wrote 14 messages" entry), both
// keyed by activity_id, so applying one twice changes nothing. They come on the board's
// channel and are never replayed, so after a reconnect we rejoin the channel, reload the
// first page and merge it by id: nothing missed, nothing doubled.
//
// Summaries already read "ana created session fix-login", "(3 times)", "wrote 14 messages":
// we show the actor's name (as it starts the summary) in their colour, the rest of the
// summary, and a relative time refreshed every few seconds. All text goes in with textContent.
import { userColor } from './presence.js';

const PAGE = 50;
const TICK_MS = 10000;

const asArray = (r) => (Array.isArray(r) ? r : Array.isArray(r?.data) ? r.data : []);
const seqOf = (a) => Number(a?.first_seq);

// "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago".
export function relativeTime(ts, now = Date.now()) {
  const t = Date.parse(ts);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

export function mountFeed({ client, boardId, el }) {
  const service = client.service('activity');
  const socket = client.io;
  const items = new Map(); // activity_id -> {entry, li}
  let dead = false;
  let oldestLoaded = Infinity; // first_seq of the oldest entry a find gave us
  let more = false; // an older page may exist
  let loadedOnce = false;

  if (!el.dataset.testid) el.dataset.testid = 'feed';
  el.classList.add('presence-feed');
  const list = document.createElement('ol');
  list.className = 'feed-list';
  list.setAttribute('aria-label', 'Activity');
  const empty = document.createElement('p');
  empty.className = 'feed-empty';
  empty.textContent = 'Loading activity…';
  const older = document.createElement('button');
  older.type = 'button';
  older.className = 'feed-older';
  older.dataset.testid = 'feed-older';
  older.textContent = 'Load older';
  older.hidden = true;
  el.replaceChildren(list, empty, older);

  function fill(li, a) {
    li.dataset.verb = a.verb || '';
    li.dataset.count = String(a.count ?? 1);
    const actorName = a.actor?.name || '';
    const summary = String(a.summary || '');
    const actor = document.createElement('span');
    actor.className = 'feed-actor';
    actor.style.setProperty('--presence-color', userColor(a.actor?.user_id || actorName));
    const text = document.createElement('span');
    text.className = 'feed-summary';
    if (actorName && summary.startsWith(`${actorName} `)) {
      actor.textContent = actorName;
      text.textContent = summary.slice(actorName.length);
    } else {
      actor.textContent = '';
      text.textContent = summary || `${actorName} ${a.verb || ''}`.trim();
    }
    const time = document.createElement('time');
    time.className = 'feed-time';
    time.dateTime = a.ts || '';
    time.title = a.ts ? new Date(a.ts).toLocaleString() : '';
    time.textContent = relativeTime(a.ts);
    li.title = summary;
    li.replaceChildren(actor, text, time);
  }

  // Inserts or replaces one entry, keeping newest (highest first_seq) first.
  function put(a) {
    if (!a || !a.activity_id || a.board_id !== boardId) return;
    const have = items.get(a.activity_id);
    if (have) {
      // A patch that arrives late must not roll a growing entry back.
      if (Number(a.last_seq) < Number(have.entry.last_seq)) return;
      have.entry = a;
      fill(have.li, a);
      return;
    }
    const li = document.createElement('li');
    li.className = 'feed-entry';
    li.dataset.testid = 'feed-entry';
    li.dataset.activityId = a.activity_id;
    fill(li, a);
    items.set(a.activity_id, { entry: a, li });
    const seq = seqOf(a);
    let before = null;
    for (const node of list.children) {
      const other = items.get(node.dataset.activityId);
      if (other && seqOf(other.entry) < seq) {
        before = node;
        break;
      }
    }
    list.insertBefore(li, before);
  }

  function showState() {
    empty.hidden = items.size > 0;
    if (items.size === 0) empty.textContent = 'No activity yet.';
    older.hidden = !more;
  }

  async function load(before) {
    const query = { board_id: boardId, $limit: PAGE };
    if (before !== undefined) query.$before = before;
    const page = asArray(await service.find({ query }));
    if (dead) return;
    for (const a of page) {
      put(a);
      if (seqOf(a) < oldestLoaded) oldestLoaded = seqOf(a);
    }
    // A full page means older ones may exist. A reload of the first page after a reconnect
    // keeps what the first load and "load older" already learnt.
    if (before !== undefined || !loadedOnce) more = page.length === PAGE;
    loadedOnce = true;
    showState();
  }

  // Live entries come on the board's channel. A's board view joins it too (subscriptions
  // are a set per connection, so joining twice is harmless); the feed joins it itself so that
  // it stays live after a reconnect that did not recover the connection's channels. It never
  // leaves it: the board view owns that.
  function subscribe() {
    client.service('subscriptions').create({ board_id: boardId }).catch(() => {});
  }

  function reload() {
    subscribe();
    load().catch(() => {
      if (dead) return;
      if (items.size === 0) empty.textContent = 'Activity unavailable.';
      empty.hidden = items.size > 0;
    });
  }

  older.addEventListener('click', async () => {
    older.disabled = true;
    try {
      await load(oldestLoaded);
    } catch {
      // Left as it was; the button stays for another try.
    } finally {
      older.disabled = false;
    }
  });

  const onCreated = (a) => {
    put(a);
    showState();
  };
  const onPatched = (a) => {
    // An entry older than everything loaded belongs to a page not shown yet.
    if (!items.has(a?.activity_id) && items.size > 0 && seqOf(a) < oldestLoaded) return;
    put(a);
    showState();
  };
  let connectedOnce = socket ? socket.connected : true;
  const onConnect = () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    reload();
  };

  service.on('created', onCreated);
  service.on('patched', onPatched);
  if (socket) socket.on('connect', onConnect);
  const ticker = setInterval(() => {
    for (const { entry, li } of items.values()) {
      const t = li.querySelector('time');
      const text = relativeTime(entry.ts);
      if (t && t.textContent !== text) t.textContent = text;
    }
  }, TICK_MS);
  reload();

  return {
    unmount() {
      if (dead) return;
      dead = true;
      clearInterval(ticker);
      service.off('created', onCreated);
      service.off('patched', onPatched);
      if (socket) socket.off('connect', onConnect);
      el.replaceChildren();
      items.clear();
    },
  };
}
