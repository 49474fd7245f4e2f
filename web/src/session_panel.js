// A session's panel: its conversation and its prompt box.
//
// Wire (README "Agents", "REST"): stored messages come from `messages.find` (index order) and
// then live `messages created|patched|removed` on the board's channel (the board view has
// joined it). Partial text is `messages streaming {message_id, session_id, task_id, type,
// chunk}` (not stored, never replayed): chunks are appended to a preview element, and the
// complete message later arrives as `messages created` with the same message_id, replacing
// the preview in the same element. A prompt sent while a task runs is a `queued` user message
// (`index` null, `queue_position`); removing it cancels it; when its task starts it is patched
// to `sent` with the next index. Tasks (`tasks created|patched`) give the status; Stop is
// `create` on `sessions/<id>/stop`, a prompt `create` on `sessions/<id>/prompt`.
import { client, findAll, listen, LiveSet, onReconnect } from './api.js';
import { errorText, formatDuration, formatTime, h, replaceChildren, setText } from './dom.js';

const ACTIVE_TASK = new Set(['created', 'running', 'stopping']);

// ---- message content ----------------------------------------------------------------------

function pretty(value) {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function fold(summary, body, cls) {
  return h('details', { class: `fold ${cls || ''}` }, h('summary', null, summary), h('pre', null, body));
}

// The text of a tool_result's content: a string, or blocks whose text parts are joined.
function resultText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((b) => (b && b.type === 'text' ? b.text : pretty(b))).join('\n');
  }
  return pretty(content);
}

function block(b) {
  if (!b || typeof b !== 'object') return h('div', { class: 'text' }, String(b ?? ''));
  switch (b.type) {
    case 'text':
      return h('div', { class: 'text' }, b.text ?? '');
    case 'thinking':
      return fold('Thinking', b.thinking ?? b.text ?? '', 'thinking');
    case 'redacted_thinking':
      return h('div', { class: 'muted' }, '(redacted thinking)');
    case 'tool_use':
      return fold(`Tool call: ${b.name || 'tool'}`, pretty(b.input ?? {}), 'tool');
    case 'tool_result':
      return fold(b.is_error ? 'Tool result (error)' : 'Tool result', resultText(b.content), 'tool');
    default:
      return fold(b.type || 'content', pretty(b), 'tool');
  }
}

// Nodes for a stored message's content, tool calls folded in <details>.
export function renderContent(message) {
  const { content, type } = message;
  const out = [];
  let hasToolBlocks = false;
  if (Array.isArray(content)) {
    for (const b of content) {
      if (b && b.type === 'tool_use') hasToolBlocks = true;
      out.push(block(b));
    }
  } else if (typeof content === 'string') {
    if (type === 'thinking') out.push(fold('Thinking', content, 'thinking'));
    else if (type === 'tool_use' || type === 'tool_result') out.push(fold(type === 'tool_use' ? 'Tool call' : 'Tool result', content, 'tool'));
    else out.push(h('div', { class: 'text' }, content));
  } else if (content !== null && content !== undefined) {
    out.push(fold(type || 'content', pretty(content), 'tool'));
  }
  if (!hasToolBlocks && Array.isArray(message.tool_uses)) {
    for (const t of message.tool_uses) out.push(fold(`Tool call: ${(t && t.name) || 'tool'}`, pretty(t && t.input), 'tool'));
  }
  return out;
}

// ---- the panel ----------------------------------------------------------------------------

function taskLabel(task) {
  if (!task) return 'No task yet';
  switch (task.status) {
    case 'created':
      return 'Starting…';
    case 'running':
      return 'Running…';
    case 'stopping':
      return 'Stopping…';
    case 'completed':
      return `Completed${task.duration_ms != null ? ` in ${formatDuration(task.duration_ms)}` : ''}`;
    case 'failed':
      return `Failed${task.error ? `: ${task.error}` : ''}`;
    case 'stopped':
      return `Stopped${task.error ? ` (${task.error})` : ''}`;
    default:
      return String(task.status || '');
  }
}

function newest(tasks) {
  let best = null;
  for (const t of tasks) {
    if (!best || String(t.created_at) > String(best.created_at) ||
        (t.created_at === best.created_at && String(t.task_id) > String(best.task_id))) best = t;
  }
  return best;
}

