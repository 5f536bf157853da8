/**
 * How fast a certfleet process lets V8's heap grow. After each full garbage collection V8 sets the next
 * limit of the old generation to the live size times a factor it picks from the collector's and the
 * program's speed — up to 4 × (`MemoryController::GrowingFactor`, heap-controller.cc). A fleet's live heap
 * grows with every device enrolled, so with V8's own factor most of a large run's heap is room not yet
 * used: at 10,000 devices (the bench scenario, `run` in one process with the child broker) the heap was
 * 465 MB around 210–380 MB live. `--heap-growing-percent=30` fixes the factor at 1.3: measured on the same
 * run, back to back on a quiet 2-core machine, peak RSS 1,017 → 759 MB, wall 256 → 263 s, CPU (user + sys,
 * the run and its broker) 323 → 335 s — a quarter less memory for a few per cent more collection. Set at
 * run time with `v8.setFlagsFromString`, which V8 reads at each collection (the same effect as the node
 * flag). A process started with its own `--heap-growing-percent` keeps it.
 *
 * @see https://nodejs.org/api/v8.html#v8setflagsfromstringflags
 * @see https://v8.dev/blog/trash-talk (how V8 sizes and collects its heap)
 */
import { setFlagsFromString } from 'node:v8';

/** The heap's growing factor of a certfleet process, as V8's `--heap-growing-percent` (1 + 30 / 100). */
export const HEAP_GROWING_PERCENT = 30;

/** The V8 flag {@link limitHeapGrowth} sets given the process's node options, or undefined when they set one. */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return undefined;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/**
 * Fixes this process's heap growing factor at {@link HEAP_GROWING_PERCENT} unless its node options set
 * one (`node --heap-growing-percent=N …`). Called first by the certfleet command and the bench. Returns the
 * flag set, or undefined.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = heapGrowthFlag(execArgv);
  if (flag !== undefined) setFlagsFromString(flag);
  return flag;
}
