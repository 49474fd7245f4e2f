// The page's first load, login and the boards list in headless Chromium against the real
// daemon: everything comes from the daemon itself (no CDN), the load time (reported, not
// asserted), a wrong password shown inline, a login that survives a reload (the token where
// @feathersjs/authentication-client keeps it), the boards list live (created, renamed,
// removed; a board created through the form), logout. No console error in any step.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, uniq } from './daemon.mjs';
import { launch, UserPage, q } from './browser.mjs';

describe('login and the boards list', () => {
  let daemon, browser, dee, D;
  const requests = [];
  const others = []; // more windows

  before(async () => {
    daemon = await startDaemon();
    dee = await daemon.user({ name: 'Dee' });
    browser = await launch();
    D = await UserPage.open(browser, daemon, { label: 'dee' });
    D.page.on('request', (r) => requests.push(r.url()));
  });

  after(async () => {
    await browser?.close();
    await daemon?.dispose();
  });

  it('loads from the daemon alone, fast', { timeout: 20000 }, async (t) => {
    await D.markFirst(['[data-testid=login]', '[data-testid=whoami]', '[data-testid=connection][data-state=connected]']);
    const t0 = performance.now();
    const loaded = await D.goto();
    await D.visible('[data-testid=login]', 'the login form');
    const formMs = performance.now() - t0;
    const nav = await D.page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
    const first = await D.firstSeen();
    t.diagnostic(`page load (cold): DOMContentLoaded ${nav.domContentLoadedEventEnd.toFixed(0)} ms, load event ` +
      `${nav.loadEventEnd.toFixed(0)} ms, login form shown ${first['[data-testid=login]']?.toFixed(0)} ms (page clock); ` +
      `goto->load ${loaded.toFixed(0)} ms, login form visible ${formMs.toFixed(0)} ms (test clock); ${requests.length} requests, ` +
      `${(await D.page.evaluate(() => performance.getEntriesByType('resource')
        .reduce((n, e) => n + (e.transferSize || 0), 0) + performance.getEntriesByType('navigation')[0].transferSize))} bytes`);
    const foreign = requests.filter((u) => !u.startsWith(`${daemon.url}/`) && !/^(data|blob):/.test(u));
    assert.deepEqual(foreign, [], 'requests to anywhere but the daemon');
    const state = await D.page.$eval('[data-testid=connection]', (e) => e.getAttribute('data-state'));
    assert.ok(['connected', 'reconnecting', 'disconnected'].includes(state), `connection data-state ${state}`);
    await D.shot('login');
  });

  it('shows a wrong password inline', { timeout: 20000 }, async () => {
    await D.fill('[data-testid=login-email]', dee.email);
    await D.fill('[data-testid=login-password]', 'not-the-password');
    await D.click('[data-testid=login-submit]');
    await D.until('an inline login error', () => {
      const el = document.querySelector('[data-testid=login-error]');
      return !!el && el.getBoundingClientRect().height > 0 && el.textContent.trim().length > 0;
    });
    assert.equal(await D.shown('[data-testid=whoami]'), false, 'whoami shown after a failed login');
    assert.equal(await D.shown('[data-testid=login]'), true, 'the login form left after a failed login');
  });

  it('logs in, and a reload stays logged in', { timeout: 20000 }, async (t) => {
    await D.fill('[data-testid=login-password]', dee.password);
    await D.click('[data-testid=login-submit]');
    await D.visible('[data-testid=whoami]', 'whoami after login');
    await D.until('whoami names the user', (name, email) => {
      const t = document.querySelector('[data-testid=whoami]').textContent;
      return t.includes(name) || t.includes(email);
    }, { args: [dee.name, dee.email] });
    await D.present('[data-testid=boards]', 'the boards list');
    assert.ok(await D.page.evaluate(() => !!localStorage.getItem('feathers-jwt')), 'feathers-jwt in localStorage');
    const t0 = performance.now();
    await D.page.reload({ waitUntil: 'load' });
    await D.visible('[data-testid=whoami]', 'whoami after a reload');
    const nav = await D.page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
    const first = await D.firstSeen();
    t.diagnostic(`reload (warm, logged in): DOMContentLoaded ${nav.domContentLoadedEventEnd.toFixed(0)} ms, load event ` +
      `${nav.loadEventEnd.toFixed(0)} ms, whoami shown ${first['[data-testid=whoami]']?.toFixed(0)} ms, connected ` +
      `${first['[data-testid=connection][data-state=connected]']?.toFixed(0)} ms (page clock); ` +
      `whoami visible ${(performance.now() - t0).toFixed(0)} ms (test clock)`);
    await D.present('[data-testid=boards]', 'the boards list after a reload');
    assert.equal(await D.shown('[data-testid=login]'), false, 'the login form after a reload');
    await D.connected();
  });

  it('keeps the boards list live', { timeout: 20000 }, async () => {
    const admin = daemon.rest();
    const b = await admin.create('boards', { name: uniq('roadmap'), slug: uniq('roadmap') });
    const link = `[data-testid=board-link][data-board-id=${q(b.board_id)}]`;
    const named = (name) => D.until(`the link of board ${b.board_id} reads ${name}`, (sel, name) => {
      const el = document.querySelector(sel);
      return !!el && el.textContent.includes(name);
    }, { args: [link, name] });
    await named(b.name);
    const renamed = uniq('renamed');
    await admin.patch('boards', b.board_id, { name: renamed });
    await named(renamed);
    await admin.remove('boards', b.board_id);
    await D.until('the removed board leaves the list', (sel) => !document.querySelector(sel), { args: [link] });
    // Created through the form: it shows, and the server has it, owned by dee.
    const mine = uniq('mine');
    await D.fill('[data-testid=new-board-name]', mine);
    await D.click('[data-testid=new-board-submit]');
    await D.until(`a link to the new board ${mine}`, (name) => [...document.querySelectorAll('[data-testid=board-link]')]
      .some((e) => e.textContent.includes(name)), { args: [mine] });
    const found = (await daemon.rest().find('boards', `name=${encodeURIComponent(mine)}`)).data;
    assert.equal(found.length, 1, `boards named ${mine}: ${JSON.stringify(found)}`);
    await D.shot('boards');
  });

  it('logs out to the login form, and a reload stays logged out', { timeout: 20000 }, async () => {
    await D.click('[data-testid=logout]');
    await D.visible('[data-testid=login]', 'the login form after logout');
    await D.page.reload({ waitUntil: 'load' });
    await D.visible('[data-testid=login]', 'the login form after logout and a reload');
    assert.equal(await D.shown('[data-testid=whoami]'), false, 'whoami after logout');
  });

  it('logs in with the keyboard alone, in a narrow window, in dark mode', { timeout: 20000 }, async () => {
    // Another window of dee's: 390 px wide, prefers-color-scheme dark.
    const N = await UserPage.open(browser, daemon, { label: 'dee-narrow', viewport: { width: 390, height: 800 } });
    others.push(N);
    await N.page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await N.goto();
    await N.visible('[data-testid=login]', 'the login form');
    await N.page.focus('[data-testid=login-email]');
    await N.page.keyboard.type(dee.email);
    await N.page.keyboard.press('Tab');
    assert.equal(await N.page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'login-password',
      'Tab from the email goes to the password');
    await N.page.keyboard.type(dee.password);
    await N.page.keyboard.press('Enter');
    await N.visible('[data-testid=whoami]', 'whoami after a keyboard login');
    await N.present('[data-testid=boards]', 'the boards list');
    const look = await N.page.evaluate(() => {
      // The first opaque background from the body up, and the body's text colour.
      const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
      let bg = [255, 255, 255];
      for (let e = document.body; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length === 3 || c[3] > 0)) { bg = c.slice(0, 3); break; }
      }
      const lum = ([r, g, b]) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const fg = rgb(getComputedStyle(document.body).color).slice(0, 3);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      return { bg, fg, bgLum: lum(bg), contrast: (hi + 0.05) / (lo + 0.05),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth };
    });
    assert.ok(look.bgLum < 0.2, `a dark background in dark mode: ${JSON.stringify(look)}`);
    assert.ok(look.contrast >= 4.5, `text contrast in dark mode: ${JSON.stringify(look)}`);
    assert.ok(look.overflow <= 0, `no horizontal scrolling at 390 px: ${JSON.stringify(look)}`);
    await N.shot('boards-narrow-dark');
  });

  it('no console error in any step', () => {
    for (const u of [D, ...others]) assert.deepEqual(u?.errors ?? [], [], `${u?.label}: console errors`);
  });
});
