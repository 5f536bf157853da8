/**
 * The console summary printed at the end of a run: a per-platform × profile table (installed / failed by
 * code / pending / skipped / renewed), the failures grouped by code and cause (count, share of the
 * profile's rows, where, one example device and its message), and the expectations with held/broken. `renderSummary` is pure: colour is an argument, decided by the
 * caller with `shouldColor(stream.isTTY, process.env)`.
 */
import { oneLine, painter, stripAnsi, type Paint, type Style } from './ansi.ts';
import { enrolledText, summarize, type OutcomeCounts, type RunSummary } from './summary.ts';
import type { KeyOrigins, RunResult } from '../run-model.ts';

/** Options of {@link renderSummary}. */
export interface RenderSummaryOptions {
  /** ANSI colours on or off. */
  color: boolean;
  /** How many failure reasons to list (default 5). */
  topReasons?: number;
  /** A summary already computed with `summarize(result)`. */
  summary?: RunSummary;
}

interface Cell {
  text: string;
  style?: Style;
  align: 'left' | 'right';
}

function countCell(v: number, style: Style): Cell {
  return v === 0 ? { text: '0', style: 'dim', align: 'right' } : { text: String(v), style, align: 'right' };
}

function codesText(byCode: Record<string, number>): string {
  return Object.entries(byCode)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
}

