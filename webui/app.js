// The Archer web UI: one page over the documented REST API (docs/rest.md).
// Every string that comes from an experiment (names, ids, choices, logs,
// metric values) reaches the page through textContent, never innerHTML.
'use strict';

const API = 'api/v1/nni/';
const TERMINAL = ['SUCCEEDED', 'FAILED', 'USER_CANCELED', 'SYS_CANCELED', 'EARLY_STOPPED'];
const STATUSES = ['WAITING', 'RUNNING'].concat(TERMINAL);

const state = {
  tab: 'overview',
  overview: null,
  revision: null,
  sort: 'sequence',
  order: 'asc',
  offset: 0,
  limit: 50,
  statuses: new Set(),
  search: '',
  expanded: new Set(),
  routedTrial: null,  // the trial #/trials/<id> names
  appliedRoute: null,
  selected: new Set(),
  timer: null,
  trialsTicket: 0,
};

// ---- helpers -------------------------------------------------------------

function $(id) { return document.getElementById(id); }

// Builds an element; children are nodes or strings (as text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(path, options) {
  const res = await fetch(API + path, options);
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
  if (!res.ok) {
    const msg = body && body.error ? body.error : `${res.status} ${res.statusText}`;
    throw new Error(msg);
  }
  return body;
}

function showError(err) {
  const box = $('error');
  if (!err) { box.hidden = true; return; }
  box.textContent = String(err.message || err);
  box.hidden = false;
}

function fmtNumber(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return h ? `${h}h ${m}m ${s}s` : m ? `${m}m ${s}s` : `${s}s`;
}

function fmtTime(ms) { return ms ? new Date(ms).toLocaleString() : '–'; }

// One decision's text: a classic-NAS choice's _value (a list as JSON), one of
// NNI's HPO values as it is, a nested {_name, ...} choice as JSON; null when
// absent.
function decisionText(d) {
  if (d === undefined || d === null) return null;
  if (typeof d !== 'object') return d;
  if (d._value === undefined) return JSON.stringify(d);
  return Array.isArray(d._value) ? JSON.stringify(d._value) : d._value;
}

// "key=choice; ..." for an architecture ({key: {_value, _idx}}) or NNI's
// HPO parameters.
function archText(params) {
  if (!params || typeof params !== 'object') return '';
  return Object.keys(params).map(k => `${k}=${decisionText(params[k])}`).join('; ');
}

// A metric record's value: `data` is NNI's JSON text of the metric JSON text.
function metricValue(record) {
  let v = record.data;
  try { v = JSON.parse(v); } catch (e) { return null; }
  if (typeof v === 'string') { try { v = JSON.parse(v); } catch (e) { return null; } }
  if (v && typeof v === 'object' && typeof v.default === 'number') return v.default;
  return typeof v === 'number' ? v : null;
}

// The costs (archer/nn/costs.h) a final metric carries, as short text:
// "444.4k params · 2.82M MACs · 0.28 ms"; '' when it has none.
function costsText(finalMetric) {
  let m = null;
  try { m = finalMetric ? JSON.parse(finalMetric) : null; } catch (e) { return ''; }
  if (!m || typeof m !== 'object') return '';
  const short = v => (v >= 1e9 ? (v / 1e9).toFixed(2) + 'G' : v >= 1e6 ? (v / 1e6).toFixed(2) + 'M'
    : v >= 1e3 ? (v / 1e3).toFixed(1) + 'k' : String(v));
  const parts = [];
  if (typeof m.params === 'number') parts.push(short(m.params) + ' params');
  if (typeof m.macs === 'number') parts.push(short(m.macs) + ' MACs');
  if (typeof m.latency_ms === 'number') parts.push(m.latency_ms.toPrecision(3) + ' ms');
  return parts.join(' · ');
}

