/**
 * The progress bar shown while a fleet enrols and installs:
 * `[#####-----] 120/200 devices enrolled · 340 payloads answered · 12 failed`.
 *
 * When the run reports its virtual time (issue 13 point 4: a ten-month run used to sit at "60/60 (100 %)"
 * for minutes), the line leads with the virtual date and the share of the virtual duration done, the bar
 * follows that share, and an ETA ends the line: `[####------] virtual 2026-03-14 06:00 (24 %) · 60/60
 * devices enrolled · 120 payloads answered · 0 failed · ETA 2 min 10 s`. The ETA is the wall time spent so
 * far scaled by the virtual time still ahead — a display only, never part of any outcome or report.
 *
 * On a terminal it redraws one line in place (`\r`, erase to end of line) at most every `ttyIntervalMs`;
 * elsewhere (CI logs, pipes) it writes a plain line at most every `lineIntervalMs`, and only when a figure
 * changed, so a log is not flooded. The time source is passed in (`now`), so throttling is testable.
 */
import { painter } from './ansi.ts';

/** The figures the bar shows. */
export interface ProgressCounts {
  /** Devices enrolled so far. */
  enrolled: number;
  /** Payloads the devices answered (installed, failed or skipped). */
  answered: number;
  /** Of which failed. */
  failed: number;
  /** The run's virtual clock (epoch ms), when it reports one. */
  virtual?: VirtualProgress;
}

/** Where the virtual clock of a run stands. */
export interface VirtualProgress {
  now: number;
  start: number;
  end: number;
}

/** The share of the virtual duration done, 0–1. */
export function virtualFraction(v: VirtualProgress): number {
  const span = v.end - v.start;
  if (!(span > 0)) return 1;
  return Math.min(1, Math.max(0, (v.now - v.start) / span));
}

/** `2026-03-14 06:00` (UTC). */
function virtualDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** A wall-clock duration for the ETA: `45 s`, `2 min 10 s`, `1 h 05 min`. */
export function etaText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * The ETA from progress so far: `elapsedMs` of wall time moved the virtual clock `fraction` of the way;
 * undefined until there is enough to go on (1 % of the virtual time and 1 s of wall time) or once done.
 */
export function estimateEta(elapsedMs: number, fraction: number): number | undefined {
  if (!(fraction >= 0.01) || fraction >= 1 || !(elapsedMs >= 1000)) return undefined;
  return (elapsedMs * (1 - fraction)) / fraction;
}

/** Where the bar writes (process.stderr or process.stdout fit). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Devices in the fleet. */
  total: number;
  stream: ProgressStream;
  /** Overrides `stream.isTTY`. */
  isTTY?: boolean;
  /** Colour the failure count (decide with `shouldColor`). Default false. */
  color?: boolean;
  /** Milliseconds, monotonic; default `performance.now()`. */
  now?: () => number;
  /** Minimum time between redraws on a terminal. Default 100 ms. */
  ttyIntervalMs?: number;
  /** Minimum time between plain lines. Default 5,000 ms. */
  lineIntervalMs?: number;
  /** Characters inside the brackets. Default 20. */
  barWidth?: number;
  /**
   * The text after the bar, in place of the fleet's figures, for a bar over something else (`certfleet keys
   * make`: `120/1,000 rsa-2048 keys in the pool`); the bar follows `enrolled` / `total`.
   */
  describe?: (counts: ProgressCounts, total: number) => string;
}

