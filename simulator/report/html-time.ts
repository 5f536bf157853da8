/**
 * The "Over virtual time" section of report.html (issue 13 point 4): an inline SVG chart of installs,
 * failures and renewals per virtual-time bucket (one strip per series, each with its own scale, sharing the
 * time axis; deferrals and expiries get a strip when the run has any), the figures per minute of virtual
 * time (installs, failures, renewals, certificates issued per connector), then the renewal deferrals, the
 * expiries, and the validity left at the end per profile. Static HTML and SVG only, everything escaped.
 */
import { htmlEscape as e } from './html-escape.ts';
import type { PerMinuteFigure, TimeBucket, TimeReport } from './time-series.ts';

type Series = keyof Omit<TimeBucket, 'start'>;

const SERIES: { key: Series; label: string; color: string; always: boolean }[] = [
  { key: 'installs', label: 'installs', color: '#2e7d32', always: true },
  { key: 'failures', label: 'failures', color: '#c62828', always: true },
  { key: 'renewals', label: 'renewals', color: '#00838f', always: true },
  { key: 'deferrals', label: 'deferrals', color: '#ef6c00', always: false },
  { key: 'expiries', label: 'expiries', color: '#6a1b9a', always: false },
];

/** A bucket's start as the chart labels it: the date, with the time when buckets are shorter than a day. */
function tick(iso: string, bucketMs: number): string {
  return bucketMs >= 86_400_000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/** The chart of the series over virtual time (inline SVG). */
export function timeChart(t: TimeReport): string {
  const shown = SERIES.filter((s) => s.always || t.totals[s.key] > 0);
  const n = t.series.length;
  const labelW = 120;
  const plotW = 680;
  const stripH = 56;
  const gap = 10;
  const axisH = 22;
  const width = labelW + plotW + 16;
  const height = shown.length * (stripH + gap) + axisH;
  const slot = plotW / Math.max(1, n);
  const barW = Math.max(1, slot * 0.8);
  const parts: string[] = [];
  shown.forEach((s, row) => {
    const top = row * (stripH + gap);
    const max = Math.max(0, ...t.series.map((b) => b[s.key]));
    parts.push(
      `<g class="strip" data-series="${s.key}">`,
      `<text x="${labelW - 8}" y="${top + 18}" text-anchor="end" class="series">${s.label}</text>`,
      `<text x="${labelW - 8}" y="${top + 34}" text-anchor="end" class="total">${t.totals[s.key]} in all</text>`,
      `<text x="${labelW - 8}" y="${top + 50}" text-anchor="end" class="max">max ${max}/${e(t.bucket)}</text>`,
      `<line x1="${labelW}" y1="${top + stripH}" x2="${labelW + plotW}" y2="${top + stripH}" stroke="#bbb"/>`,
    );
    t.series.forEach((b, i) => {
      const v = b[s.key];
      if (v === 0 || max === 0) return;
      const h = Math.max(1.5, (v / max) * (stripH - 6));
      const x = labelW + i * slot + (slot - barW) / 2;
      parts.push(
        `<rect x="${x.toFixed(2)}" y="${(top + stripH - h).toFixed(2)}" width="${barW.toFixed(2)}" height="${h.toFixed(2)}" fill="${s.color}" data-bucket="${i}" data-value="${v}">` +
          `<title>${e(`${tick(b.start, t.bucketMs)} (+${t.bucket}): ${v} ${s.label}`)}</title></rect>`,
      );
    });
    parts.push('</g>');
  });
  const axisY = shown.length * (stripH + gap) + 4;
  const ticks = Math.min(n, 6);
  for (let k = 0; k < ticks; k++) {
    const i = ticks === 1 ? 0 : Math.round((k * (n - 1)) / (ticks - 1));
    const b = t.series[i];
    if (!b) continue;
    const x = labelW + i * slot + slot / 2;
    const anchor = k === 0 ? 'start' : k === ticks - 1 ? 'end' : 'middle';
    parts.push(
      `<text x="${x.toFixed(2)}" y="${axisY + 12}" text-anchor="${anchor}" class="axis">${e(tick(b.start, t.bucketMs))}</text>`,
    );
  }
  return (
    `<svg class="chart time-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="${e(`installs, failures and renewals per ${t.bucket} of virtual time`)}">${parts.join('')}</svg>`
  );
}

function dt(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/:\d\d\.\d{3}Z$|\.\d{3}Z$/, '')
    .replace(/Z$/, '');
}

