// Login with email and password: the Feathers local strategy through authentication-client,
// which then keeps the token (localStorage `feathers-jwt`) for reloads and reconnects.
// Errors ("Invalid login", too many attempts, no connection) are shown inline.
import { client } from './api.js';
import { errorText, h } from './dom.js';

export function mountLogin({ el, notice, onLogin }) {
  const email = h('input', {
    type: 'email', name: 'email', id: 'login-email', autocomplete: 'username', required: true,
    'data-testid': 'login-email',
  });
  const password = h('input', {
    type: 'password', name: 'password', id: 'login-password', autocomplete: 'current-password', required: true,
    'data-testid': 'login-password',
  });
  const error = h('p', { class: 'error', 'data-testid': 'login-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in');
  let alive = true;

  async function onSubmit(event) {
    event.preventDefault();
    error.hidden = true;
    error.textContent = '';
    submit.disabled = true;
    try {
      const res = await client.authenticate({ strategy: 'local', email: email.value.trim(), password: password.value });
      if (alive) onLogin(res.user);
    } catch (err) {
      if (!alive) return;
      error.textContent = errorText(err);
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  }

  const form = h('form', { class: 'card login', 'data-testid': 'login', onsubmit: onSubmit, novalidate: false },
    h('h1', null, 'Log in to agor'),
    notice ? h('p', { class: 'notice' }, notice) : null,
    h('label', { for: 'login-email' }, 'Email'),
    email,
    h('label', { for: 'login-password' }, 'Password'),
    password,
    error,
    submit);
  el.appendChild(h('div', { class: 'center' }, form));
  email.focus();
  return {
    unmount() {
      alive = false;
      el.textContent = '';
    },
  };
}
