/*
 * tacho's live dashboard: polls metrics.json (schema version 1, see
 * docs/METRICS.md) and draws it. No framework and no outside request: the
 * http_json sink serves this file with a Content-Security-Policy that allows
 * only its own origin.
 *
 * Every text that comes from the JSON (pipeline and sink names, errors,
 * the worker id) goes into the page through textContent, never as markup:
 * names are whatever the worker's jobs were called.
 */
'use strict';

(() => {
  /* Samples kept for the charts: 12 minutes at the default 2 s refresh. */
  const HISTORY = 360;
  /* Rows of the recent runs table; the snapshot may hold a thousand. */
  const RECENT_ROWS = 30;
  /* Runs per minute is measured over this much time. */
  const RATE_SPAN_MS = 10000;
  const SVG = 'http://www.w3.org/2000/svg';

  const refreshMs = refreshInterval(new URLSearchParams(location.search));
  const history = [];
  let prev = null; /* the previous document, to notice a restart */
  let lastDoc = null; /* redrawn on resize */
  let lastOk = 0;

  /* ?refresh=SECONDS, 0.25..3600; anything else means the default 2 s. */
  function refreshInterval(params) {
    const v = Number(params.get('refresh'));
    return params.has('refresh') && v >= 0.25 && v <= 3600 ? v * 1000 : 2000;
  }

  /* ---- formatting ------------------------------------------------------ */

  const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const DASH = '\u2014';

  function fmtInt(n) {
    return n == null ? DASH : intFmt.format(n);
  }

  function fmtPct(r) {
    if (r == null) return DASH;
    /* Near the ends, more digits, rounded away from the end: 99.999% must
     * not read as 100%, nor 0.001% as 0%. */
    const p = r * 100;
    if (p === 0 || p === 100) return p + '%';
    if (p > 99) return (Math.floor(p * 100) / 100).toFixed(2) + '%';
    if (p < 1) return (Math.ceil(p * 100) / 100).toFixed(2) + '%';
    return p.toFixed(1) + '%';
  }

  function fmtRate(perMin) {
    if (perMin == null) return DASH;
    if (perMin === 0) return '0';
    return perMin >= 100 ? intFmt.format(perMin) : perMin.toFixed(perMin >= 10 ? 1 : 2);
  }

  /* Three significant digits, without trailing zeros after the point. */
  const sig3 = (v) => v.toPrecision(3).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

  /* Seconds to the shortest readable unit: 850 µs, 12.3 ms, 1.52 s, 2m 05s. */
  function fmtDuration(s) {
    if (s == null) return DASH;
    if (s === 0) return '0';
    if (s < 1e-3) return sig3(s * 1e6) + ' \u00b5s';
    if (s < 1) return sig3(s * 1e3) + ' ms';
    if (s < 60) return sig3(s) + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(Math.floor(s % 60)).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }

  /* The window length as people say it: 1h, 15m, 90s. */
  function fmtSpan(seconds) {
    if (seconds % 3600 === 0) return seconds / 3600 + 'h';
    if (seconds % 60 === 0) return seconds / 60 + 'm';
    return seconds + 's';
  }

  function fmtClock(ms, withMs) {
    const d = new Date(ms);
    const t = d.toLocaleTimeString(undefined, { hour12: false });
    return withMs ? t + '.' + String(d.getMilliseconds()).padStart(3, '0') : t;
  }

  /* How long before `now` (both Unix ms, both from the worker's clock, so a
   * browser whose clock is off still reads right). */
  function fmtAgo(ms, now) {
    if (ms == null) return 'never';
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ago';
    return Math.floor(s / 86400) + 'd ago';
  }

  const time = (text) => (text == null ? null : Date.parse(text));

  /* ---- DOM helpers ----------------------------------------------------- */

  const $ = (id) => document.getElementById(id);

  function setText(id, text) {
    const e = $(id);
    if (e.textContent !== text) e.textContent = text;
  }

  /* An element with a class and a text; the text is never parsed. */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  function row(cells, cls) {
    const tr = el('tr', cls);
    for (const c of cells) tr.append(c instanceof Node ? c : el('td', null, c));
    return tr;
  }

  /* A table body showing `message` in one cell across its `columns`. */
  function emptyRow(tbody, columns, message) {
    const td = el('td', 'empty', message);
    td.colSpan = columns;
    tbody.replaceChildren(row([td]));
  }

  /* ---- history --------------------------------------------------------- */

  /* One point per refresh. Runs per minute comes from the runs counter's
   * growth over the last RATE_SPAN_MS (or since the first sample), which is
   * live, unlike the window's average over an hour, and smooth, unlike the
   * growth between two refreshes. A restart or reset (another start time)
   * starts afresh. */
  function sample(doc) {
    const t = time(doc.timestamp);
    if (prev && (prev.startTime !== doc.startTime || prev.worker !== doc.worker)) {
      history.length = 0;
    }
    let perMin = null;
    let then = null;
    for (const h of history) {
      if (t - h.t < RATE_SPAN_MS) break;
      then = h;
    }
    then = then || history[0];
    if (then && t > then.t && doc.runs.total >= then.total) {
      perMin = ((doc.runs.total - then.total) / (t - then.t)) * 60000;
    }
    const d = doc.window.durations;
    history.push({ t, total: doc.runs.total, perMin, ratio: doc.window.successRatio,
      p50: d.p50, p95: d.p95, p99: d.p99 });
    if (history.length > HISTORY) history.shift();
    prev = doc;
    return perMin;
  }

  /* ---- charts ---------------------------------------------------------- */

  /* Rounds up to 1, 2 or 5 times a power of ten, for axis ends. */
  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  /* One series as runs of consecutive points. A gap in the data (no runs
   * in the window, or refreshes that failed) is a gap in the line. */
  function segments(key) {
    const out = [];
    let seg = null;
    let last = -Infinity;
    for (const h of history) {
      if (h[key] == null || h.t - last > 3 * refreshMs + 1000) seg = null;
      last = h.t;
      if (h[key] == null) continue;
      if (!seg) out.push((seg = []));
      seg.push(h);
    }
    return out;
  }

  /* Grid lines with their labels, and the times at both ends. */
  function drawAxes(root, box, scale, Y, empty) {
    const { W, H, m } = box;
    for (const v of scale.ticks) {
      root.append(svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v) }));
      root.append(svg('text', { class: 'tick', x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end' },
        scale.label(v)));
    }
    if (empty) {
      root.append(svg('text', { class: 'nodata', x: W / 2, y: H / 2, 'text-anchor': 'middle' },
        empty));
      return;
    }
    root.append(svg('text', { class: 'tick', x: m.l, y: H - 6 }, fmtClock(history[0].t)));
    root.append(svg('text', { class: 'tick', x: W - m.r, y: H - 6, 'text-anchor': 'end' },
      fmtClock(history[history.length - 1].t)));
  }

  /*
   * Draws line series over the history into figure `id`. `series` are
   * {key, name, cls}: a history field, its name for screen readers and the
   * CSS class that colours it. `scale` turns the values into the y axis;
   * `area` shades under the first series. Redrawn whole each time: a few
   * hundred points cost nothing.
   */
  function drawChart(id, series, scale, area) {
    const fig = $(id);
    const plot = fig.querySelector('.plot');
    const box = { W: Math.max(plot.clientWidth, 200), H: plot.clientHeight || 160,
      m: { l: 52, r: 10, t: 10, b: 22 } };
    const { W, H, m } = box;
    const values = history.flatMap((h) => series.map((s) => h[s.key]).filter((v) => v != null));
    const sc = scale(values);
    const x0 = history[0].t;
    const span = Math.max(history[history.length - 1].t - x0, refreshMs);
    const f = sc.log ? (v) => Math.log10(Math.max(v, sc.lo)) : (v) => v;
    const X = (t) => m.l + ((t - x0) / span) * (W - m.l - m.r);
    const Y = (v) => H - m.b - ((f(v) - f(sc.lo)) / (f(sc.hi) - f(sc.lo) || 1)) * (H - m.t - m.b);
    const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
    const empty = values.length ? null
      : series[0].key === 'perMin' && history.length < 2 ? 'Measuring\u2026' : 'No runs yet';
    drawAxes(root, box, sc, Y, empty);
    series.forEach((s, i) => {
      const segs = segments(s.key);
      for (const seg of segs) {
        const d = 'M' + seg.map((h) => `${X(h.t).toFixed(1)},${Y(h[s.key]).toFixed(1)}`).join('L');
        if (area && i === 0 && seg.length > 1) {
          const base = Y(sc.lo).toFixed(1);
          const ends = `L${X(seg[seg.length - 1].t).toFixed(1)},${base}` +
            `L${X(seg[0].t).toFixed(1)},${base}Z`;
          root.append(svg('path', { class: 'area ' + s.cls, d: d + ends }));
        }
        root.append(svg('path', { class: 'line ' + s.cls, d }));
      }
      const lastSeg = segs[segs.length - 1];
      if (lastSeg) {
        const p = lastSeg[lastSeg.length - 1];
        root.append(svg('circle', { class: 'end ' + s.cls, cx: X(p.t), cy: Y(p[s.key]), r: 3 }));
      }
    });
    const now = history[history.length - 1];
    const said = series.map((s) =>
      `${s.name} ${now[s.key] == null ? 'none' : sc.label(now[s.key])}`);
    const title = fig.querySelector('figcaption').textContent.trim().replace(/\s+/g, ' ');
    root.setAttribute('aria-label', `${title}: ${said.join(', ')}`);
    plot.replaceChildren(root);
  }

  /* A linear axis from `lo` to `hi` with five ticks. */
  function linear(lo, hi, label) {
    return { lo, hi, label, ticks: [0, 1, 2, 3, 4].map((i) => lo + ((hi - lo) * i) / 4) };
  }

  const scales = {
    rate: (vs) => linear(0, niceCeil(Math.max(...vs, 0)), fmtRate),
    /* Zoom in on the top: 99% and 99.9% must look different. */
    ratio: (vs) => {
      const min = vs.length ? Math.min(...vs) : 1;
      const lo = min >= 0.99 ? 0.98 : min >= 0.9 ? 0.8 : Math.floor(min * 5) / 5;
      const label = (v) => fmtPct(Math.round(v * 1e4) / 1e4)
        .replace(/(\.\d*?)0+%$/, '$1%').replace('.%', '%');
      return linear(lo, 1, label);
    },
    /* Durations span decades (a 20 ms job beside a 3 s one): a log axis
     * keeps p50 readable next to p99, with a tick at each power of ten. */
    duration: (vs) => {
      const pos = vs.filter((v) => v > 0);
      if (!pos.length) return linear(0, 1, fmtDuration);
      const a = Math.floor(Math.log10(Math.min(...pos)));
      const b = Math.max(Math.ceil(Math.log10(Math.max(...pos))), a + 1);
      const step = b - a > 5 ? 2 : 1;
      const top = a + Math.ceil((b - a) / step) * step;
      const ticks = [];
      for (let k = a; k <= top; k += step) ticks.push(10 ** k);
      return { lo: 10 ** a, hi: 10 ** top, label: fmtDuration, ticks, log: true };
    },
  };

  function drawCharts() {
    drawChart('chart-rate', [{ key: 'perMin', name: 'now', cls: 's-rate' }], scales.rate, true);
    drawChart('chart-ratio', [{ key: 'ratio', name: 'now', cls: 's-ratio' }], scales.ratio, true);
    drawChart('chart-latency', [
      { key: 'p50', name: 'p50', cls: 's-p50' },
      { key: 'p95', name: 'p95', cls: 's-p95' },
      { key: 'p99', name: 'p99', cls: 's-p99' },
    ], scales.duration, false);
  }

  /* ---- tables ---------------------------------------------------------- */

  function num(v, cls) {
    return el('td', 'num' + (cls ? ' ' + cls : ''), typeof v === 'string' ? v : fmtInt(v));
  }

  function renderPipelines(doc, now) {
    const tbody = $('pipelines').tBodies[0];
    if (!doc.pipelines.length) return emptyRow(tbody, 9, 'No runs yet.');
    tbody.replaceChildren(...doc.pipelines.map((p) => {
      const name = el('th', 'name', p.name);
      name.scope = 'row';
      if (p.overflow) name.append(el('span', 'badge', 'overflow'));
      const d = p.window.durations;
      const last = el('td', 'num', fmtAgo(time(p.lastRunTime), now));
      if (p.lastRunTime) last.title = p.lastRunTime;
      return row([name, num(p.runs.total), num(p.runs.succeeded),
        num(p.runs.failed, p.runs.failed ? 'fail-text' : ''),
        num(fmtPct(p.errorRatio), p.errorRatio ? 'fail-text' : ''),
        num(fmtDuration(d.p50)), num(fmtDuration(d.p95)), num(fmtDuration(d.p99)), last],
      p.runs.failed ? 'has-failures' : '');
    }));
  }

  function renderRecent(doc) {
    const tbody = $('recent').tBodies[0];
    const onlyFailed = $('only-failed').checked;
    const runs = (doc.recent || []).filter((r) => !onlyFailed || !r.ok).slice(0, RECENT_ROWS);
    if (!runs.length) {
      return emptyRow(tbody, 4, onlyFailed ? 'No failed runs held.' : 'No runs yet.');
    }
    tbody.replaceChildren(...runs.map((r) => {
      const when = el('td', 'num');
      const t = el('time', null, fmtClock(time(r.time), true));
      t.dateTime = r.time;
      when.append(t);
      return row([when, el('td', 'name', r.pipeline), num(fmtDuration(r.durationSeconds)),
        el('td', 'result', r.ok ? 'ok' : 'failed')], r.ok ? 'ok' : 'fail');
    }));
  }

  function renderSinks(doc, now) {
    const tbody = $('sinks').tBodies[0];
    if (!doc.sinks.length) return emptyRow(tbody, 7, 'No sinks.');
    const rows = [];
    for (const s of doc.sinks) {
      const name = el('th', 'name', s.name);
      name.scope = 'row';
      if (s.plugin !== s.name) name.append(el('span', 'plugin', s.plugin));
      const state = s.up ? (s.busy ? 'busy' : 'up') : 'down';
      const badge = el('td');
      badge.append(el('span', 'state state-' + state, state));
      rows.push(row([name, badge, num(s.writes), num(s.errors, s.errors ? 'fail-text' : ''),
        num(s.retries), num(s.skipped), num(fmtAgo(time(s.lastSuccessTime), now))],
      state === 'up' ? '' : 'unhealthy'));
      if (s.lastError) {
        const td = el('td', 'sink-error', s.lastError);
        td.colSpan = 7;
        rows.push(row([td], 'error-line'));
      }
    }
    tbody.replaceChildren(...rows);
  }

  /* ---- the whole page -------------------------------------------------- */

  function renderHeader(doc) {
    document.title = `tacho \u00b7 ${doc.worker}`;
    setText('worker', doc.worker);
    setText('uptime', doc.uptime);
    const started = $('started');
    started.dateTime = doc.startTime;
    setText('started', new Date(time(doc.startTime)).toLocaleString(undefined, { hour12: false }));
    const span = fmtSpan(doc.windowSeconds);
    for (const e of document.querySelectorAll('.window-len')) e.textContent = span;
  }

  function renderCards(doc, perMin) {
    setText('runs-total', fmtInt(doc.runs.total));
    setText('runs-ok', fmtInt(doc.runs.succeeded));
    setText('runs-failed', fmtInt(doc.runs.failed));
    setText('ratio', fmtPct(doc.successRatio));
    setText('ratio-window', fmtPct(doc.window.successRatio));
    /* Until two documents give a delta, the window's average stands in. */
    const rate = perMin != null ? perMin : doc.window.runsPerHour / 60;
    setText('rate', fmtRate(rate));
    setText('runs-window', fmtInt(doc.window.runs.total));
    const d = doc.window.durations;
    setText('p95', fmtDuration(d.p95));
    setText('p50', fmtDuration(d.p50));
    setText('p99', fmtDuration(d.p99));
    const up = doc.sinks.filter((s) => s.up).length;
    setText('sinks-up', `${up} / ${doc.sinks.length} up`);
    const errors = doc.sinks.reduce((n, s) => n + s.errors, 0);
    setText('sinks-sub', `${fmtInt(errors)} write error${errors === 1 ? '' : 's'}`);
    $('sinks-up').classList.toggle('fail-text', up < doc.sinks.length);
  }

  function render(doc) {
    const now = time(doc.timestamp);
    renderHeader(doc);
    renderCards(doc, history[history.length - 1].perMin);
    drawCharts();
    renderPipelines(doc, now);
    renderRecent(doc);
    renderSinks(doc, now);
  }

  function setStatus(state, text) {
    const s = $('status');
    s.className = 'status status-' + state;
    setText('status-text', text);
  }

  /* ---- polling --------------------------------------------------------- */

  /* The next poll is planned when this one ends, so a slow worker never
   * gets requests piling up. */
  async function poll() {
    const abort = new AbortController();
    /* A worker answers in milliseconds; five seconds means it is stuck. */
    const timer = setTimeout(() => abort.abort(), Math.max(refreshMs, 5000));
    try {
      const r = await fetch('metrics.json', { cache: 'no-store', signal: abort.signal,
        headers: { Accept: 'application/json' } });
      if (!r.ok) throw new Error(`metrics.json answered HTTP ${r.status}`);
      const doc = await r.json();
      if (doc.schemaVersion !== 1) throw new Error(`unknown schemaVersion ${doc.schemaVersion}`);
      sample(doc);
      lastDoc = doc;
      lastOk = Date.now();
      render(doc);
      setStatus('live', `Live \u00b7 ${fmtClock(time(doc.timestamp))}`);
    } catch (e) {
      const why = e.name === 'AbortError' ? 'no answer from metrics.json' : e.message;
      const age = lastOk ? `; data from ${fmtAgo(lastOk, Date.now())}` : '';
      setStatus('down', `Offline: ${why}${age}`);
    } finally {
      clearTimeout(timer);
      setTimeout(poll, refreshMs);
    }
  }

  function start() {
    setText('refresh', `${refreshMs / 1000} s`);
    $('only-failed').addEventListener('change', () => lastDoc && renderRecent(lastDoc));
    let pending = 0;
    window.addEventListener('resize', () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => lastDoc && drawCharts());
    });
    poll();
  }

  start();
})();
