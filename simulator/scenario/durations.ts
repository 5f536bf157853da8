/**
 * Durations as scenario files write them: a number and a unit, e.g. `30s`, `15m`, `12h`, `300d`, `2w`,
 * `10mo`, `2y`; several parts may be chained (`1d12h`). Months are 30 days and years 365 days of virtual
 * time (a scenario duration, not a calendar date: the CA and the profiles keep calendar validity).
 */

/** Milliseconds per unit. */
export const DURATION_UNITS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
} as const;

const PART = /(\d+(?:\.\d+)?)\s*(ms|mo|s|m|h|d|w|y)/gy;

/** Milliseconds of a duration text, or undefined when it is not one (`0` alone is allowed). */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    PART.lastIndex = at;
    const m = PART.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS];
    at = PART.lastIndex;
    while (s[at] === ' ') at++;
  }
  return Math.round(total);
}

/** A short text for a duration in milliseconds (`300d`, `8h`, `30s`, `1d12h`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  const units: [string, number][] = [
    ['d', DURATION_UNITS.d],
    ['h', DURATION_UNITS.h],
    ['m', DURATION_UNITS.m],
    ['s', DURATION_UNITS.s],
    ['ms', 1],
  ];
  let rest = ms;
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}