function download(name, type, text) {
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---- overview ------------------------------------------------------------

function renderHeader(ov) {
  $('exp-name').textContent = ov.name || '(unnamed experiment)';
  $('exp-id').textContent = ov.id || '';
  const st = $('exp-status');
  st.textContent = ov.status || '';
  st.className = 'badge ' + (ov.status || '');
  $('read-only').hidden = ov.writable;
  document.title = `Archer · ${ov.name || ov.id}`;
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

function kvRows(table, rows) {
  table.textContent = '';
  for (const [k, v] of rows) table.append(el('tr', {}, el('td', { text: k }), el('td', { text: v })));
}

function renderOverview(ov) {
  $('ov-status').textContent = ov.status || '–';
  $('ov-message').textContent = ov.platform ? `${ov.tuner} on ${ov.platform}` : '';
  // Why it ended or stopped proposing ("search space exhausted: ...").
  $('ov-reason').textContent = ov.message || '';
  $('ov-reason').hidden = !ov.message;
  const done = TERMINAL.reduce((n, s) => n + (ov.counts[s] || 0), 0);
  $('ov-trials').textContent = `${done} / ${ov.maxTrialNumber || '∞'} done`;
  const counts = $('ov-counts');
  counts.textContent = '';
  for (const s of STATUSES) {
    if (!ov.counts[s]) continue;
    counts.append(el('span', { id: 'count-' + s, class: 'status ' + s }, `${s} ${ov.counts[s]}`));
  }
  const elapsed = ov.execDuration || 0;
  $('ov-elapsed').textContent = fmtDuration(elapsed * 1000);
  $('ov-remaining').textContent = ov.maxExperimentDuration
    ? `of ${fmtDuration(ov.maxExperimentDuration * 1000)} (${fmtDuration(Math.max(0, ov.maxExperimentDuration - elapsed) * 1000)} left)`
    : 'no duration limit';
  if (ov.best) {
    $('best-value').textContent = fmtNumber(ov.best.value);
    $('best-trial').textContent = `trial ${ov.best.trialJobId} (#${ov.best.sequenceId}), ${ov.optimizeMode}`;
    kvRows($('best-arch'), Object.entries(ov.best.parameters || {}).map(([k, v]) =>
      [k, String(decisionText(v))]));
  } else {
    $('best-value').textContent = '–';
    $('best-trial').textContent = 'no final result yet';
    $('best-arch').textContent = '';
  }
  kvRows($('ov-facts'), [
    ['id', ov.id], ['name', ov.name || ''], ['tuner', ov.tuner || ''], ['platform', ov.platform || ''],
    ['started', fmtTime(ov.startTime)], ['ended', fmtTime(ov.endTime)],
    ['trial concurrency', fmtNumber(ov.trialConcurrency)],
    ['max trials', ov.maxTrialNumber ? String(ov.maxTrialNumber) : 'unlimited'],
    ['max duration', ov.maxExperimentDuration ? fmtDuration(ov.maxExperimentDuration * 1000) : 'unlimited'],
    ['optimize', ov.optimizeMode]].concat(hardwareFacts(ov)));
  $('pareto-tab').hidden = !(ov.config && Array.isArray(ov.config.objectives));
  $('ov-config').textContent = JSON.stringify(ov.config, null, 2);
  $('ov-space').textContent = JSON.stringify(ov.searchSpace, null, 2);
  const live = ov.writable;
  $('actions').hidden = !live;
  // The current values, except in a field the user is editing (focused, or
  // changed and not yet sent).
  const show = (id, v) => {
    const input = $(id);
    if (document.activeElement !== input && !input.dataset.edited) input.value = v;
  };
  if (live) {
    show('set-concurrency', ov.trialConcurrency || '');
    show('set-trialnum', ov.maxTrialNumber || '');
    show('set-duration', ov.maxExperimentDuration ? ov.maxExperimentDuration + 's' : '');
  }
}

// The overview's lines for hardware-aware search (constraints, objectives).
function hardwareFacts(ov) {
  const c = ov.config || {};
  const rows = [];
  if (Array.isArray(c.constraints)) {
    rows.push(['constraints', c.constraints.map(k =>
      [k.metric, k.min !== null && k.min !== undefined ? '>= ' + k.min : '',
       k.max !== null && k.max !== undefined ? '<= ' + k.max : ''].filter(Boolean).join(' ')).join(', ')]);
    if (ov.costProbes) {
      const p = ov.costProbes;
      rows.push(['cost probe', `${p.probed} probed (${p.probed ? (p.seconds / p.probed).toFixed(2) : 0} s each), ` +
                 `${p.rejected} proposals rejected before training`]);
    }
  }
  if (Array.isArray(c.objectives))
    rows.push(['objectives', c.objectives.map(o => `${o.metric} (${o.mode})`).join(', ')]);
  return rows;
}

async function loadPareto() {
  const r = await api('pareto-front');
  const names = (r.objectives || []).map(o => `${o.metric} (${o.mode})`);
  for (const [id, initial] of [['pareto-x', 1], ['pareto-y', 0]]) {
    const sel = $(id);
    if (sel.options.length !== names.length) {
      sel.textContent = '';
      names.forEach((n, i) => sel.append(el('option', { value: i, text: n })));
      sel.value = String(Math.min(initial, names.length - 1));
      sel.onchange = () => loadPareto().catch(showError);
    }
  }
  const xi = Number($('pareto-x').value), yi = Number($('pareto-y').value);
  const points = r.points || [];
  const front = points.filter(p => p.front);
  $('pareto-note').textContent = names.length
    ? `${front.length} of ${points.length} trials on the front; hypervolume ${fmtNumber(r.hypervolume)}`
    : 'this experiment has no objectives';
  Charts.pareto($('pareto-chart'), points, xi, yi, names);
  Charts.hypervolume($('hv-chart'), r.history || []);
  const table = $('pareto-table');
  table.textContent = '';
  table.append(el('thead', {}, el('tr', {}, el('th', { text: 'Trial No.' }), el('th', { text: 'ID' }),
    ...names.map(n => el('th', { text: n })))));
  const body = el('tbody');
  const byId = new Map(points.map(p => [p.trialJobId, p]));
  for (const id of r.front || []) {
    const p = byId.get(id);
    if (!p) continue;
    body.append(el('tr', { class: 'front-row' }, el('td', { text: p.sequenceId }),
      el('td', { class: 'mono', text: p.trialJobId }),
      ...p.values.map(v => el('td', { text: fmtNumber(v) }))));
  }
  table.append(body);
}

async function loadFinalChart() {
  const series = await api('final-series');
  Charts.finalResults($('final-chart'), series);
}

async function update(type, value) {
  const out = $('action-result');
  try {
    await api('experiment?update_type=' + type, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ value }) });
    out.textContent = `${type}: updated`;
    await refresh(true);
  } catch (e) {
    out.textContent = `${type}: ${e.message}`;
  }
}