/** Per minute of virtual time: each count's total, mean per minute and busiest minute. */
export function perMinuteTable(t: TimeReport): string {
  const p = t.perMinute;
  const rows: Array<[string, PerMinuteFigure]> = [
    ['Installs', p.installs],
    ['Failures', p.failures],
    ['Renewals', p.renewals],
    ...Object.entries(p.issuedByConnector).map(([connector, f]): [string, PerMinuteFigure] => [
      `Certificates issued by ${connector}`,
      f,
    ]),
  ];
  const out = [
    `<h3>Per minute of virtual time</h3><p class="meta">Over the run's ${p.minutes} minutes, whatever the bucket above; the busiest minute is counted from the virtual start.</p>`,
    '<table class="sortable per-minute"><thead><tr><th>What</th><th class="n">Total</th><th class="n">Mean per minute</th>' +
      '<th class="n">Busiest minute</th><th>Busiest minute starts</th></tr></thead><tbody>',
  ];
  for (const [what, f] of rows)
    out.push(
      `<tr><td>${e(what)}</td><td class="n">${f.total}</td><td class="n">${f.meanPerMinute}</td>` +
        `<td class="n">${f.peak}</td><td>${f.peakAt !== undefined ? e(dt(f.peakAt)) : ''}</td></tr>`,
    );
  out.push('</tbody></table>');
  return out.join('');
}

/** The whole "Over virtual time" section. */
export function timeSection(t: TimeReport): string {
  const out: string[] = [];
  out.push('<h2 id="time">Over virtual time</h2>');
  out.push(
    `<p class="meta">${e(dt(t.start))} → ${e(dt(t.end))} UTC (virtual), in buckets of ${e(t.bucket)} (${e(t.bucketRule)}). ` +
      `${t.totals.installs} installs · ${t.totals.failures} failures · ${t.totals.renewals} renewals · ` +
      `${t.totals.deferrals} renewal deferrals · ${t.totals.expiries} expiries.</p>`,
  );
  out.push(timeChart(t));
  out.push(perMinuteTable(t));

  out.push('<h3>Renewal deferrals (locked Apple devices)</h3>');
  if (!t.fromRunDb)
    out.push('<p class="meta">Unknown: this report was written without the run database.</p>');
  else if (t.deferrals.length === 0) out.push('<p class="meta">No device deferred a renewal.</p>');
  else {
    out.push(
      `<p class="meta">${t.deferrals.length} devices deferred a due renewal ${t.totals.deferrals} times in all; ` +
        `${t.deferrals.filter((d) => d.renewedAt !== undefined).length} renewed later.</p>`,
      '<table class="sortable"><thead><tr><th>Device</th><th>Platform</th><th class="n">Deferrals</th><th>First</th><th>Last</th><th>Renewed</th></tr></thead><tbody>',
    );
    for (const d of t.deferrals)
      out.push(
        `<tr><td class="mono">${e(d.device)}</td><td>${e(d.platform ?? '')}</td><td class="n">${d.count}</td>` +
          `<td>${e(dt(d.first))}</td><td>${e(dt(d.last))}</td><td>${d.renewedAt ? e(dt(d.renewedAt)) : '<span class="broken">not by the end</span>'}</td></tr>`,
      );
    out.push('</tbody></table>');
  }

  out.push('<h3>Expiries</h3>');
  if (t.expiries.length === 0) out.push('<p class="meta">No certificate expired before it was renewed.</p>');
  else {
    out.push(
      '<table class="sortable"><thead><tr><th>At</th><th>Device</th><th>Platform</th><th>Profile</th><th>Message</th></tr></thead><tbody>',
    );
    for (const x of t.expiries)
      out.push(
        `<tr><td>${e(dt(x.at))}</td><td class="mono">${e(x.device)}</td><td>${e(x.platform ?? '')}</td><td>${e(x.profile)}</td><td>${e(x.message)}</td></tr>`,
      );
    out.push('</tbody></table>');
  }

  out.push(`<h3>Validity left at the end (${e(dt(t.validity.at))} UTC)</h3>`);
  if (!t.fromRunDb)
    out.push('<p class="meta">Unknown: this report was written without the run database.</p>');
  else if (t.validity.byProfile.length === 0)
    out.push('<p class="meta">No PKCS certificate was in a key store at the end.</p>');
  else {
    out.push(
      '<table class="sortable"><thead><tr><th>Profile</th><th class="n">Certificates</th><th class="n">Threshold</th>' +
        '<th class="n">Min days</th><th class="n">Median days</th><th class="n">Max days</th>' +
        '<th class="n">At or below threshold</th><th class="n">Expired</th></tr></thead><tbody>',
    );
    for (const v of t.validity.byProfile)
      out.push(
        `<tr><td>${e(v.profile)}</td><td class="n">${v.certificates}</td><td class="n">${v.threshold === undefined ? '' : `${v.threshold} %`}</td>` +
          `<td class="n">${v.minDays}</td><td class="n">${v.medianDays}</td><td class="n">${v.maxDays}</td>` +
          `<td class="n${v.belowThreshold > 0 ? ' warn' : ''}">${v.belowThreshold}</td><td class="n${v.expired > 0 ? ' broken' : ''}">${v.expired}</td></tr>`,
      );
    out.push('</tbody></table>');
  }
  return out.join('\n');
}
