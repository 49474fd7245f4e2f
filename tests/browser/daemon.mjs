// The real agor daemon for the browser suite: tests/compat/daemon.mjs's Daemon (the binary on
// an ephemeral port and a temporary database; its URL from the first stdout line; the admin's
// credentials from `admin-credentials`; restart() on the SAME port and database, so a page open
// in a browser reconnects to the same origin, its localStorage token included), plus a REST
// client (fetch) and the users a test needs. FIXTURES: the test agents (tests/fixtures/agents).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Daemon as CompatDaemon, startDaemon as startCompatDaemon } from '../compat/daemon.mjs';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/agents');

export function uniq(prefix = 't') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export class Daemon extends CompatDaemon {
  constructor(options = {}) {
    super({ name: 'agor-browser', ...options });
  }

  // REST as the admin (its API key), or as `token` (a user's JWT).
  rest(token = this.credentials?.api_key) {
    return restClient(this.url, token);
  }

  // A user created by the admin; resolves with {user, id, email, password, name, rest()}.
  // rest() logs in (a password hash on the daemon: only when a test needs the user's REST) and
  // resolves with a REST client presenting the user's JWT.
  async user({ name, role = 'member', emoji } = {}) {
    const email = `${uniq(name.toLowerCase())}@example.com`;
    const password = `pw-${uniq('secret')}`;
    const user = await this.rest().create('users', { email, password, name, role, ...(emoji ? { emoji } : {}) });
    let token;
    return {
      user, id: user.user_id, email, password, name, emoji,
      rest: async () => {
        token ??= (await restClient(this.url).create('authentication', { strategy: 'local', email, password })).accessToken;
        return this.rest(token);
      },
    };
  }
}

export function startDaemon(options = {}) {
  return startCompatDaemon(options, Daemon);
}

// Feathers REST: `Authorization: Bearer <token>` when a token is given.
export function restClient(baseUrl, token) {
  async function call(method, p, body) {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${baseUrl}${p}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!res.ok) {
      const err = new Error(`${method} ${p} -> ${res.status}: ${text}`);
      err.status = res.status;
      throw err;
    }
    return json;
  }
  return {
    call,
    find: (service, query = '') => call('GET', `/${service}${query ? `?${query}` : ''}`),
    get: (service, id) => call('GET', `/${service}/${encodeURIComponent(id)}`),
    create: (service, data) => call('POST', `/${service}`, data),
    patch: (service, id, data) => call('PATCH', `/${service}/${encodeURIComponent(id)}`, data),
    remove: (service, id) => call('DELETE', `/${service}/${encodeURIComponent(id)}`),
  };
}