// ---- trials --------------------------------------------------------------

function pageQuery(all) {
  const p = new URLSearchParams({ sort: state.sort, order: state.order });
  if (all) p.set('limit', 'all');
  else { p.set('offset', state.offset); p.set('limit', state.limit); }
  if (state.statuses.size) p.set('status', [...state.statuses].join(','));
  if (state.search) p.set('q', state.search);
  return p.toString();
}

async function loadTrials() {
  // Answers can come back out of order (a search typed while a sort loads):
  // only the newest request's answer is shown.
  const ticket = ++state.trialsTicket;
  const page = await api('trials-page?' + pageQuery(false));
  if (ticket !== state.trialsTicket) return;
  const body = $('trials').tBodies[0];
  body.textContent = '';
  for (const t of page.trials) {
    const hybrid = state.overview && String(state.overview.platform || '').startsWith('hybrid');
    const canKill = state.overview && state.overview.writable &&
                    (t.status === 'RUNNING' || t.status === 'WAITING');
    const box = el('input', { type: 'checkbox', class: 'select', checked: state.selected.has(t.trialJobId),
                              onclick: ev => { ev.stopPropagation(); toggleSelected(t.trialJobId, ev.target.checked); } });
    const row = el('tr', { class: 'trial', dataset: { id: t.trialJobId } },
      el('td', {}, box),
      el('td', { text: t.sequenceId }),
      el('td', { class: 'mono' }, t.trialJobId,
        hybrid && t.platform ? el('div', { class: 'muted platform', text: t.platform }) : null),
      el('td', {}, el('span', { class: 'status ' + t.status, text: t.status, title: t.message || '' })),
      el('td', { text: fmtDuration(t.duration) }),
      el('td', { class: 'value' }, fmtNumber(t.value),
        costsText(t.finalMetric) ? el('div', { class: 'muted costs', text: costsText(t.finalMetric) }) : null),
      el('td', { text: t.intermediateCount }),
      el('td', { class: 'arch', title: archText(t.parameters), text: archText(t.parameters) }),
      el('td', {}, canKill ? el('button', { class: 'kill danger', text: 'Kill',
        onclick: ev => { ev.stopPropagation(); killTrial(t.trialJobId); } }) : null));
    row.addEventListener('click', () => toggleExpanded(t.trialJobId));
    body.append(row);
    if (state.expanded.has(t.trialJobId)) body.append(detailRow(t));
  }
  const last = Math.min(page.total, state.offset + page.trials.length);
  $('page-info').textContent = page.total
    ? `${state.offset + 1}–${last} of ${page.total}` : 'no trials';
  $('prev-page').disabled = state.offset === 0;
  $('next-page').disabled = last >= page.total;
  for (const th of $('trials').tHead.rows[0].cells) {
    th.classList.remove('sorted-asc', 'sorted-desc');
    if (th.dataset.sort === state.sort) th.classList.add('sorted-' + state.order);
  }
}

