/**
 * `report.html`: one self-contained page (no external resource of any kind: inline CSS, inline SVG, inline
 * script) that a person opens from a CI artifact: the run header, the expectations (held/broken), one chart
 * per platform (a stacked bar per profile: installed / failed / pending / skipped), the failure breakdown by
 * code and by reason, connector load, and a searchable device × profile table.
 *
 * Issue 13 added: the run's metadata (certfleet version, command line, scenario name, description, file
 * and SHA-256, seed, wall-clock start, machine), a per-platform × enrollment-kind breakdown with
 * percentages, the chart over virtual time with deferrals, expiries and validity left (html-time.ts),
 * sortable columns (click a header; every table of class `sortable`, and the device table by its data),
 * a CSV download of the device table's matching rows (a `data:` URL; a Blob past a megabyte), a device's timeline opened in place
 * below its row, and a print layout (`@media print`).
 *
 * The table is rendered by a small vanilla script from a JSON blob embedded in a
 * `<script type="application/json">` element; the blob escapes `<`, `>`, `&`, U+2028 and U+2029, so no
 * string of the run (a device called `</script><script>…`) can end the element, and the script only ever
 * sets `textContent`, never HTML. Everything else on the page is HTML-escaped.
 */
import { ERROR_CODES } from '../../pki/errors.ts';
import type { RunResult } from '../run-model.ts';
import { htmlEscape, scriptJson } from './html-escape.ts';
import { timeSection } from './html-time.ts';
import { buildReportJson, nativeText, type ReportJson } from './report-json.ts';
import type { RunMeta } from './run-meta.ts';
import { byCodeUnits, enrolledText, type OutcomeCounts } from './summary.ts';

export { htmlEscape, scriptJson };

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /** Embed each device's events (its timeline shows on click) while there are at most this many. Default 50,000. */
  maxEmbeddedEvents?: number;
  /** The report.json content to render (with its metadata and run.db parts); default: built from `result`. */
  report?: ReportJson;
}

const COLORS = {
  installed: '#2e7d32',
  untrusted: '#8d6e00',
  failed: '#c62828',
  pending: '#f9a825',
  skipped: '#9e9e9e',
  'not-applicable': '#607d8b',
} as const;
const STATUSES = ['installed', 'failed', 'pending', 'skipped'] as const;
/** Shown after the statuses when a run has any (issue 12 point 4). */
const NOT_APPLICABLE = 'not-applicable';
/** The bar's segments: installed split into trusted and untrusted (issue 12 point 4). */
const SEGMENTS = ['installed', 'untrusted', 'failed', 'pending', 'skipped', 'not-applicable'] as const;
/** The device table's states: a row installed but not trusted shows as `untrusted`. */
const ROW_STATES = ['installed', 'untrusted', 'failed', 'pending', 'skipped', NOT_APPLICABLE] as const;

function segmentValue(c: OutcomeCounts, s: (typeof SEGMENTS)[number]): number {
  if (s === 'not-applicable') return c.notApplicable;
  return s === 'installed' ? c.installed - c.untrusted : c[s];
}

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
    for (const s of SEGMENTS) {
      const v = segmentValue(c, s);
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
    STATUSES.map(
      (s) =>
        `<span class="st ${s}">${c[s]} ${s}</span>` +
        (s === 'installed' ? ` <span class="st untrusted">${c.untrusted} of them untrusted</span>` : ''),
    ).join(' ') +
    (c.notApplicable > 0
      ? ` <span class="st ${NOT_APPLICABLE}">${c.notApplicable} not applicable</span>`
      : '') +
    // renewals, each once (the console's RENEWED, report.json's `renewals`), not the rows that renewed
    ` <span class="st renewed">${c.renewals} renewal${c.renewals === 1 ? '' : 's'}</span>`
  );
}

