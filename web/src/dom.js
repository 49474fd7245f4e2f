// Small DOM helpers. Everything that comes from the server (names, titles, messages) goes in
// as text nodes: h() never parses HTML, so a board called "<img onerror=…>" is just text.

// h('button', {class: 'x', 'data-testid': 'y', onclick: fn}, 'text', child, [more], null)
//   attrs: `class`, `data-*`, `aria-*` and other attributes are set as attributes; `on<event>`
//   functions become listeners; booleans set or omit the attribute; null/undefined skip it;
//   `value`, `checked`, `disabled`, `hidden` are set as properties (they are live state).
//   children: strings and numbers become text nodes; arrays are flattened; null/false skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected']);

export function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (PROPS.has(key)) {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (value !== false) {
      el.setAttribute(key, String(value));
    }
  }
}

export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

// Replaces an element's children.
export function replaceChildren(el, ...children) {
  el.textContent = '';
  return append(el, children);
}

// Sets text only when it changed (keeps selection and avoids layout work on no-op updates).
export function setText(el, text) {
  const s = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== s) el.textContent = s;
}

// The message of anything thrown by a Feathers call (a FeathersError, an Error, a string).
export function errorText(err) {
  if (!err) return 'Something went wrong';
  if (typeof err === 'string') return err;
  return err.message || err.name || String(err);
}

// "3.4 s", "2 min 5 s"
export function formatDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

// Local "HH:MM" of an ISO time, '' if it does not parse.
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