// ctx: {el, sessionId, session (record or undefined), boardHref, onTyping(sessionId | null: null once a prompt is sent), onClose()}
// -> {update(session), typingSlot, focus(), unmount()}
export function mountSessionPanel(ctx) {
  const { el, sessionId } = ctx;
  let session = ctx.session || null;
  let alive = true;

  // ---- elements ---------------------------------------------------------------------------
  const title = h('h2', { class: 'panel-title', id: `panel-title-${sessionId}` });
  const agent = h('span', { class: 'badge agent' });
  const taskStatus = h('span', { class: 'task-status', 'data-testid': 'task-status', 'data-status': 'none', role: 'status' });
  const stop = h('button', { type: 'button', class: 'danger', 'data-testid': 'stop', disabled: true, onclick: onStop }, 'Stop');
  const close = h('a', { class: 'close', href: ctx.boardHref, 'aria-label': 'Close the session panel', title: 'Close (Esc)' }, '×');
  const panelError = h('p', { class: 'error', role: 'alert', 'data-testid': 'panel-error', hidden: true });
  const log = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' });
  const emptyNote = h('p', { class: 'muted empty-note' }, 'Loading the conversation…');
  const queueList = h('ul', { class: 'queue', 'aria-label': 'Queued prompts' });
  const typingSlot = h('div', { class: 'typing', 'data-testid': 'typing', 'aria-live': 'polite' });
  const input = h('textarea', {
    class: 'prompt-input', 'data-testid': 'prompt-input', rows: '3', id: `prompt-${sessionId}`,
    placeholder: 'Prompt the agent (Enter sends, Shift+Enter for a new line)', 'aria-label': 'Prompt',
    onkeydown: onKey, oninput: () => ctx.onTyping && ctx.onTyping(sessionId),
  });
  const send = h('button', { type: 'submit', 'data-testid': 'prompt-submit' }, 'Send');
  const form = h('form', { class: 'prompt-form', onsubmit: onSubmit }, input, send);
  const panel = h('section', {
    class: 'session-panel', 'data-testid': 'session-panel', 'data-session-id': sessionId,
    'aria-labelledby': `panel-title-${sessionId}`,
  },
  h('header', { class: 'panel-head' }, title, close,
    h('div', { class: 'panel-sub' }, agent, taskStatus, stop)),
  panelError,
  log,
  queueList,
  typingSlot,
  form);
  replaceChildren(el, panel);

  // ---- state ------------------------------------------------------------------------------
  const elements = new Map(); // message_id -> element (stored or streaming)
  const streams = new Map(); // message_id -> {type, text, thinking, task_id, seq}
  let streamSeq = 0;
  const messages = new LiveSet({
    idKey: 'message_id',
    accept: (m) => m.session_id === sessionId,
    onChange: () => renderMessages(),
  });
  const tasks = new LiveSet({
    idKey: 'task_id',
    accept: (t) => t.session_id === sessionId,
    onChange: () => renderTask(),
  });

  function showError(text) {
    panelError.textContent = text;
    panelError.hidden = !text;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  }

  function messageElement(id) {
    let node = elements.get(id);
    if (!node) {
      node = h('article', { class: 'msg', 'data-testid': 'message', 'data-message-id': id });
      elements.set(id, node);
    }
    return node;
  }

  function renderStored(m) {
    const node = messageElement(m.message_id);
    const key = JSON.stringify(m);
    if (node.agorKey === key) return node;
    node.agorKey = key;
    node.className = `msg role-${m.role || 'unknown'}${m.type ? ` type-${m.type}` : ''}`;
    node.dataset.index = String(m.index);
    node.dataset.role = m.role || '';
    delete node.dataset.streaming;
    const label = m.role === 'user' ? 'prompt' : m.role || '';
    replaceChildren(node,
      h('div', { class: 'msg-meta' },
        h('span', { class: 'msg-role' }, label),
        m.type && m.type !== 'text' ? h('span', { class: 'msg-type' }, m.type) : null,
        m.timestamp ? h('time', { datetime: m.timestamp }, formatTime(m.timestamp)) : null),
      h('div', { class: 'msg-body' }, renderContent(m)));
    return node;
  }

  function renderStream(id, s) {
    const node = messageElement(id);
    node.agorKey = null;
    node.className = 'msg role-assistant streaming';
    node.dataset.streaming = 'true';
    node.dataset.role = 'assistant';
    delete node.dataset.index;
    let body = node.querySelector('.msg-body');
    if (!body) {
      replaceChildren(node,
        h('div', { class: 'msg-meta' }, h('span', { class: 'msg-role' }, 'assistant'), h('span', { class: 'msg-type' }, 'streaming…')),
        body = h('div', { class: 'msg-body' }));
    }
    let thinking = body.querySelector('.stream-thinking');
    if (s.thinking && !thinking) {
      thinking = h('details', { class: 'fold thinking stream-thinking' }, h('summary', null, 'Thinking…'), h('pre'));
      body.insertBefore(thinking, body.firstChild);
    }
    if (thinking) setText(thinking.querySelector('pre'), s.thinking);
    let text = body.querySelector('.stream-text');
    if (!text) body.appendChild(text = h('div', { class: 'text stream-text' }));
    setText(text, s.text);
    return node;
  }

  function renderMessages() {
    if (!alive) return;
    const stick = nearBottom();
    const all = messages.values();
    const stored = all.filter((m) => m.status !== 'queued' && m.index !== null && m.index !== undefined)
      .sort((a, b) => a.index - b.index);
    const queued = all.filter((m) => m.status === 'queued' || m.index === null || m.index === undefined)
      .sort((a, b) => (a.queue_position ?? 0) - (b.queue_position ?? 0) || String(a.message_id).localeCompare(String(b.message_id)));
    for (const m of all) if (streams.has(m.message_id) && m.index != null) streams.delete(m.message_id);
    const order = stored.map(renderStored);
    const streaming = [...streams.entries()].sort((a, b) => a[1].seq - b[1].seq);
    for (const [id, s] of streaming) order.push(renderStream(id, s));
    // Drop elements of messages that are gone (removed, or now in the queue).
    const keep = new Set(order);
    for (const [id, node] of elements) {
      if (!keep.has(node)) {
        node.remove();
        elements.delete(id);
      }
    }
    order.forEach((node, i) => {
      if (log.children[i] !== node) log.insertBefore(node, log.children[i] || null);
    });
    if (order.length === 0) {
      setText(emptyNote, messages.ready ? 'No messages yet. Send a prompt to start.' : 'Loading the conversation…');
      log.appendChild(emptyNote);
    } else {
      emptyNote.remove();
    }
    renderQueue(queued);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  function renderQueue(queued) {
    const items = queued.map((m) => {
      const cancel = h('button', {
        type: 'button', class: 'secondary small', 'data-testid': 'cancel-prompt',
        'aria-label': 'Cancel this queued prompt',
        onclick: async () => {
          cancel.disabled = true;
          try {
            // Still queued as far as we know: a started prompt is part of the conversation.
            const now = messages.get(m.message_id);
            if (!now || now.status !== 'queued') return;
            const removed = await client.service('messages').remove(m.message_id);
            messages.apply('removed', removed || m);
          } catch (err) {
            showError(`Could not cancel: ${errorText(err)}`);
            cancel.disabled = false;
          }
        },
      }, 'Cancel');
      return h('li', { class: 'queued', 'data-testid': 'queued-prompt', 'data-message-id': m.message_id },
        h('span', { class: 'queued-label' }, `Queued${m.queue_position ? ` #${m.queue_position}` : ''}`),
        h('span', { class: 'queued-text' }, typeof m.content === 'string' ? m.content : pretty(m.content)),
        cancel);
    });
    // Keep nodes that did not change (a focused Cancel button stays focused).
    const key = JSON.stringify(queued.map((m) => [m.message_id, m.queue_position, m.content]));
    if (queueList.agorKey === key) return;
    queueList.agorKey = key;
    replaceChildren(queueList, items);
    queueList.hidden = items.length === 0;
  }

  function renderTask() {
    if (!alive) return;
    const task = newest(tasks.values());
    const status = task ? task.status : 'none';
    taskStatus.dataset.status = status;
    setText(taskStatus, taskLabel(task));
    taskStatus.title = task && task.prompt ? `Prompt: ${task.prompt}` : '';
    stop.disabled = !(task && ACTIVE_TASK.has(task.status)) && !(session && session.status === 'running');
    // Preview text of a task that ended without its complete message stays, marked as cut.
    if (task && !ACTIVE_TASK.has(task.status)) {
      for (const [id, s] of streams) {
        if (s.task_id === task.task_id) {
          const node = elements.get(id);
          if (node) node.classList.add('interrupted');
        }
      }
    }
  }

  function update(next) {
    if (next) session = next;
    if (!session) {
      setText(title, 'Session');
      return;
    }
    setText(title, session.title || 'Untitled session');
    setText(agent, session.agentic_tool || '');
    document.title = `agor — ${session.title || 'session'}`;
    renderTask();
  }

  // ---- actions ----------------------------------------------------------------------------
  async function submitPrompt() {
    const text = input.value;
    if (!text.trim()) return;
    showError('');
    send.disabled = true;
    try {
      await client.service(`sessions/${sessionId}/prompt`).create({ prompt: text });
      if (input.value === text) input.value = '';
      // Clearing the box fires no input event: say we stopped typing, or the others would
      // see "is typing…" until the server's typing expiry.
      if (ctx.onTyping) ctx.onTyping(null);
    } catch (err) {
      showError(`Could not send the prompt: ${errorText(err)}`);
    } finally {
      send.disabled = false;
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    submitPrompt();
  }

  function onKey(event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      submitPrompt();
    }
  }

  async function onStop() {
    showError('');
    stop.disabled = true;
    try {
      await client.service(`sessions/${sessionId}/stop`).create({});
    } catch (err) {
      showError(`Could not stop: ${errorText(err)}`);
      renderTask();
    }
  }

  // ---- data -------------------------------------------------------------------------------
  function onStreaming(chunk) {
    if (!chunk || chunk.session_id !== sessionId || !chunk.message_id) return;
    const stored = messages.get(chunk.message_id);
    if (stored && stored.index != null) return; // the complete message is already here
    let s = streams.get(chunk.message_id);
    if (!s) {
      s = { text: '', thinking: '', task_id: chunk.task_id, seq: ++streamSeq };
      streams.set(chunk.message_id, s);
    }
    if (chunk.type === 'thinking') s.thinking += chunk.chunk || '';
    else s.text += chunk.chunk || '';
    const stick = nearBottom();
    if (!elements.has(chunk.message_id)) {
      renderMessages();
    } else {
      renderStream(chunk.message_id, s);
    }
    if (stick) log.scrollTop = log.scrollHeight;
  }

  async function load() {
    showError('');
    try {
      await Promise.all([
        messages.load(() => findAll('messages', { session_id: sessionId, $sort: { index: 1 } })),
        tasks.load(async () => {
          const page = await client.service('tasks').find({ query: { session_id: sessionId, $sort: { created_at: -1 }, $limit: 20 } });
          return Array.isArray(page) ? page : page.data;
        }),
      ]);
      log.scrollTop = log.scrollHeight;
    } catch (err) {
      if (alive) showError(`Could not load the conversation: ${errorText(err)}`);
    }
  }

  const messagesService = client.service('messages');
  messagesService.on('streaming', onStreaming);
  const offs = [
    listen('messages', (kind, record) => {
      if (record && record.session_id === sessionId && kind !== 'removed' && record.index != null) streams.delete(record.message_id);
      messages.apply(kind, record);
    }),
    listen('tasks', (kind, record) => tasks.apply(kind, record)),
    () => messagesService.off('streaming', onStreaming),
    onReconnect(({ recovered }) => {
      // Chunks are never replayed: a preview cut by the drop is replaced by its stored message.
      if (!recovered) {
        streams.clear();
        load();
      }
    }),
  ];

  update(session);
  renderMessages();
  load();

  return {
    update,
    typingSlot,
    focus() {
      input.focus();
    },
    unmount() {
      alive = false;
      for (const off of offs) off();
      el.textContent = '';
    },
  };
}
