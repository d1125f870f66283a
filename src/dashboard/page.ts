// SPDX-License-Identifier: MIT
// The dashboard's page and its script, served by server.ts. The page draws the Vega specs the
// server compiles (from the same chart specs as the run's PNGs) with vega's browser build, served
// from node_modules: no CDN, no other asset. It redraws on every server-sent "update" event and,
// should the event stream drop, every 5 s.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lcss dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fafafa; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  #status { color: #555; margin-bottom: 8px; }
  #runs label { margin-right: 16px; white-space: nowrap; }
  .grid { display: flex; flex-wrap: wrap; gap: 12px; }
  .card { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 8px; }
  #samples figure { margin: 0; }
  #samples img { display: block; }
  figcaption { color: #555; font-size: 12px; }
  pre { font-size: 12px; max-height: 320px; overflow: auto; margin: 4px 0; }
  .error { color: #b00; }
</style>
</head>
<body>
<h1>lcss dashboard</h1>
<div id="status">loading...</div>
<div id="runs"></div>
<h2>Training</h2>
<div class="grid">
  <div class="card" id="loss" data-points="0"></div>
  <div class="card" id="lr" data-points="0"></div>
  <div class="card" id="gradNorm" data-points="0"></div>
</div>
<h2>Evaluation</h2>
<div class="grid"><div class="card" id="eval" data-points="0"></div></div>
<h2>Latest samples</h2>
<div class="grid" id="samples"></div>
<h2>Config</h2>
<div id="config"></div>
<script src="/vendor/vega.min.js"></script>
<script src="/app.js"></script>
</body>
</html>
`;

export const APP_JS = `'use strict';
(() => {
  const CHARTS = ['loss', 'lr', 'gradNorm', 'eval'];
  const state = { runs: [], selected: null, views: {}, busy: false, again: false };
  const $ = (id) => document.getElementById(id);

  async function getJson(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
    return r.json();
  }

  function runList() {
    const box = $('runs');
    box.textContent = '';
    for (const r of state.runs) {
      const label = document.createElement('label');
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.checked = state.selected.has(r.name);
      cb.addEventListener('change', () => {
        if (cb.checked) state.selected.add(r.name); else state.selected.delete(r.name);
        refresh();
      });
      label.append(cb, ' ' + r.name);
      box.append(label);
    }
  }

  async function draw(key, spec, points) {
    const el = $(key);
    if (state.views[key]) state.views[key].finalize();
    el.textContent = '';
    const view = new vega.View(vega.parse(spec), { renderer: 'svg', container: el, hover: true });
    await view.runAsync();
    state.views[key] = view;
    el.dataset.points = String(points);
  }

  function samples(runs) {
    const box = $('samples');
    box.textContent = '';
    for (const r of runs) {
      if (!r.sample) continue;
      const fig = document.createElement('figure');
      fig.className = 'card';
      const img = document.createElement('img');
      img.alt = 'latest samples of ' + r.name;
      img.src = '/api/runs/' + encodeURIComponent(r.name) + '/sample?v=' + encodeURIComponent(r.sample);
      const cap = document.createElement('figcaption');
      cap.textContent = r.name + ': ' + r.sample;
      fig.append(img, cap);
      box.append(fig);
    }
    if (!box.children.length) box.textContent = 'no samples yet (written at each evaluation)';
  }

  async function configs(runs) {
    const box = $('config');
    const open = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.run));
    box.textContent = '';
    for (const r of runs) {
      const d = document.createElement('details');
      d.dataset.run = r.name;
      if (open.has(r.name) || runs.length === 1) d.open = true;
      const s = document.createElement('summary');
      s.textContent = r.name + ' (' + r.dir + ')';
      const pre = document.createElement('pre');
      try { pre.textContent = JSON.stringify(await getJson('/api/runs/' + encodeURIComponent(r.name) + '/config'), null, 2); }
      catch { pre.textContent = 'config.json not written yet'; }
      d.append(s, pre);
      box.append(d);
    }
  }

  async function refresh() {
    // one refresh at a time; an update during one schedules exactly one more
    if (state.busy) { state.again = true; return; }
    state.busy = true;
    try {
      const names = [...state.selected];
      const c = await getJson('/api/charts?runs=' + encodeURIComponent(names.join(',')));
      $('status').textContent = c.runs.map((r) => r.name + ': step ' + r.step + (r.steps ? '/' + r.steps : '') + (r.finished ? ' (finished)' : '')).join(' | ') || 'no run selected';
      for (const k of CHARTS) await draw(k, c.specs[k], c.points[k]);
      samples(c.runs);
      await configs(c.runs);
    } catch (e) {
      $('status').innerHTML = '';
      const span = document.createElement('span');
      span.className = 'error';
      span.textContent = String(e && e.message || e);
      $('status').append(span);
    } finally {
      state.busy = false;
      if (state.again) { state.again = false; refresh(); }
    }
  }

  async function start() {
    state.runs = await getJson('/api/runs');
    state.selected = new Set(state.runs.map((r) => r.name));
    runList();
    await refresh();
    const es = new EventSource('/api/events');
    es.addEventListener('update', () => refresh());
    setInterval(() => { if (es.readyState !== 1) refresh(); }, 5000);
  }
  start();
})();
`;
