/** Tiny measuring helpers for the benchmark suites. */

/** A measured rate. */
export interface Rate {
  count: number;
  seconds: number;
  perSecond: number;
}

/** Runs `work` once and returns how many `count` units per second it did. */
export async function rate(count: number, work: () => Promise<void>): Promise<Rate> {
  const start = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { count, seconds, perSecond: count / seconds };
}

/** Prints one figure line. */
export function report(label: string, r: Rate, unit: string): void {
  process.stdout.write(
    `  ${label.padEnd(52)} ${r.perSecond.toFixed(1).padStart(9)} ${unit}  (${r.count} in ${r.seconds.toFixed(2)} s)\n`,
  );
}
