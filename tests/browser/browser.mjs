// Headless Chromium (Debian's, $CHROMIUM or /usr/bin/chromium) driven by puppeteer-core, and a
// user's window on the board page: its own incognito browser context (own localStorage, so two
// users in one browser), a recorder of every console error and uncaught exception, optional
// recording of all its network traffic (HTTP response bodies and WebSocket frames, through
// CDP), waits on what the page shows (selectors from the DOM contract of issue 13), and
// screenshots into $AGOR_SCREENSHOT_DIR.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export const WAIT_MS = 10000;

export function chromiumPath() {
  const p = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`Chromium not found at ${p} (apt-get install chromium, or set CHROMIUM)`);
  return p;
}

// Root in a container needs --no-sandbox; headless: true is --headless=new.
export function launch() {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
}

let shotDir;
let failures = 0;
export function screenshotDir() {
  if (!shotDir) {
    shotDir = process.env.AGOR_SCREENSHOT_DIR;
    if (!shotDir) {
      shotDir = mkdtempSync(path.join(tmpdir(), 'agor-screens-'));
      console.log(`screenshots in ${shotDir}`); // run.sh names its own folder
    }
    mkdirSync(shotDir, { recursive: true });
  }
  return shotDir;
}

// A CSS attribute selector value, quoted.
export const q = (v) => JSON.stringify(String(v));