function detailRow(t) {
  const chart = el('div', { class: 'chart', id: 'detail-chart-' + t.trialJobId });
  const log = el('pre', { class: 'log', id: 'detail-log-' + t.trialJobId });
  const files = el('div', { class: 'files' });
  for (const name of ['stdout', 'stderr', 'trial.log']) {
    files.append(el('button', { text: name, onclick: async ev => {
      ev.stopPropagation();
      try {
        const res = await fetch(`${API}trial-file/${encodeURIComponent(t.trialJobId)}/${name}`);
        log.textContent = res.ok ? await res.text() : `${name}: ${(await res.json()).error}`;
      } catch (e) { log.textContent = String(e); }
    } }));
  }
  const cell = el('td', { colspan: 9 },
    el('div', { class: 'detail-grid' },
      el('div', {}, el('h4', { text: 'Intermediate results' }), chart),
      el('div', {},
        el('h4', { text: 'Parameters' }), el('pre', { class: 'params', text: JSON.stringify(t.parameters, null, 2) }),
        el('h4', { text: 'Final metric' }), el('pre', { text: t.finalMetric || '–' }),
        t.message ? el('h4', { text: 'Message' }) : null, t.message ? el('pre', { text: t.message }) : null,
        el('h4', { text: 'Directory' }), el('pre', { text: t.trialDir }),
        t.where ? el('h4', { text: 'Ran on' }) : null, t.where ? el('pre', { class: 'where', text: t.where }) : null,
        el('h4', { text: 'Output' }), files, log)));
  const row = el('tr', { class: 'detail', id: 'detail-' + t.trialJobId }, cell);
  loadIntermediate(t.trialJobId, chart, t.status === 'EARLY_STOPPED' ? 'stopped early' : null);
  return row;
}

async function intermediatePoints(id) {
  const records = await api('metric-data/' + encodeURIComponent(id) + '?type=PERIODICAL');
  return records.map(r => [r.sequence, metricValue(r)]).filter(p => p[1] !== null);
}

async function loadIntermediate(id, target, stopped) {
  try {
    const points = await intermediatePoints(id);
    requestAnimationFrame(() => Charts.intermediate(target, [{ label: id, points, stopped }]));
  } catch (e) { target.textContent = String(e.message || e); }
}

function toggleExpanded(id) {
  if (state.expanded.has(id)) {
    state.expanded.delete(id);
    if (state.routedTrial === id) { state.routedTrial = null; setRoute('#/trials'); }
  } else {
    state.expanded.add(id);
    state.routedTrial = id;
    setRoute('#/trials/' + encodeURIComponent(id));
  }
  loadTrials().catch(showError);
}