/** The compact data the device table script reads. */
interface TableData {
  /** A name for the CSV download: `certfleet-<scenario>-<seed>`. */
  name: string;
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
    name: `certfleet-${r.scenario}-${r.seed}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80),
    rows: r.outcomes.map((o) => [
      o.device,
      o.platform,
      o.kind,
      o.profile,
      o.trusted === false ? 'untrusted' : o.status,
      o.code,
      o.message,
      o.renewals,
      [
        nativeText(o.native),
        o.ca ? `CA ${o.ca.hresult} ${o.ca.symbolic}` : '',
        // the Windows native text already names its Intune code
        o.service && !nativeText(o.native).includes(o.service.hex)
          ? `Intune ${o.service.hex} "${o.service.text}" (${o.service.confidence})`
          : '',
      ]
        .filter((t) => t !== '')
        .join(' · '),
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
dl.run-meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0;font-size:.9em}
dl.run-meta dt{color:#555}dl.run-meta dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0}td.n,th.n{text-align:right}
table.sortable th,#devices th{cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" ▲";font-size:.75em}th[aria-sort=descending]::after{content:" ▼";font-size:.75em}
.pct{color:#555;font-size:.85em}
.st{display:inline-block;padding:0 6px;border-radius:4px;margin-right:4px;color:#fff;font-size:.85em}
.installed{background:#2e7d32}.untrusted{background:#8d6e00}.not-applicable{background:#607d8b}.failed{background:#c62828}.pending{background:#f9a825;color:#000}.skipped{background:#9e9e9e}.renewed{background:#00838f}
.held{color:#2e7d32;font-weight:600;white-space:nowrap}.broken{color:#c62828;font-weight:600;white-space:nowrap}.warn{color:#ef6c00;font-weight:600}
.chart{max-width:100%;height:auto}.chart text{font-size:12px;fill:#333}.legend span{margin-right:12px}
.time-chart .series{font-weight:600}.time-chart .total,.time-chart .max,.time-chart .axis{fill:#666;font-size:11px}
.controls{display:flex;gap:8px;margin:8px 0}.controls input{flex:1;padding:6px}.controls select,.controls button{padding:6px}
#rows tr{cursor:pointer}#rows tr:hover{background:#f3f7ff}
#rows tr.story-row{cursor:auto;background:#fff}#rows tr.story-row:hover{background:#fff}
#rows tr.open{background:#e8f0fe}
.story{border-left:3px solid #1a73e8;padding:4px 12px;margin:4px 0}.story h3{margin:.2em 0;font-size:1em}
.story pre{white-space:pre-wrap;margin:.4em 0;font-size:.85em}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}
@media print{
:root{background:#fff}body{max-width:none;padding:0;font-size:10pt}
.controls,button,.no-print,noscript{display:none!important}
th{position:static}tr,.chart,dl.run-meta{break-inside:avoid}h2,h3{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
#rows tr:hover{background:none}
}
`;

// The page script: the device table (filters, sorting, CSV, timeline in place) rendered from the embedded
// rows with textContent only, and click-to-sort on every static table of class "sortable".
const SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById('certfleet-data').textContent);
  var LIMIT = 500, COLUMNS = 8;
  var q = document.getElementById('q'), st = document.getElementById('status'), pf = document.getElementById('platform');
  var body = document.getElementById('rows'), info = document.getElementById('count');
  var order = data.rows.map(function(_, i){ return i; }), matches = [], openRow = null, sortCol = -1, sortDir = 1;
  var hay = data.rows.map(function(r){
    var d = data.devices[r[0]] || [];
    return (r.join(' ') + ' ' + d.join(' ')).toLowerCase();
  });
  function cell(tr, text, cls){ var td = document.createElement('td'); td.textContent = String(text); if (cls) td.className = cls; tr.appendChild(td); return td; }
  function story(device){
    var box = document.createElement('div'); box.className = 'story';
    var h = document.createElement('h3'); h.textContent = device; box.appendChild(h);
    var d = data.devices[device];
    if (d) { var p = document.createElement('p'); p.textContent = 'OS ' + d[0] + ' · ' + d[1] + ' · ' + (d[2] ? 'enrolled' : 'not enrolled'); box.appendChild(p); }
    var evs = data.events ? (data.events[device] || []) : null;
    var pre = document.createElement('pre');
    pre.textContent = evs === null
      ? 'This run had too many events to embed; run: certfleet show device ' + device + ' --run <run folder>'
      : (evs.length ? evs.map(function(e){ return e[0] + '  ' + e[2] + (e[1] ? ' [' + e[1] + ']' : '') + '  ' + e[3]; }).join('\\n') : 'no events recorded');
    box.appendChild(pre);
    return box;
  }
  function closeStory(){
    if (!openRow) return null;
    var was = openRow; openRow = null;
    if (was.previousRow) was.previousRow.className = '';
    if (was.parentNode) was.parentNode.removeChild(was);
    return was;
  }
  function toggle(tr, device){
    var was = closeStory();
    if (was && was.previousRow === tr) return;
    var row = document.createElement('tr'); row.className = 'story-row';
    var td = document.createElement('td'); td.colSpan = COLUMNS; td.appendChild(story(device)); row.appendChild(td);
    row.previousRow = tr; tr.className = 'open';
    body.insertBefore(row, tr.nextSibling);
    openRow = row;
  }
  function render(){
    var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean), s = st.value, p = pf.value;
    var shown = 0;
    matches = [];
    openRow = null;
    body.textContent = '';
    for (var k = 0; k < order.length; k++) {
      var i = order[k], r = data.rows[i];
      if (s && r[4] !== s) continue;
      if (p && r[1] !== p) continue;
      var ok = true;
      for (var w = 0; w < words.length; w++) if (hay[i].indexOf(words[w]) < 0) { ok = false; break; }
      if (!ok) continue;
      matches.push(i);
      if (shown >= LIMIT) continue;
      shown++;
      var tr = document.createElement('tr');
      cell(tr, r[0], 'mono'); cell(tr, r[1]); cell(tr, r[2]); cell(tr, r[3]);
      var sc = cell(tr, ''); var b = document.createElement('span'); b.className = 'st ' + r[4]; b.textContent = r[4]; sc.appendChild(b);
      cell(tr, r[5], 'mono'); cell(tr, r[7], 'n'); cell(tr, r[6] + (r[8] ? ' (' + r[8] + ')' : ''));
      tr.addEventListener('click', toggle.bind(null, tr, r[0]));
      body.appendChild(tr);
    }
    info.textContent = matches.length + ' of ' + data.rows.length + ' device × profile outcomes match' + (matches.length > shown ? ' (first ' + shown + ' shown; refine the search)' : '');
  }
  function compare(x, y){ return typeof x === 'number' && typeof y === 'number' ? x - y : (String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0); }
  function mark(heads, th, dir){
    for (var h = 0; h < heads.length; h++) heads[h].setAttribute('aria-sort', heads[h] === th ? (dir > 0 ? 'ascending' : 'descending') : 'none');
  }
  function clickable(th, fn){
    th.tabIndex = 0;
    th.addEventListener('click', fn);
    th.addEventListener('keydown', function(ev){ if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); fn(); } });
  }
  var heads = document.querySelectorAll('#devices th[data-col]');
  Array.prototype.forEach.call(heads, function(th){
    clickable(th, function(){
      var col = Number(th.getAttribute('data-col'));
      sortDir = sortCol === col ? -sortDir : 1; sortCol = col;
      order.sort(function(a, b){ return compare(data.rows[a][col], data.rows[b][col]) * sortDir || a - b; });
      mark(heads, th, sortDir);
      render();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function(table){
    var ths = table.querySelectorAll('thead th'), tbody = table.querySelector('tbody'), dir = 1, last = -1;
    Array.prototype.forEach.call(ths, function(th, col){
      clickable(th, function(){
        dir = last === col ? -dir : 1; last = col;
        var rows = Array.prototype.slice.call(tbody.rows), keys = rows.map(function(tr){
          var td = tr.cells[col]; return td ? (td.getAttribute('data-sort') || td.textContent.trim()) : '';
        });
        var numeric = keys.every(function(k){ return k === '' || isFinite(Number(k.replace(/ %$/, ''))); });
        var idx = rows.map(function(_, i){ return i; }).sort(function(a, b){
          var x = keys[a], y = keys[b];
          var c = numeric ? Number(x.replace(/ %$/, '') || 0) - Number(y.replace(/ %$/, '') || 0) : compare(x, y);
          return c * dir || a - b;
        });
        idx.forEach(function(i){ tbody.appendChild(rows[i]); });
        mark(ths, th, dir);
      });
    });
  });
  function csvCell(v){
    v = String(v);
    if (/^[=+\\-@\\t\\r]/.test(v)) v = "'" + v;
    return /[",\\r\\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  var csvButton = document.getElementById('csv'), csvLink = document.getElementById('csv-link');
  if (csvButton && csvLink) csvButton.addEventListener('click', function(){
    var lines = [['device', 'platform', 'kind', 'os_version', 'model', 'enrolled', 'profile', 'status', 'code', 'renewals', 'message', 'native', 'at'].join(',')];
    matches.forEach(function(i){
      var r = data.rows[i], d = data.devices[r[0]] || ['', '', false];
      lines.push([r[0], r[1], r[2], d[0], d[1], d[2] ? 'yes' : 'no', r[3], r[4], r[5], r[7], r[6], r[8], r[9]].map(csvCell).join(','));
    });
    csvLink.setAttribute('download', data.name + '.csv');
    var text = '\\ufeff' + lines.join('\\r\\n') + '\\r\\n';
    // a data: URL up to about a megabyte (browsers cap them); a Blob for larger tables
    if (text.length > 1000000 && typeof Blob === 'function' && typeof URL === 'function' && URL.createObjectURL) {
      if (csvLink.href.indexOf('blob:') === 0) URL.revokeObjectURL(csvLink.href);
      csvLink.href = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    } else csvLink.href = 'data:text/csv;charset=utf-8,' + encodeURIComponent(text);
    csvLink.textContent = lines.length - 1 + ' rows';
    csvLink.click();
  });
  q.addEventListener('input', render); st.addEventListener('change', render); pf.addEventListener('change', render);
  render();
})();
`;

/** How the metadata list names each broker of a one-process run. */
const BROKER_TEXT: Record<NonNullable<RunMeta['broker']>, string> = {
  embedded: 'embedded (aedes), in the run’s process',
  child: 'embedded (aedes), in a child process',
  mosquitto: 'Mosquitto, started by the run',
  external: 'external (--broker mqtt://host:port)',
};

/** The run's metadata as a definition list. */
function metaList(r: ReportJson): string {
  const e = htmlEscape;
  const m: RunMeta | undefined = r.run;
  const rows: [string, string][] = [];
  if (m) {
    rows.push(['certfleet', e(m.version)], ['Command', `<code>${e(m.command)}</code>`]);
  }
  rows.push([
    'Scenario',
    `${e(m?.scenario.name ?? r.scenario)}${m?.scenario.description ? ` — ${e(m.scenario.description)}` : ''}`,
  ]);
  if (m?.scenario.file || m?.scenario.sha256)
    rows.push([
      'Scenario file',
      `${m.scenario.file ? `<code>${e(m.scenario.file)}</code>` : ''}${m.scenario.sha256 ? ` · SHA-256 <code class="sha">${e(m.scenario.sha256)}</code>` : ''}`,
    ]);
  rows.push(['Seed', `<code>${e(r.seed)}</code>`]);
  if (m?.wallStart) rows.push(['Started (wall clock)', e(m.wallStart)]);
  if (m) rows.push(['Agent hosts', m.hosts === undefined ? 'one process' : String(m.hosts)]);
  if (m?.broker) rows.push(['Broker', BROKER_TEXT[m.broker]]);
  if (m?.wallPaced)
    rows.push([
      'Clock',
      `wall-paced, ${e(String(m.wallPaced.timeScale))} virtual ms per real ms — <strong>not reproducible</strong> (outcomes depend on the machines' speed)`,
    ]);
  rows.push(['Virtual time', `${e(r.metrics.virtualStart)} → ${e(r.metrics.virtualEnd)}`]);
  if (m)
    rows.push([
      'Machine',
      e(
        `${m.machine.os} · ${m.machine.arch} · ${m.machine.cpus} CPU${m.machine.cpus === 1 ? '' : 's'} (${m.machine.cpuModel}) · Node.js ${m.machine.node}`,
      ),
    ]);
  return `<dl class="run-meta">${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

/** The per-platform × enrollment-kind table, sortable, with percentages. */
function platformKindTable(r: ReportJson): string {
  const e = htmlEscape;
  const out: string[] = [
    '<table class="sortable" id="platform-kind"><thead><tr><th>Platform</th><th>Kind</th><th class="n">Devices</th><th class="n">Enrolled</th>' +
      '<th class="n">Outcomes</th><th class="n">Installed</th><th class="n">Failed</th><th class="n">Pending</th><th class="n">Skipped</th>' +
      '<th>Failures by code</th></tr></thead><tbody>',
  ];
  for (const k of r.byPlatformKind) {
    const pc = (st: 'installed' | 'failed' | 'pending' | 'skipped'): string =>
      `<td class="n" data-sort="${k.percent[st]}">${k[st]} <span class="pct">${k.percent[st].toFixed(1)} %</span></td>`;
    out.push(
      `<tr><td>${e(k.platform)}</td><td>${e(k.kind)}</td><td class="n">${k.devices}</td><td class="n">${k.enrolled}</td><td class="n">${k.outcomes}</td>` +
        `${pc('installed')}${pc('failed')}${pc('pending')}${pc('skipped')}` +
        `<td class="mono">${e(
          Object.entries(k.failedByCode)
            .map(([c, n]) => `${c} ${n}`)
            .join(', '),
        )}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('');
}

/** Renders report.html for a run. */
export function renderHtml(result: RunResult, options: RenderHtmlOptions = {}): string {
  const r = options.report ?? buildReportJson(result);
  const s = r.summary;
  const e = htmlEscape;
  const out: string[] = [];
  const title = `certfleet · ${r.scenario} · seed ${r.seed}`;
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${e(title)} <span class="badge ${s.passed ? 'pass' : 'fail'}">${r.status === 'interrupted' ? 'INTERRUPTED' : s.passed ? 'PASSED' : 'FAILED'}</span>` +
      (s.totals.untrusted > 0
        ? ` <span class="badge untrusted">${s.totals.untrusted} installed but untrusted</span>`
        : '') +
      '</h1>',
    ...(r.interrupted !== undefined
      ? [
          `<p class="interrupted"><strong>Interrupted</strong> by ${e(r.interrupted.signal)} at virtual ${e(r.interrupted.at)}: ` +
            'the run stopped before its end; outcomes are as they stood then.</p>',
        ]
      : []),
    metaList(r),
    `<p class="meta">${r.devices} devices (${e(enrolledText(s))}) · ${s.totals.total} device × profile outcomes · ` +
      `${r.metrics.wallSeconds.toFixed(1)} s wall · ${r.metrics.devicesPerSecond.toFixed(1)} devices/s · ` +
      `${r.metrics.certificatesIssued} certificates issued · ${r.metrics.messages} messages</p>`,
    `<p>${countsLine(s.totals)}</p>`,
  );

  out.push(`<h2>Expectations: ${s.expectations.held}/${s.expectations.total} held</h2>`);
  if (r.expectations.length === 0) out.push('<p class="meta">The scenario states no expectations.</p>');
  else {
    out.push(
      '<table class="sortable"><thead><tr><th>Result</th><th>Expectation</th><th>Detail</th></tr></thead><tbody>',
    );
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

  out.push('<h2>Per platform and enrollment kind</h2>');
  out.push(
    '<p class="meta">Device × profile outcomes per platform and enrollment kind, with each status as a share of them. Click a header to sort.</p>',
    platformKindTable(r),
  );

  out.push(timeSection(r.time));

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
      '<table class="sortable"><thead><tr><th>Code</th><th class="n">Failed</th><th>Where (platform/kind)</th><th>Meaning</th></tr></thead><tbody>',
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
      '<table class="sortable"><thead><tr><th>Code</th><th>Profile</th><th class="n">Failed</th><th>Example device</th><th>Message</th></tr></thead><tbody>',
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
      '<h2>Connector load</h2><table class="sortable"><thead><tr><th>Connector</th><th class="n">Requests served</th></tr></thead><tbody>',
    );
    for (const [id, n] of load) out.push(`<tr><td class="mono">${e(id)}</td><td class="n">${n}</td></tr>`);
    out.push('</tbody></table>');
  }

  out.push('<h2 id="devices-title">Devices</h2>');
  out.push(
    '<div class="controls"><input id="q" type="search" placeholder="Search device, profile, code, message, model, OS…" aria-label="Search">' +
      `<select id="platform" aria-label="Platform"><option value="">all platforms</option>${s.byPlatform.map((p) => `<option>${e(p.platform)}</option>`).join('')}</select>` +
      `<select id="status" aria-label="Status"><option value="">all statuses</option>${ROW_STATES.map((st) => `<option>${st}</option>`).join('')}</select>` +
      '<button id="csv" type="button" title="The rows that match the search, as CSV">Download CSV</button><a id="csv-link" class="no-print" hidden></a></div>',
    '<p id="count" class="meta"></p>',
    '<noscript><p>The device table needs JavaScript; report.json holds the same data.</p></noscript>',
    '<p class="meta no-print">Click a row for its timeline; click a header to sort.</p>',
    '<table id="devices"><thead><tr><th data-col="0">Device</th><th data-col="1">Platform</th><th data-col="2">Kind</th><th data-col="3">Profile</th>' +
      '<th data-col="4">Status</th><th data-col="5">Code</th><th class="n" data-col="7">Renewals</th><th data-col="6">Message</th></tr></thead><tbody id="rows"></tbody></table>',
    `<script type="application/json" id="certfleet-data">${scriptJson(tableData(r, options.maxEmbeddedEvents ?? 50_000))}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
  );
  return out.join('\n') + '\n';
}
