/**
 * `report.html`: one self-contained page (no external resource of any kind: inline CSS, inline SVG, inline
 * script) that a person opens from a CI artifact: the run header, the expectations (held/broken), one chart
 * per platform (a stacked bar per profile: installed / failed / pending / skipped), the failure breakdown by
 * code and by reason, connector load, and a searchable device × profile table.
 *
 * The table is rendered by a small vanilla script from a JSON blob embedded in a
 * `<script type="application/json">` element; the blob escapes `<`, `>`, `&`, U+2028 and U+2029, so no
 * string of the run (a device called `</script><script>…`) can end the element, and the script only ever
 * sets `textContent`, never HTML. Everything else on the page is HTML-escaped.
 */
import { ERROR_CODES } from '../../pki/errors.ts';
import type { RunResult } from '../run-model.ts';
import { buildReportJson, nativeText, type ReportJson } from './report-json.ts';
import { byCodeUnits, type OutcomeCounts } from './summary.ts';

/** Escapes text for HTML content and double- or single-quoted attributes. */
export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON for embedding inside a `<script>` element: `<`, `>` and `&` as `\u` escapes (so neither
 * `</script>` nor `<!--` can appear), and the two line separators JavaScript once rejected in strings.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /** Embed each device's events (its timeline shows on click) while there are at most this many. Default 50,000. */
  maxEmbeddedEvents?: number;
}

const COLORS = { installed: '#2e7d32', failed: '#c62828', pending: '#f9a825', skipped: '#9e9e9e' } as const;
const STATUSES = ['installed', 'failed', 'pending', 'skipped'] as const;