/** Formats a number with thousands separators, independent of the locale. */
function n(v: number): string {
  return String(Math.trunc(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The text of the bar, without the leading `\r`: `[#####-----] 120/200 devices enrolled · 340 payloads
 * answered · 12 failed` (with `bar: false`, the bracketed bar is replaced by the percentage at the end).
 * With `counts.virtual`: the virtual date and share first, the bar by that share, and `etaMs` (if given)
 * last; see the file comment.
 */
export function renderProgressLine(
  counts: ProgressCounts,
  total: number,
  options: { bar?: boolean; barWidth?: number; color?: boolean; etaMs?: number; figures?: string } = {},
): string {
  const width = options.barWidth ?? 20;
  const v = counts.virtual;
  const ratio = v ? virtualFraction(v) : total > 0 ? Math.min(1, Math.max(0, counts.enrolled / total)) : 1;
  const filled = Math.round(ratio * width);
  const paint = painter(options.color ?? false);
  const failed = `${n(counts.failed)} failed`;
  const figures =
    options.figures ??
    `${n(counts.enrolled)}/${n(total)} devices enrolled · ${n(counts.answered)} payloads answered · ` +
      (counts.failed > 0 ? paint('red', failed) : failed);
  if (v) {
    const text =
      `virtual ${virtualDate(v.now)} (${Math.floor(ratio * 100)} %) · ${figures}` +
      (options.etaMs !== undefined ? ` · ETA ${etaText(options.etaMs)}` : '');
    return options.bar === false ? text : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
  }
  if (options.bar === false) return `${figures} (${Math.floor(ratio * 100)} %)`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${figures}`;
}

/** A throttled progress bar; see the file comment. */
export class ProgressBar {
  readonly #o: Required<Omit<ProgressBarOptions, 'isTTY' | 'describe'>> & {
    isTTY: boolean;
    describe?: ProgressBarOptions['describe'];
  };
  #counts: ProgressCounts = { enrolled: 0, answered: 0, failed: 0 };
  #last = -Infinity;
  #lastText = '';
  #drawn = false;
  #done = false;
  readonly #started: number;

  constructor(options: ProgressBarOptions) {
    this.#o = {
      total: options.total,
      stream: options.stream,
      isTTY: options.isTTY ?? options.stream.isTTY === true,
      color: options.color ?? false,
      now: options.now ?? (() => performance.now()),
      ttyIntervalMs: options.ttyIntervalMs ?? 100,
      lineIntervalMs: options.lineIntervalMs ?? 5000,
      barWidth: options.barWidth ?? 20,
      ...(options.describe ? { describe: options.describe } : {}),
    };
    this.#started = this.#o.now();
  }

  /** The current figures. */
  get counts(): Readonly<ProgressCounts> {
    const c: ProgressCounts = { ...this.#counts };
    if (c.virtual) c.virtual = { ...c.virtual };
    return c;
  }

  /** Sets figures (absolute values) and redraws if the throttle allows. */
  update(counts: Partial<ProgressCounts>): void {
    this.#counts = { ...this.#counts, ...counts };
    this.#render(false);
  }

  /** Adds to figures (e.g. `{ answered: 1, failed: 1 }`) and redraws if the throttle allows. */
  add(delta: Partial<ProgressCounts>): void {
    this.update({
      enrolled: this.#counts.enrolled + (delta.enrolled ?? 0),
      answered: this.#counts.answered + (delta.answered ?? 0),
      failed: this.#counts.failed + (delta.failed ?? 0),
      ...(delta.virtual ? { virtual: delta.virtual } : {}),
    });
  }

  /** Draws the final state (always) and ends the line. Later calls do nothing. */
  done(): void {
    if (this.#done) return;
    this.#render(true);
    if (this.#o.isTTY && this.#drawn) this.#o.stream.write('\n');
    this.#done = true;
  }

  #render(force: boolean): void {
    if (this.#done) return;
    const now = this.#o.now();
    const interval = this.#o.isTTY ? this.#o.ttyIntervalMs : this.#o.lineIntervalMs;
    if (!force && now - this.#last < interval) return;
    const v = this.#counts.virtual;
    const eta = v ? estimateEta(now - this.#started, virtualFraction(v)) : undefined;
    const text = renderProgressLine(this.#counts, this.#o.total, {
      bar: this.#o.isTTY,
      barWidth: this.#o.barWidth,
      color: this.#o.color,
      ...(eta !== undefined ? { etaMs: eta } : {}),
      ...(this.#o.describe ? { figures: this.#o.describe(this.#counts, this.#o.total) } : {}),
    });
    if (text === this.#lastText) return;
    this.#last = now;
    this.#lastText = text;
    this.#drawn = true;
    if (this.#o.isTTY) {
      const columns = this.#o.stream.columns;
      // A line wider than the terminal wraps and `\r` would then only rewind its last row.
      const shown = columns && columns > 10 && !this.#o.color ? text.slice(0, columns - 1) : text;
      this.#o.stream.write(`\r${shown}\u001b[K`);
    } else {
      this.#o.stream.write(`${text}\n`);
    }
  }
}