export class UserPage {
  // label: who this window is (in messages); viewport: {width, height}.
  static async open(browser, daemon, { label, viewport = { width: 1280, height: 800 } }) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport(viewport);
    const u = new UserPage(daemon, context, page, label);
    u.watchConsole();
    return u;
  }

  constructor(daemon, context, page, label) {
    this.daemon = daemon;
    this.context = context;
    this.page = page;
    this.label = label;
    this.errors = []; // console errors and page errors: what must stay empty
    this.expectedOutage = []; // the browser's own errors for the daemon's socket while it is down
    this.daemonDown = false;
    this.traffic = null;
  }

  // Every console message of type error and every uncaught exception is kept. While the daemon
  // is down (daemonDown), the browser's own network errors for /socket.io/ (connection refused,
  // WebSocket failed) are what any page gets and are kept apart; nothing else is excused.
  watchConsole() {
    this.page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const where = msg.location()?.url || '';
      const entry = { type: 'console', text: msg.text(), url: where };
      const socketNoise = (where.includes('/socket.io/') || /\/socket\.io\//.test(msg.text()))
        && /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed|Failed to load resource/.test(msg.text());
      if (this.daemonDown && socketNoise) this.expectedOutage.push(entry);
      else this.errors.push(entry);
    });
    this.page.on('pageerror', (err) => {
      this.errors.push({ type: 'pageerror', text: String(err?.stack || err) });
    });
  }

  // Records every HTTP response body and every WebSocket frame from now on.
  async recordTraffic() {
    const traffic = { items: [], pending: new Set(), unreadable: [] };
    this.traffic = traffic;
    const cdp = await this.page.createCDPSession();
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketFrameReceived', (e) => traffic.items.push({ kind: 'ws<', data: e.response.payloadData }));
    cdp.on('Network.webSocketFrameSent', (e) => traffic.items.push({ kind: 'ws>', data: e.response.payloadData }));
    this.page.on('request', (req) => {
      traffic.items.push({ kind: 'req', data: `${req.method()} ${req.url()} ${req.postData() || ''}` });
    });
    this.page.on('response', (res) => {
      const status = res.status();
      const p = res.text().then(
        (body) => traffic.items.push({ kind: 'http', url: res.url(), status, data: body }),
        (err) => {
          // Redirects, 204s and preflights have no body to read; anything else must be read.
          if (!(status === 204 || (status >= 300 && status < 400) || res.request().method() === 'OPTIONS')) {
            traffic.unreadable.push(`${res.request().method()} ${res.url()} ${status}: ${err.message}`);
          }
        });
      traffic.pending.add(p);
      p.finally(() => traffic.pending.delete(p));
    });
    return traffic;
  }

  // All recorded traffic as one string, once every pending body has been read.
  async trafficText() {
    while (this.traffic.pending.size) await Promise.allSettled([...this.traffic.pending]);
    return this.traffic.items.map((i) => `${i.kind} ${i.url || ''} ${i.data}`).join('\n');
  }

  // page.waitForFunction with a message that says what was awaited and what the page showed.
  // polling: 'mutation' for what the DOM says; a number (ms) for what it renders (layout).
  async until(what, fn, { timeout = WAIT_MS, args = [], polling = 'mutation' } = {}) {
    try {
      return await this.page.waitForFunction(fn, { timeout, polling }, ...args);
    } catch (err) {
      throw new Error(`${this.label}: ${what}: ${err.message}\n${await this.describe()}`);
    }
  }

  async visible(selector, what = selector, timeout = WAIT_MS) {
    try {
      return await this.page.waitForSelector(selector, { visible: true, timeout });
    } catch (err) {
      throw new Error(`${this.label}: ${what}: ${err.message}\n${await this.describe()}`);
    }
  }

  // Waits until `selector` is in the DOM (an empty list has no box to be visible).
  async present(selector, what = selector, timeout = WAIT_MS) {
    try {
      return await this.page.waitForSelector(selector, { timeout });
    } catch (err) {
      throw new Error(`${this.label}: ${what}: ${err.message}\n${await this.describe()}`);
    }
  }

  // What the page shows now, for failure messages (and a screenshot of it).
  async describe() {
    try {
      failures += 1;
      const file = path.join(screenshotDir(), `failed-${failures}-${this.label}.png`);
      await this.page.screenshot({ path: file }).catch(() => {});
      return `  screenshot: ${file}\n` + await this.page.evaluate(() => {
        const conn = document.querySelector('[data-testid=connection]');
        const body = document.body ? document.body.innerText.replace(/\s+/g, ' ').slice(0, 600) : '';
        return `  location: ${location.href}\n  connection: ${conn?.getAttribute('data-state')}\n  text: ${body}`;
      });
    } catch (err) {
      return `  (page unreadable: ${err.message})`;
    }
  }

  // On every document from now on, notes the page-clock time (ms since navigation start) at
  // which each selector first matches a rendered element: window.__agorFirst[selector].
  async markFirst(selectors) {
    await this.page.evaluateOnNewDocument((selectors) => {
      window.__agorFirst = {};
      const check = () => {
        for (const sel of selectors) {
          if (window.__agorFirst[sel] !== undefined) continue;
          const el = document.querySelector(sel);
          if (el && el.getClientRects().length > 0) window.__agorFirst[sel] = performance.now();
        }
      };
      new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
    }, selectors);
  }

  firstSeen() {
    return this.page.evaluate(() => window.__agorFirst || {});
  }

  // Whether an element matching `selector` is on the page and rendered (not hidden).
  shown(selector) {
    return this.page.evaluate((sel) => [...document.querySelectorAll(sel)]
      .some((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'), selector);
  }

  async goto(hash = '') {
    const t0 = performance.now();
    await this.page.goto(`${this.daemon.url}/${hash}`, { waitUntil: 'load' });
    return performance.now() - t0;
  }

  async fill(selector, text) {
    await this.page.locator(selector).setTimeout(WAIT_MS).fill(text);
  }

  async click(selector) {
    await this.page.locator(selector).setTimeout(WAIT_MS).click();
  }

  // Logs in through the form; resolves once [data-testid=whoami] shows.
  async login(user) {
    await this.visible('[data-testid=login]', 'the login form');
    await this.fill('[data-testid=login-email]', user.email);
    await this.fill('[data-testid=login-password]', user.password);
    await this.click('[data-testid=login-submit]');
    await this.visible('[data-testid=whoami]', `logged in as ${user.email}`);
  }

  async connected(timeout = WAIT_MS) {
    await this.until('the connection banner says connected',
      () => document.querySelector('[data-testid=connection]')?.getAttribute('data-state') === 'connected',
      { timeout });
  }

  // From the boards list, opens the board by its link.
  async openBoard(boardId) {
    await this.present('[data-testid=boards]', 'the boards list');
    await this.click(`[data-testid=board-link][data-board-id=${q(boardId)}]`);
    await this.visible(`[data-testid=board][data-board-id=${q(boardId)}]`, `board ${boardId}`);
    await this.visible('[data-testid=canvas]', 'the board canvas');
    await this.connected();
  }

  async shot(name) {
    const file = path.join(screenshotDir(), `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close() {
    await this.context.close().catch(() => {});
  }
}