function chart(platform: string, rows: { profile: string; c: OutcomeCounts }[]): string {
  const labelW = 220;
  const barW = 520;
  const rowH = 26;
  const width = labelW + barW + 80;
  const height = rows.length * rowH + 8;
  const parts: string[] = [];
  rows.forEach(({ profile, c }, i) => {
    const y = 4 + i * rowH;
    parts.push(
      `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${htmlEscape(profile.length > 32 ? `${profile.slice(0, 31)}…` : profile)}</text>`,
    );
    let x = labelW;
    for (const s of STATUSES) {
      const v = c[s];
      if (v === 0 || c.total === 0) continue;
      const w = (v / c.total) * barW;
      parts.push(
        `<rect x="${x.toFixed(2)}" y="${y + 2}" width="${w.toFixed(2)}" height="${rowH - 6}" fill="${COLORS[s]}"><title>${htmlEscape(`${profile}: ${v} ${s}`)}</title></rect>`,
      );
      x += w;
    }
    parts.push(`<text x="${labelW + barW + 8}" y="${y + 16}">${c.installed}/${c.total}</text>`);
  });
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="${htmlEscape(`${platform}: outcomes per profile`)}">${parts.join('')}</svg>`
  );
}

function countsLine(c: OutcomeCounts): string {
  return (
    STATUSES.map((s) => `<span class="st ${s}">${c[s]} ${s}</span>`).join(' ') +
    ` <span class="st renewed">${c.renewed} renewed</span>`
  );
}

/** The compact data the device table script reads. */
interface TableData {
  /** [device, platform, kind, profile, status, code, message, renewals, native, at] */
  rows: [string, string, string, string, string, string, string, number, string, string][];
  /** device id → [os version, model, enrolled] */
  devices: Record<string, [string, string, boolean]>;
  /** device id → [at, profile, type, detail][] (absent when the run had too many events to embed) */
  events: Record<string, [string, string, string, string][]> | null;
}

function tableData(r: ReportJson, maxEvents: number): TableData {
  const devices: TableData['devices'] = {};
  for (const d of r.devicesList) devices[d.id] = [d.osVersion, d.model, d.enrolled];
  let events: TableData['events'] = null;
  if (r.events.length <= maxEvents) {
    events = {};
    for (const e of r.events) {
      if (e.device === undefined) continue;
      (events[e.device] ??= []).push([e.at, e.profile ?? '', e.type, e.detail]);
    }
  }
  return {
    rows: r.outcomes.map((o) => [
      o.device,
      o.platform,
      o.kind,
      o.profile,
      o.status,
      o.code,
      o.message,
      o.renewals,
      nativeText(o.native),
      o.at,
    ]),
    devices,
    events,
  };
}

const CSS = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fafafa}
body{margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#555}.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.pass{background:#2e7d32}.fail{background:#c62828}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0}td.n,th.n{text-align:right}
.st{display:inline-block;padding:0 6px;border-radius:4px;margin-right:4px;color:#fff;font-size:.85em}
.installed{background:#2e7d32}.failed{background:#c62828}.pending{background:#f9a825;color:#000}.skipped{background:#9e9e9e}.renewed{background:#00838f}
.held{color:#2e7d32;font-weight:600}.broken{color:#c62828;font-weight:600}
.chart{max-width:100%;height:auto}.chart text{font-size:12px;fill:#333}.legend span{margin-right:12px}
.controls{display:flex;gap:8px;margin:8px 0}.controls input{flex:1;padding:6px}.controls select{padding:6px}
#rows tr{cursor:pointer}#rows tr:hover{background:#f3f7ff}#story{background:#fff;border:1px solid #ddd;padding:8px 12px;margin:8px 0;display:none}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}
`;

// The table script: filters the embedded rows, renders at most LIMIT of them with textContent only.
const SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById('certfleet-data').textContent);
  var LIMIT = 500;
  var q = document.getElementById('q'), st = document.getElementById('status'), pf = document.getElementById('platform');
  var body = document.getElementById('rows'), info = document.getElementById('count'), story = document.getElementById('story');
  var hay = data.rows.map(function(r){
    var d = data.devices[r[0]] || [];
    return (r.join(' ') + ' ' + d.join(' ')).toLowerCase();
  });
  function cell(tr, text, cls){ var td = document.createElement('td'); td.textContent = String(text); if (cls) td.className = cls; tr.appendChild(td); return td; }
  function show(device){
    story.textContent = '';
    var h = document.createElement('h3'); h.textContent = device; story.appendChild(h);
    var d = data.devices[device];
    if (d) { var p = document.createElement('p'); p.textContent = 'OS ' + d[0] + ' · ' + d[1] + ' · ' + (d[2] ? 'enrolled' : 'not enrolled'); story.appendChild(p); }
    var evs = data.events ? (data.events[device] || []) : null;
    var pre = document.createElement('pre');
    pre.textContent = evs === null
      ? 'This run had too many events to embed; run: certfleet show device ' + device + ' --run <run folder>'
      : (evs.length ? evs.map(function(e){ return e[0] + '  ' + e[2] + (e[1] ? ' [' + e[1] + ']' : '') + '  ' + e[3]; }).join('\\n') : 'no events recorded');
    story.appendChild(pre);
    story.style.display = 'block';
  }
  function render(){
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean), s = st.value, p = pf.value;
    var shown = 0, matched = 0;
    body.textContent = '';
    for (var i = 0; i < data.rows.length; i++) {
      var r = data.rows[i];
      if (s && r[4] !== s) continue;
      if (p && r[1] !== p) continue;
      var ok = true;
      for (var w = 0; w < words.length; w++) if (hay[i].indexOf(words[w]) < 0) { ok = false; break; }
      if (!ok) continue;
      matched++;
      if (shown >= LIMIT) continue;
      shown++;
      var tr = document.createElement('tr');
      cell(tr, r[0], 'mono'); cell(tr, r[1]); cell(tr, r[2]); cell(tr, r[3]);
      var sc = cell(tr, ''); var b = document.createElement('span'); b.className = 'st ' + r[4]; b.textContent = r[4]; sc.appendChild(b);
      cell(tr, r[5], 'mono'); cell(tr, r[7], 'n'); cell(tr, r[6] + (r[8] ? ' (' + r[8] + ')' : ''));
      tr.addEventListener('click', show.bind(null, r[0]));
      body.appendChild(tr);
    }
    info.textContent = matched + ' of ' + data.rows.length + ' device × profile outcomes match' + (matched > shown ? ' (first ' + shown + ' shown; refine the search)' : '');
  }
  q.addEventListener('input', render); st.addEventListener('change', render); pf.addEventListener('change', render);
  render();
})();
`;

/** Renders report.html for a run. */
export function renderHtml(result: RunResult, options: RenderHtmlOptions = {}): string {
  const r = buildReportJson(result);
  const s = r.summary;
  const e = htmlEscape;
  const out: string[] = [];
  const title = `certfleet · ${r.scenario} · seed ${r.seed}`;
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${e(title)} <span class="badge ${s.passed ? 'pass' : 'fail'}">${s.passed ? 'PASSED' : 'FAILED'}</span></h1>`,
    `<p class="meta">${r.devices} devices (${s.enrolled} enrolled) · ${s.totals.total} device × profile outcomes · ` +
      `started ${e(r.startedAt)} · virtual time ${e(r.metrics.virtualStart)} → ${e(r.metrics.virtualEnd)} · ` +
      `${r.metrics.wallSeconds.toFixed(1)} s wall · ${r.metrics.devicesPerSecond.toFixed(1)} devices/s · ` +
      `${r.metrics.certificatesIssued} certificates issued · ${r.metrics.messages} messages</p>`,
    `<p>${countsLine(s.totals)}</p>`,
  );

  out.push(`<h2>Expectations: ${s.expectations.held}/${s.expectations.total} held</h2>`);
  if (r.expectations.length === 0) out.push('<p class="meta">The scenario states no expectations.</p>');
  else {
    out.push('<table><thead><tr><th>Result</th><th>Expectation</th><th>Detail</th></tr></thead><tbody>');
    for (const x of r.expectations)
      out.push(
        `<tr><td class="${x.held ? 'held' : 'broken'}">${x.held ? '✔ held' : '✘ broken'}</td><td>${e(x.text)}</td><td>${e(x.detail)}</td></tr>`,
      );
    out.push('</tbody></table>');
  }

  out.push('<h2>Per platform</h2>');
  out.push(
    `<p class="legend">${STATUSES.map((st) => `<span><svg width="12" height="12"><rect width="12" height="12" fill="${COLORS[st]}"/></svg> ${st}</span>`).join('')}</p>`,
  );
  for (const p of s.byPlatform) {
    const rows = s.byPlatformProfile
      .filter((c) => c.platform === p.platform)
      .map((c) => ({ profile: c.profile, c }));
    out.push(`<h3>${e(p.platform)}</h3>`);
    out.push(`<p class="meta">${p.devices} devices, ${p.enrolled} enrolled · ${countsLine(p)}</p>`);
    if (rows.length > 0) out.push(chart(p.platform, rows));
  }

  out.push('<h2>Failures by code</h2>');
  const byCode = new Map<string, { count: number; where: Map<string, number> }>();
  for (const fr of s.failureReasons) {
    const c = byCode.get(fr.code) ?? { count: 0, where: new Map<string, number>() };
    c.count += fr.count;
    for (const [w, n] of Object.entries(fr.where)) c.where.set(w, (c.where.get(w) ?? 0) + n);
    byCode.set(fr.code, c);
  }
  if (byCode.size === 0) out.push('<p class="meta">No failures.</p>');
  else {
    out.push(
      '<table><thead><tr><th>Code</th><th class="n">Failed</th><th>Where (platform/kind)</th><th>Meaning</th></tr></thead><tbody>',
    );
    const codes = [...byCode.entries()].sort(([a, x], [b, y]) => y.count - x.count || byCodeUnits(a, b));
    for (const [code, c] of codes) {
      const meaning = (ERROR_CODES as Record<string, string>)[code] ?? '';
      const where = [...c.where.entries()]
        .sort(([a], [b]) => byCodeUnits(a, b))
        .map(([w, n]) => `${w} ${n}`)
        .join(', ');
      out.push(
        `<tr><td class="mono">${e(code)}</td><td class="n">${c.count}</td><td>${e(where)}</td><td>${e(meaning)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
    out.push('<h3>Failure reasons (code × profile), with an example</h3>');
    out.push(
      '<table><thead><tr><th>Code</th><th>Profile</th><th class="n">Failed</th><th>Example device</th><th>Message</th></tr></thead><tbody>',
    );
    for (const fr of s.failureReasons)
      out.push(
        `<tr><td class="mono">${e(fr.code)}</td><td>${e(fr.profile)}</td><td class="n">${fr.count}</td>` +
          `<td class="mono">${e(fr.example.device)}<br>${e(`${fr.example.platform}/${fr.example.kind}`)}</td><td>${e(fr.example.message)}</td></tr>`,
      );
    out.push('</tbody></table>');
  }

  const load = Object.entries(r.metrics.connectorLoad);
  if (load.length > 0) {
    out.push(
      '<h2>Connector load</h2><table><thead><tr><th>Connector</th><th class="n">Requests served</th></tr></thead><tbody>',
    );
    for (const [id, n] of load) out.push(`<tr><td class="mono">${e(id)}</td><td class="n">${n}</td></tr>`);
    out.push('</tbody></table>');
  }

  out.push('<h2>Devices</h2>');
  out.push(
    '<div class="controls"><input id="q" type="search" placeholder="Search device, profile, code, message, model, OS…" aria-label="Search">' +
      `<select id="platform" aria-label="Platform"><option value="">all platforms</option>${s.byPlatform.map((p) => `<option>${e(p.platform)}</option>`).join('')}</select>` +
      `<select id="status" aria-label="Status"><option value="">all statuses</option>${STATUSES.map((st) => `<option>${st}</option>`).join('')}</select></div>`,
    '<p id="count" class="meta"></p><div id="story"></div>',
    '<noscript><p>The device table needs JavaScript; report.json holds the same data.</p></noscript>',
    '<table><thead><tr><th>Device</th><th>Platform</th><th>Kind</th><th>Profile</th><th>Status</th><th>Code</th><th class="n">Renewals</th><th>Message</th></tr></thead><tbody id="rows"></tbody></table>',
    `<script type="application/json" id="certfleet-data">${scriptJson(tableData(r, options.maxEmbeddedEvents ?? 50_000))}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
  );
  return out.join('\n') + '\n';
}
