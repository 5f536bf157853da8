/**
 * The progress bar shown while a fleet enrols and installs:
 * `[#####-----] 120/200 devices enrolled · 340 payloads answered · 12 failed`.
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
}

/** Formats a number with thousands separators, independent of the locale. */
function n(v: number): string {
  return String(Math.trunc(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The text of the bar, without the leading `\r`: `[#####-----] 120/200 devices enrolled · 340 payloads
 * answered · 12 failed` (with `bar: false`, the bracketed bar is replaced by the percentage at the end).
 */
export function renderProgressLine(
  counts: ProgressCounts,
  total: number,
  options: { bar?: boolean; barWidth?: number; color?: boolean } = {},
): string {
  const width = options.barWidth ?? 20;
  const ratio = total > 0 ? Math.min(1, Math.max(0, counts.enrolled / total)) : 1;
  const filled = Math.round(ratio * width);
  const paint = painter(options.color ?? false);
  const failed = `${n(counts.failed)} failed`;
  const text =
    `${n(counts.enrolled)}/${n(total)} devices enrolled · ${n(counts.answered)} payloads answered · ` +
    (counts.failed > 0 ? paint('red', failed) : failed);
  if (options.bar === false) return `${text} (${Math.floor(ratio * 100)} %)`;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
}

/** A throttled progress bar; see the file comment. */
export class ProgressBar {
  readonly #o: Required<Omit<ProgressBarOptions, 'isTTY'>> & { isTTY: boolean };
  #counts: ProgressCounts = { enrolled: 0, answered: 0, failed: 0 };
  #last = -Infinity;
  #lastText = '';
  #drawn = false;
  #done = false;

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
    };
  }

  /** The current figures. */
  get counts(): Readonly<ProgressCounts> {
    return { ...this.#counts };
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
    const text = renderProgressLine(this.#counts, this.#o.total, {
      bar: this.#o.isTTY,
      barWidth: this.#o.barWidth,
      color: this.#o.color,
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