function table(rows: Cell[][], paint: Paint): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, stripAnsi(c.text).length)));
  return rows.map((row) =>
    row
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const pad = ' '.repeat(w - stripAnsi(c.text).length);
        const styled = c.style ? paint(c.style, c.text) : c.text;
        return c.align === 'right' ? pad + styled : i === row.length - 1 ? styled : styled + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** A share as a person reads it: `29.2 %`. */
function percentText(share: number): string {
  return `${(Math.round(share * 1000) / 10).toString()} %`;
}

function fmtSeconds(s: number): string {
  return s >= 100 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`;
}

/**
 * `Keys: 412 from the pool (rsa-2048 170, ec-p256 242), 3 fresh (rsa-2048 3) · pool /x` — and, with
 * `--key-reuse`, how many draws shared a key already used in the run.
 */
export function keyOriginsLine(k: KeyOrigins): string {
  const part = (c: Record<string, number>): { total: number; text: string } => {
    const entries = Object.entries(c).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const total = entries.reduce((t, [, v]) => t + v, 0);
    return {
      total,
      text: entries.length > 0 ? ` (${entries.map(([kind, v]) => `${kind} ${v}`).join(', ')})` : '',
    };
  };
  const pool = part(k.fromPool);
  const fresh = part(k.fresh);
  const shared = part(k.shared);
  return (
    `Keys: ${pool.total} from the pool${pool.text}, ${fresh.total} fresh${fresh.text}` +
    (k.reuse
      ? ` · --key-reuse: ${shared.total} draw${shared.total === 1 ? '' : 's'} shared a key already used in this run${shared.text}`
      : '') +
    (k.processes !== undefined ? ` · ${k.processes} processes, each from its own share` : '') +
    ` · pool ${oneLine(k.pool)}`
  );
}

/** Renders the end-of-run summary as text (lines end with `\n`). */
export function renderSummary(result: RunResult, options: RenderSummaryOptions): string {
  const paint = painter(options.color);
  const s = options.summary ?? summarize(result);
  const showSkipped = s.totals.skipped > 0;
  const showUntrusted = s.totals.untrusted > 0;
  const showNotApplicable = s.totals.notApplicable > 0;
  const out: string[] = [];

  const m = result.metrics;
  out.push(
    `${paint('bold', 'certfleet run')} · scenario ${oneLine(result.scenario)} · seed ${oneLine(result.seed)} · ` +
      `${result.devices} devices (${enrolledText(s)}) · ${fmtSeconds(m.wallSeconds)} · ` +
      `${m.devicesPerSecond.toFixed(1)} devices/s · ${m.certificatesIssued} certificates issued`,
  );
  if (m.keys) out.push(keyOriginsLine(m.keys));
  out.push('');
  if (result.interrupted !== undefined) {
    out.push(
      paint(
        'red',
        `INTERRUPTED by ${oneLine(result.interrupted.signal)} at virtual ${oneLine(result.interrupted.at)}: ` +
          'the run stopped before its end; outcomes are as they stood then, and the run does not pass.',
      ),
    );
    out.push('');
  }

  const warnings = result.warnings ?? [];
  if (warnings.length > 0) {
    out.push(
      paint(
        'yellow',
        // settings without effect, and what the scenario asks that will not go as written (a ramp past the end)
        `Warnings: ${warnings.length} about the scenario`,
      ),
    );
    for (const w of warnings)
      out.push(
        `  ${oneLine(`${w.file}:${w.line}:${w.column}: ${w.path === '' ? '(top level)' : w.path}: ${w.message}`)}`,
      );
    out.push('');
  }

  const header = ['PLATFORM', 'PROFILE', 'TARGETED', 'INSTALLED']
    .concat(showUntrusted ? ['UNTRUSTED'] : [])
    .concat(['FAILED', 'PENDING'])
    .concat(showSkipped ? ['SKIPPED'] : [])
    .concat(showNotApplicable ? ['N/A'] : [])
    // RENEWED counts renewals, each once (a certificate renewed twice counts 2): report.json's summary
    // `renewals` and the HTML report's figure, not `renewed` (the rows that renewed at least once)
    .concat(['RENEWED', 'FAILURES BY CODE'])
    .map((t, i, all): Cell => ({
      text: t,
      style: 'bold',
      align: i >= 2 && i < all.length - 1 ? 'right' : 'left',
    }));
  const row = (platform: string, profile: string, c: OutcomeCounts): Cell[] => [
    { text: oneLine(platform), align: 'left' },
    { text: oneLine(profile), align: 'left' },
    { text: String(c.total), align: 'right' },
    countCell(c.installed, 'green'),
    ...(showUntrusted ? [countCell(c.untrusted, 'yellow')] : []),
    countCell(c.failed, 'red'),
    countCell(c.pending, 'yellow'),
    ...(showSkipped ? [countCell(c.skipped, 'magenta')] : []),
    ...(showNotApplicable ? [countCell(c.notApplicable, 'dim')] : []),
    countCell(c.renewals, 'cyan'),
    { text: codesText(c.failedByCode), style: 'red', align: 'left' },
  ];
  const rows: Cell[][] = [header];
  for (const c of s.byPlatformProfile) rows.push(row(c.platform, c.profile, c));
  rows.push(row('total', '', s.totals).map((c, i) => (i < 2 ? { ...c, style: 'bold' } : c)));
  out.push(...table(rows, paint));
  if (showNotApplicable) {
    out.push('');
    out.push(
      `${s.totals.notApplicable} device × profile ${s.totals.notApplicable === 1 ? 'row is' : 'rows are'} not applicable (N/A): the profile does not apply to the device (a profile of another platform or enrollment kind, or a user certificate on a device without a user); nothing was sent.`,
    );
  }
  if (showUntrusted) {
    out.push('');
    out.push(
      paint(
        'yellow',
        `${s.totals.untrusted} of ${s.totals.installed} installed ${s.totals.untrusted === 1 ? 'is' : 'are'} not trusted: the chain leads to no root the device has (a trusted-certificate profile missing or not yet installed), or a certificate is outside its validity. UNTRUSTED counts them within INSTALLED.`,
      ),
    );
  }

  const top = s.failureReasons.slice(0, options.topReasons ?? 5);
  if (top.length > 0) {
    out.push('');
    const more = s.failureReasons.length - top.length;
    out.push(
      paint(
        'bold',
        `Failures by cause${more > 0 ? ` (top ${top.length} of ${s.failureReasons.length}; all in report.json)` : ''}`,
      ),
    );
    top.forEach((r, i) => {
      const where = Object.entries(r.where)
        .map(([w, c]) => `${w} ${c}`)
        .join(', ');
      const source = r.cause.source === undefined ? '' : ` [${r.cause.source}]`;
      out.push(
        `  ${i + 1}. ${paint('red', oneLine(r.code))} × ${r.count} (${percentText(r.share)} of "${oneLine(r.profile)}") — ${oneLine(r.cause.text)}${source}`,
      );
      out.push(`     on ${oneLine(where)}`);
      const os = r.example.osVersion === undefined ? '' : ` ${oneLine(r.example.osVersion)}`;
      out.push(
        `     e.g. ${oneLine(r.example.device)} (${r.example.platform}/${r.example.kind}${os}): ${oneLine(r.example.message)}`,
      );
    });
  }

  if (result.expectations.length > 0) {
    out.push('');
    out.push(paint('bold', `Expectations: ${s.expectations.held}/${s.expectations.total} held`));
    for (const e of result.expectations) {
      const mark = e.held ? paint('green', '✔ held  ') : paint('red', '✘ broken');
      out.push(`  ${mark} ${oneLine(e.text)}${e.detail ? paint('dim', ` — ${oneLine(e.detail)}`) : ''}`);
    }
  }
  return out.join('\n') + '\n';
}
