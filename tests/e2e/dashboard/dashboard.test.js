/*
 * The http_json sink's dashboard in a real browser: the system Chromium,
 * headless, driven by playwright-core, against dashboard_server (a real
 * host serving the real sink). Run by test_dashboard.sh:
 *
 *   DASHBOARD_URL=http://127.0.0.1:PORT/ ARTIFACT_DIR=DIR \
 *     node dashboard.test.js
 *
 * It fails on any console error, page error, failed request or request
 * that leaves the server's origin; checks the known runs on the page, the
 * page's escaping of names, the failure highlighting, the sink health and
 * the live update; and saves screenshots (light and dark) in ARTIFACT_DIR.
 */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = process.env.DASHBOARD_URL;
const ARTIFACTS = process.env.ARTIFACT_DIR;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MARKUP_NAME = '<img src=x onerror="document.title=\'pwned\'">';
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "style-src 'self'; script-src 'self'";

/* Everything the browser did that the test must see. An error matching
 * `seen.expected` (set while a test makes metrics.json fail on purpose) is
 * not counted. */
function watch(context, page) {
  const seen = { errors: [], outside: [], requests: [], expected: null };
  const error = (text) => {
    if (!(seen.expected && seen.expected.test(text))) seen.errors.push(text);
  };
  const origin = new URL(BASE).origin;
  /* Every request passes here; one to another origin is refused and kept,
   * so a stray font or script would fail the test, not slip through. */
  context.route('**/*', (route) => {
    const url = route.request().url();
    seen.requests.push(url);
    if (new URL(url).origin === origin) return route.continue();
    seen.outside.push(url);
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') error(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => error(`page error: ${e.message}`));
  page.on('requestfailed', (r) =>
    error(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('websocket', (w) => seen.outside.push(w.url()));
  return seen;
}

/* The cells of the pipelines table row whose name is exactly `name`. */
async function pipelineRow(page, name) {
  return page.evaluate((n) => {
    for (const tr of document.querySelectorAll('#pipelines tbody tr')) {
      const th = tr.querySelector('th');
      if (th && th.firstChild && th.firstChild.textContent === n) {
        return [...tr.cells].map((c) => c.textContent);
      }
    }
    return null;
  }, name);
}

async function waitForRow(page, name) {
  await page.waitForFunction((n) => [...document.querySelectorAll(
    '#pipelines tbody th')].some((th) => th.firstChild?.textContent === n), name);
  return pipelineRow(page, name);
}

test('dashboard_live_in_chromium', async (t) => {
  assert.ok(BASE, 'DASHBOARD_URL is set');
  assert.ok(ARTIFACTS, 'ARTIFACT_DIR is set');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tacho-dashboard-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.after(async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] || await context.newPage();
  const seen = watch(context, page);

  /* Half a second between refreshes, so the test sees several. */
  const response = await page.goto(`${BASE}?refresh=0.5`, { waitUntil: 'load' });
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-security-policy'], CSP);
  assert.equal(response.headers()['x-content-type-options'], 'nosniff');

  await t.test('dashboard_shows_known_runs', async () => {
    const known = await waitForRow(page, 'known');
    /* Pipeline, runs, succeeded, failed, error ratio, p50, p95, p99, last. */
    assert.deepEqual(known.slice(0, 5), ['known', '7', '5', '2', '28.6%']);
    const nightly = await pipelineRow(page, 'nightly');
    assert.deepEqual(nightly.slice(0, 5), ['nightly', '3', '3', '0', '0%']);
    assert.equal(await page.textContent('#worker'), 'dashboard-e2e');
    assert.match(await page.title(), /^tacho · dashboard-e2e$/);
  });

  await t.test('dashboard_shows_names_as_text', async () => {
    const row = await waitForRow(page, MARKUP_NAME);
    assert.deepEqual(row.slice(0, 4), [MARKUP_NAME, '1', '1', '0']);
    assert.equal(await page.locator('img').count(), 0);
    assert.doesNotMatch(await page.title(), /pwned/);
  });

  await t.test('dashboard_highlights_failures', async () => {
    await page.waitForSelector('#recent tbody tr.fail');
    const rows = await page.$$eval('#recent tbody tr', (trs) => trs.map((tr) => ({
      cls: tr.className,
      result: tr.querySelector('.result')?.textContent,
      bg: getComputedStyle(tr.cells[0]).backgroundColor,
    })));
    assert.ok(rows.length > 1);
    for (const r of rows) assert.equal(r.cls, r.result === 'failed' ? 'fail' : 'ok');
    const failed = rows.find((r) => r.cls === 'fail');
    const ok = rows.find((r) => r.cls === 'ok');
    assert.ok(failed && ok, 'both kinds of run are listed');
    assert.notEqual(failed.bg, ok.bg, 'a failed run is tinted');
    /* The filter leaves only failures. */
    await page.check('#only-failed');
    const results = await page.$$eval('#recent tbody .result', (es) => es.map((e) => e.textContent));
    assert.ok(results.length > 0 && results.every((r) => r === 'failed'));
    await page.uncheck('#only-failed');
  });

  await t.test('dashboard_shows_sink_health', async () => {
    /* Each sink's state, errors and the error line under it, if any. */
    const sinks = () => page.evaluate(() => {
      const out = {};
      let last = null;
      for (const tr of document.querySelectorAll('#sinks tbody tr')) {
        const th = tr.querySelector('th');
        if (th) {
          last = th.firstChild.textContent;
          out[last] = { state: tr.querySelector('.state').textContent,
            errors: Number(tr.cells[3].textContent), error: '' };
        } else if (last && tr.classList.contains('error-line')) {
          out[last].error = tr.textContent;
        }
      }
      return out;
    });
    /* The failing sink needs a write or two (one a second) to fail. */
    await page.waitForFunction(() => [...document.querySelectorAll('#sinks .sink-error')]
      .some((e) => e.textContent.includes('quota exceeded')), null, { timeout: 15000 });
    const s = await sinks();
    assert.deepEqual(Object.keys(s).sort(), ['archive', 'dashboard', 'flaky', 'push']);
    assert.equal(s.dashboard.state, 'up');
    assert.equal(s.dashboard.error, '');
    assert.equal(s.push.state, 'up');
    assert.equal(s.flaky.state, 'up');
    assert.ok(s.flaky.errors > 0);
    assert.equal(s.flaky.error, 'collector refused the batch: quota exceeded');
    assert.equal(s.archive.state, 'down');
    assert.match(s.archive.error, /permission denied/);
    assert.equal(await page.textContent('#sinks-up'), '3 / 4 up');
  });

  await t.test('dashboard_updates_with_new_runs', async () => {
    const total = () => page.$eval('#runs-total', (e) => Number(e.textContent.replace(/\D/g, '')));
    const before = await total();
    assert.ok(before >= 11, `the known runs are counted (${before})`);
    await page.waitForFunction((n) =>
      Number(document.getElementById('runs-total').textContent.replace(/\D/g, '')) > n, before);
    /* The charts fill as samples arrive: a line with more than one point. */
    await page.waitForFunction(() =>
      (document.querySelector('#chart-rate path.line')?.getAttribute('d') || '')
        .split('L').length > 4, null, { timeout: 20000 });
    for (const q of ['p50', 'p95', 'p99']) {
      assert.ok(await page.locator(`#chart-latency path.line.s-${q}`).count() > 0, q);
    }
    const live = await pipelineRow(page, 'live');
    assert.ok(live && Number(live[1]) > 0);
    /* Still exactly the known figures: only `live` grows. */
    assert.deepEqual((await pipelineRow(page, 'known')).slice(0, 4), ['known', '7', '5', '2']);
  });

  await t.test('dashboard_screenshots', async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    /* A few more samples, so the charts show a stretch of time. */
    await page.waitForTimeout(4000);
    const light = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: light, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(600);
    const dark = path.join(ARTIFACTS, 'dashboard-dark.png');
    await page.screenshot({ path: dark, fullPage: true });
    console.log(`screenshot: ${light}`);
    console.log(`screenshot: ${dark}`);
    assert.ok(fs.statSync(light).size > 10000);
  });

  await t.test('dashboard_says_when_offline', async () => {
    const status = (re, timeout = 10000) => page.waitForFunction((src) =>
      new RegExp(src).test(document.getElementById('status-text').textContent), re.source,
    { timeout });
    const failWith = async (handler) => {
      await page.unroute('**/metrics.json');
      await page.route('**/metrics.json', handler);
    };
    seen.expected = /status of 503|metrics\.json.*ERR_ABORTED|net::ERR_ABORTED/;
    await page.route('**/metrics.json', (r) => r.fulfill({ status: 503, body: 'busy' }));
    await status(/^Offline: metrics\.json answered HTTP 503; data from \d+s ago$/);
    /* The last figures stay on the page. */
    assert.deepEqual((await pipelineRow(page, 'known')).slice(0, 4), ['known', '7', '5', '2']);
    await failWith((r) => r.fulfill({ status: 200, contentType: 'application/json',
      body: JSON.stringify({ schemaVersion: 2 }) }));
    await status(/^Offline: unknown schemaVersion 2; /);
    /* A worker that never answers: the page gives up after 5 seconds. */
    await failWith(() => {});
    await status(/^Offline: no answer from metrics\.json; /, 15000);
    await page.unroute('**/metrics.json');
    await status(/^Live · /);
    seen.expected = null;
  });

  await t.test('dashboard_stays_inside_its_origin', () => {
    const polls = seen.requests.filter((u) => new URL(u).pathname === '/metrics.json');
    assert.ok(polls.length >= 5, `metrics.json polled (${polls.length} times)`);
    assert.deepEqual(seen.outside, [], 'no request leaves the server');
    assert.deepEqual(seen.errors, [], 'no console error, page error or failed request');
  });
});