function toggleSelected(id, on) {
  if (on) state.selected.add(id); else state.selected.delete(id);
  $('compare-count').textContent = state.selected.size ? `(${state.selected.size})` : '';
  if (state.tab === 'compare') setRoute(routeOf('compare'));
}

async function killTrial(id) {
  if (!confirm(`Kill trial ${id}?`)) return;
  try {
    await api('trial-jobs/' + encodeURIComponent(id), { method: 'DELETE' });
    await refresh(true);
  } catch (e) { showError(e); }
}

async function exportTrials(kind) {
  const page = await api('trials-page?' + pageQuery(true));
  const keys = state.overview ? Object.keys(state.overview.searchSpace || {}) : [];
  if (kind === 'json') {
    download('trials.json', 'application/json', JSON.stringify(page.trials, null, 2));
    return;
  }
  const quote = v => {
    let s = v === null || v === undefined ? '' : String(v);
    // A spreadsheet runs cells starting with = + - @ as formulas: prefix '
    // (numbers such as -0.5 stay numbers).
    if (/^[=+\-@\t\r]/.test(s) && !(s.trim() !== '' && isFinite(Number(s)))) s = "'" + s;
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const head = ['trialJobId', 'sequenceId', 'status', 'startTime', 'endTime', 'durationSeconds', 'value'].concat(keys, ['message']);
  const lines = [head.join(',')];
  for (const t of page.trials) {
    const choice = k => {
      const d = decisionText(t.parameters && t.parameters[k]);
      return d === null ? '' : d;
    };
    lines.push([t.trialJobId, t.sequenceId, t.status, t.startTime, t.endTime,
                t.duration === null ? '' : t.duration / 1000, t.value].concat(keys.map(choice), [t.message || ''])
                .map(quote).join(','));
  }
  download('trials.csv', 'text/csv', lines.join('\n') + '\n');
}

// ---- architectures ---------------------------------------------------------

async function loadArchitectures() {
  const [stats, pc] = await Promise.all([api('choice-stats'), api('parallel-coordinates?limit=2000')]);
  const box = $('choice-stats');
  box.textContent = '';
  if (!stats.length) {
    box.append(el('div', { class: 'panel choice' }, el('p', {
      text: 'No classic-NAS choices in this search space: the values of NNI\'s HPO ' +
        'parameters are in the Trials tab (and its CSV export).' })));
  }
  for (const key of stats) {
    const means = key.candidates.map(c => c.mean).filter(v => v !== null);
    const lo = Math.min(...means), hi = Math.max(...means);
    const table = el('table', { class: 'grid', dataset: { key: key.key } },
      el('thead', {}, el('tr', {}, ...['choice', 'trials', 'finished', 'mean', 'best', ''].map(h => el('th', { text: h })))));
    const body = el('tbody');
    for (const c of key.candidates) {
      const frac = c.mean === null || !isFinite(lo) ? 0 : hi === lo ? 1 : 0.1 + 0.9 * (c.mean - lo) / (hi - lo);
      body.append(el('tr', { dataset: { choice: c.name } },
        el('td', { class: 'mono', text: c.name === '' ? `#${c.index}` : c.name }),
        el('td', { text: c.trials }), el('td', { text: c.finished }),
        el('td', { class: 'mean', text: fmtNumber(c.mean) }), el('td', { text: fmtNumber(c.best) }),
        el('td', { style: 'width:120px' }, el('div', { class: 'bar', style: `width:${Math.round(frac * 100)}%` }))));
    }
    table.append(body);
    box.append(el('div', { class: 'panel choice' },
      el('h2', { text: `${key.key} (${key.type})` }), table));
  }
  $('pc-note').textContent = pc.total ? `${pc.total} finished trials` : '';
  Charts.parallel($('parallel'), pc, state.overview && state.overview.optimizeMode === 'minimize');
  $('pc-legend').textContent = 'Each line is a trial; darker and more saturated lines reached better results.';
}

// ---- compare ---------------------------------------------------------------

async function loadCompare() {
  const ids = [...state.selected];
  $('compare-empty').hidden = ids.length > 0;
  const table = $('compare-table');
  table.textContent = '';
  if (!ids.length) { Charts.intermediate($('compare-chart'), []); return; }
  const trials = await Promise.all(ids.map(id => api('trials-page?limit=1&q=' + encodeURIComponent(id))
    .then(p => p.trials.find(t => t.trialJobId === id))));
  const present = trials.filter(Boolean);
  const keys = [...new Set(present.flatMap(t => Object.keys(t.parameters || {})))];
  table.append(el('thead', {}, el('tr', {}, el('th', { text: '' }),
    ...present.map(t => el('th', { class: 'mono', text: `${t.trialJobId} (#${t.sequenceId})` })))));
  const body = el('tbody');
  const row = (label, values) => {
    const texts = values.map(v => (v === null || v === undefined ? '–' : String(v)));
    const differs = new Set(texts).size > 1;
    body.append(el('tr', { class: differs ? 'differs' : '' }, el('td', { text: label }),
      ...texts.map(t => el('td', { class: 'mono', text: t }))));
  };
  row('status', present.map(t => t.status));
  row('final result', present.map(t => fmtNumber(t.value)));
  row('duration', present.map(t => fmtDuration(t.duration)));
  for (const k of keys) {
    row(k, present.map(t => decisionText(t.parameters && t.parameters[k])));
  }
  table.append(body);
  const runs = await Promise.all(present.map(async t => ({ label: t.trialJobId, points: await intermediatePoints(t.trialJobId) })));
  Charts.intermediate($('compare-chart'), runs);
}

// ---- refresh loop ----------------------------------------------------------

async function refreshTab() {
  if (state.tab === 'overview') await loadFinalChart();
  else if (state.tab === 'trials') await loadTrials();
  else if (state.tab === 'architectures') await loadArchitectures();
  else if (state.tab === 'compare') await loadCompare();
  else if (state.tab === 'pareto') await loadPareto();
}

async function refresh(force) {
  try {
    const ov = await api('overview');
    const changed = force || state.revision !== ov.revision ||
                    !state.overview || state.overview.status !== ov.status;
    state.overview = ov;
    renderHeader(ov);
    renderOverview(ov);
    if (changed) {
      state.revision = ov.revision;
      await refreshTab();
    }
    showError(null);
  } catch (e) {
    showError(e);
  }
  document.body.dataset.loaded = 'true';
}

function schedule() {
  clearInterval(state.timer);
  const seconds = Number($('refresh').value);
  if (seconds > 0) state.timer = setInterval(() => refresh(false), seconds * 1000);
}

// ---- routes ----------------------------------------------------------------
// Every view has an address (docs/webui.md), so it can be bookmarked or pasted
// and the browser's back button works:
//   #/overview  #/trials  #/trials/<trial id>  #/architectures
//   #/compare/<id>,<id>,...  #/pareto
// A hash is the URL's, so anybody's: it is parsed, never evaluated, and its
// ids reach the page as text and the API encoded.
const TABS = ['overview', 'trials', 'architectures', 'compare', 'pareto'];

function routeOf(tab) {
  if (tab === 'compare' && state.selected.size)
    return '#/compare/' + [...state.selected].map(encodeURIComponent).join(',');
  if (tab === 'trials' && state.routedTrial)
    return '#/trials/' + encodeURIComponent(state.routedTrial);
  return '#/' + tab;
}

// Records `hash` as the current address (a new history entry) unless it is.
function setRoute(hash) {
  if (location.hash !== hash) history.pushState(null, '', hash);
  state.appliedRoute = hash;
}

function decodePart(text) {
  try { return decodeURIComponent(text); } catch (e) { return null; }
}

// The view `hash` names: {tab, trial, compare}; unknown ones are the overview.
function parseRoute(hash) {
  const parts = String(hash || '').replace(/^#\/?/, '').split('/');
  const tab = TABS.includes(parts[0]) ? parts[0] : 'overview';
  const rest = parts.slice(1).join('/');
  const route = { tab, trial: null, compare: [] };
  if (tab === 'trials' && rest) route.trial = decodePart(rest);
  if (tab === 'compare' && rest)
    route.compare = rest.split(',').map(decodePart).filter(id => id);
  return route;
}

function applyRoute(hash) {
  // popstate and hashchange both come for one change of address.
  if (state.appliedRoute === hash) return;
  state.appliedRoute = hash;
  const route = parseRoute(hash);
  if (route.trial) {
    // The trial's row on the first page: found by its id.
    state.routedTrial = route.trial;
    state.expanded.add(route.trial);
    state.search = route.trial;
    state.offset = 0;
    $('trial-search').value = route.trial;
  } else if (route.tab === 'trials') {
    state.routedTrial = null;
  }
  if (route.tab === 'compare' && route.compare.length) {
    state.selected = new Set(route.compare);
    $('compare-count').textContent = `(${state.selected.size})`;
  }
  showTab(route.tab);
}

function selectTab(tab) {
  if (tab === 'trials') state.routedTrial = null;
  setRoute(routeOf(tab));
  showTab(tab);
}

function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('#tabs button'))
    b.classList.toggle('active', b.dataset.tab === tab);
  for (const s of document.querySelectorAll('main > section'))
    s.hidden = s.id !== 'tab-' + tab;
  refreshTab().catch(showError);
}

