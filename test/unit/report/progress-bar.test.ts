import { describe, expect, it } from 'vitest';
import {
  ProgressBar,
  estimateEta,
  etaText,
  renderProgressLine,
  type ProgressStream,
} from '../../../simulator/report/progress-bar.ts';

function sink(isTTY: boolean): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, writes, write: (t: string) => writes.push(t) };
}

describe('renderProgressLine', () => {
  it.each([
    [
      { enrolled: 120, answered: 340, failed: 12 },
      200,
      10,
      '[######----] 120/200 devices enrolled · 340 payloads answered · 12 failed',
    ],
    [
      { enrolled: 0, answered: 0, failed: 0 },
      200,
      10,
      '[----------] 0/200 devices enrolled · 0 payloads answered · 0 failed',
    ],
    [
      { enrolled: 200, answered: 400, failed: 0 },
      200,
      10,
      '[##########] 200/200 devices enrolled · 400 payloads answered · 0 failed',
    ],
    [
      { enrolled: 1500, answered: 12345, failed: 3 },
      10000,
      4,
      '[#---] 1,500/10,000 devices enrolled · 12,345 payloads answered · 3 failed',
    ],
  ])('%j of %i (width %i) → %s', (counts, total, barWidth, expected) => {
    expect(renderProgressLine(counts, total, { barWidth })).toBe(expected);
  });

  it('without a bar shows the percentage instead', () => {
    expect(renderProgressLine({ enrolled: 50, answered: 1, failed: 0 }, 200, { bar: false })).toBe(
      '50/200 devices enrolled · 1 payloads answered · 0 failed (25 %)',
    );
  });

  it('colours the failure count only when there are failures and colour is on', () => {
    expect(renderProgressLine({ enrolled: 1, answered: 1, failed: 1 }, 2, { color: true })).toContain(
      '\u001b[31m1 failed',
    );
    expect(renderProgressLine({ enrolled: 1, answered: 1, failed: 0 }, 2, { color: true })).not.toContain(
      '\u001b[31m',
    );
  });
});

describe('ProgressBar', () => {
  it('on a terminal redraws in place, at most once per interval, and ends the line', () => {
    let t = 0;
    const s = sink(true);
    const bar = new ProgressBar({ total: 4, stream: s, now: () => t, ttyIntervalMs: 100, barWidth: 4 });
    bar.add({ enrolled: 1 });
    bar.add({ enrolled: 1 }); // same instant: throttled
    t = 50;
    bar.add({ answered: 1 }); // within the interval: throttled
    t = 150;
    bar.add({ answered: 1, failed: 1 });
    bar.done();
    bar.done();
    expect(s.writes).toEqual([
      '\r[#---] 1/4 devices enrolled · 0 payloads answered · 0 failed\u001b[K',
      '\r[##--] 2/4 devices enrolled · 2 payloads answered · 1 failed\u001b[K',
      '\n',
    ]);
    expect(bar.counts).toEqual({ enrolled: 2, answered: 2, failed: 1 });
  });

  it('elsewhere writes plain lines, throttled, only when something changed, and always the final state', () => {
    let t = 0;
    const s = sink(false);
    const bar = new ProgressBar({ total: 10, stream: s, now: () => t, lineIntervalMs: 5000 });
    bar.update({ enrolled: 1 });
    t = 1000;
    bar.update({ enrolled: 5 });
    t = 6000;
    bar.update({ enrolled: 5 }); // unchanged: nothing
    t = 7000;
    bar.update({ enrolled: 6 });
    bar.update({ enrolled: 10, answered: 20 });
    bar.done();
    expect(s.writes).toEqual([
      '1/10 devices enrolled · 0 payloads answered · 0 failed (10 %)\n',
      '5/10 devices enrolled · 0 payloads answered · 0 failed (50 %)\n',
      '10/10 devices enrolled · 20 payloads answered · 0 failed (100 %)\n',
    ]);
  });

  it('cuts the line to the terminal width so that \\r rewinds it', () => {
    const s = { ...sink(true), columns: 30 };
    const bar = new ProgressBar({ total: 10, stream: s, now: () => 0 });
    bar.done();
    expect(s.writes[0]).toBe(`\r[${'-'.repeat(20)}] 0/10 d\u001b[K`);
  });
});

describe('virtual time on the progress line', () => {
  const DAY = 86_400_000;
  const start = Date.parse('2026-01-01T00:00:00Z');
  const end = start + 300 * DAY;
  const at = (day: number) => ({ now: start + day * DAY, start, end });

  it('regression issue 13: a long run shows its virtual date and share after every device enrolled', () => {
    // 60/60 enrolled on day 72 of 300: the bar follows virtual time (24 %), not enrolment (100 %)
    const counts = { enrolled: 60, answered: 120, failed: 0, virtual: at(72) };
    expect(renderProgressLine(counts, 60, { barWidth: 10, etaMs: 130_000 })).toBe(
      '[##--------] virtual 2026-03-14 00:00 (24 %) · 60/60 devices enrolled · 120 payloads answered · 0 failed · ETA 2 min 10 s',
    );
    expect(renderProgressLine(counts, 60, { bar: false })).toBe(
      'virtual 2026-03-14 00:00 (24 %) · 60/60 devices enrolled · 120 payloads answered · 0 failed',
    );
  });

  it.each([
    [0, '0 s'],
    [44_600, '45 s'],
    [130_000, '2 min 10 s'],
    [3_900_000, '1 h 05 min'],
  ])('etaText(%i) = %s', (ms, text) => {
    expect(etaText(ms)).toBe(text);
  });

  it('estimates the ETA from the wall time so far and the virtual share done; none too early or once done', () => {
    expect(estimateEta(30_000, 0.25)).toBe(90_000);
    expect(estimateEta(30_000, 0.005)).toBeUndefined();
    expect(estimateEta(500, 0.5)).toBeUndefined();
    expect(estimateEta(30_000, 1)).toBeUndefined();
  });

  it('the bar adds the ETA from its own clock and moves as the virtual clock moves', () => {
    let t = 0;
    const s = sink(false);
    const bar = new ProgressBar({ total: 2, stream: s, now: () => t, lineIntervalMs: 1000 });
    bar.update({ enrolled: 2, virtual: at(0) });
    t = 20_000;
    bar.update({ virtual: at(100) }); // a third of the way in 20 s: 40 s to go
    t = 40_000;
    bar.update({ virtual: at(300) });
    bar.done();
    expect(s.writes).toEqual([
      'virtual 2026-01-01 00:00 (0 %) · 2/2 devices enrolled · 0 payloads answered · 0 failed\n',
      'virtual 2026-04-11 00:00 (33 %) · 2/2 devices enrolled · 0 payloads answered · 0 failed · ETA 40 s\n',
      'virtual 2026-10-28 00:00 (100 %) · 2/2 devices enrolled · 0 payloads answered · 0 failed\n',
    ]);
  });
});