function init() {
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => selectTab(b.dataset.tab));
  for (const th of $('trials').tHead.rows[0].cells) {
    if (!th.dataset.sort) continue;
    th.addEventListener('click', () => {
      if (state.sort === th.dataset.sort) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else { state.sort = th.dataset.sort; state.order = th.dataset.sort === 'value' ? 'desc' : 'asc'; }
      state.offset = 0;
      loadTrials().catch(showError);
    });
  }
  const filter = $('status-filter');
  for (const s of STATUSES) {
    const box = el('input', { type: 'checkbox', value: s, onchange: ev => {
      if (ev.target.checked) state.statuses.add(s); else state.statuses.delete(s);
      state.offset = 0;
      loadTrials().catch(showError);
    } });
    filter.append(el('label', {}, box, ' ' + s));
  }
  let typing = null;
  $('trial-search').addEventListener('input', ev => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.search = ev.target.value.trim(); state.offset = 0; loadTrials().catch(showError); }, 250);
  });
  $('page-size').addEventListener('change', ev => { state.limit = Number(ev.target.value); state.offset = 0; loadTrials().catch(showError); });
  $('prev-page').addEventListener('click', () => { state.offset = Math.max(0, state.offset - state.limit); loadTrials().catch(showError); });
  $('next-page').addEventListener('click', () => { state.offset += state.limit; loadTrials().catch(showError); });
  $('export-csv').addEventListener('click', () => exportTrials('csv').catch(showError));
  $('export-json').addEventListener('click', () => exportTrials('json').catch(showError));
  $('compare-selected').addEventListener('click', () => selectTab('compare'));
  for (const b of document.querySelectorAll('[data-update]')) {
    const input = $(b.dataset.input);
    input.addEventListener('input', () => { input.dataset.edited = '1'; });
    b.addEventListener('click', () => {
      const raw = input.value.trim();
      delete input.dataset.edited;
      update(b.dataset.update, b.dataset.update === 'MAX_EXEC_DURATION' ? raw : Number(raw));
    });
  }
  $('stop-experiment').addEventListener('click', async () => {
    if (!confirm('Stop the experiment? Running trials are cancelled.')) return;
    try {
      await api('experiment', { method: 'DELETE' });
      $('action-result').textContent = 'stopping';
    } catch (e) { $('action-result').textContent = e.message; }
  });
  $('refresh').addEventListener('change', schedule);
  window.addEventListener('popstate', () => applyRoute(location.hash));
  window.addEventListener('hashchange', () => applyRoute(location.hash));
  applyRoute(location.hash);
  refresh(true);
  schedule();
}

document.addEventListener('DOMContentLoaded', init);
