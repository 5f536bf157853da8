/**
 * The fuzz property and its runner: every input either decodes or fails with a *coded* error — a
 * CertfleetError (or a reported problem) whose code is in pki/errors.ts and is not INTERNAL, never a raw
 * TypeError/RangeError — and no case takes 2 s or more. Cases are drawn from a seed, so a failure reproduces.
 */
import { CertfleetError, ERROR_CODES } from '../../pki/errors.ts';
import { FuzzRandom, nextCase, type Mutation } from './mutator.ts';
import type { FuzzTarget } from './targets.ts';

/** A case slower than this breaks the property. */
export const CASE_LIMIT_MS = 2_000;

/** One case that broke the property. */
export interface FuzzFailure {
  target: string;
  seed: number;
  caseIndex: number;
  mutations: Mutation[];
  inputLength: number;
  /** What was wrong: an uncoded or INTERNAL error, or a slow case. */
  reason: string;
  ms: number;
}

/** What a fuzz run did. */
export interface FuzzStats {
  cases: number;
  internal: number;
  slow: number;
  perTarget: Record<string, number>;
  failures: FuzzFailure[];
}

const KNOWN = new Set(Object.keys(ERROR_CODES));

/** Why an outcome breaks the property, or undefined when it is acceptable. */
export function judge(outcome: { thrown: unknown } | { codes: readonly string[] }): string | undefined {
  if ('thrown' in outcome) {
    const e = outcome.thrown;
    if (!(e instanceof CertfleetError)) {
      const name = e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e);
      return `uncoded ${name}`;
    }
    if (e.code === 'INTERNAL' || !KNOWN.has(e.code)) return `code ${e.code}: ${e.message.slice(0, 200)}`;
    return undefined;
  }
  const bad = outcome.codes.find((c) => c === 'INTERNAL' || !KNOWN.has(c));
  return bad === undefined ? undefined : `problem code ${bad}`;
}

/**
 * Runs cases over `targets` round-robin from `seed` until `cases` cases ran or `untilMs` (a wall-clock
 * deadline, for the long runner only) passed. Each case's sub-seed is derived from (seed, index), so one
 * case reproduces alone with {@link runOne}.
 */
export function runFuzz(
  targets: readonly FuzzTarget[],
  opts: { seed: number; cases?: number; untilMs?: number; onCase?: (n: number) => void },
): FuzzStats {
  const stats: FuzzStats = { cases: 0, internal: 0, slow: 0, perTarget: {}, failures: [] };
  for (let i = 0; ; i++) {
    if (opts.cases !== undefined && i >= opts.cases) break;
    if (opts.untilMs !== undefined && Date.now() >= opts.untilMs) break;
    const target = targets[i % targets.length]!;
    const failure = runOne(target, opts.seed, i);
    stats.cases++;
    stats.perTarget[target.name] = (stats.perTarget[target.name] ?? 0) + 1;
    if (failure !== undefined) {
      if (failure.reason.startsWith('slow')) stats.slow++;
      else stats.internal++;
      stats.failures.push(failure);
    }
    opts.onCase?.(i);
  }
  return stats;
}

/** Runs case `index` of `seed` on `target`; returns the failure, if any. */
export function runOne(target: FuzzTarget, seed: number, index: number): FuzzFailure | undefined {
  const r = new FuzzRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const { input, mutations } = nextCase(r, target.seeds);
  const t0 = performance.now();
  let reason: string | undefined;
  try {
    reason = judge(target.run(input));
  } catch (thrown) {
    reason = judge({ thrown });
  }
  const ms = performance.now() - t0;
  if (reason === undefined && ms >= CASE_LIMIT_MS) reason = `slow: ${Math.round(ms)} ms`;
  if (reason === undefined) return undefined;
  return { target: target.name, seed, caseIndex: index, mutations, inputLength: input.length, reason, ms };
}

/** One line per failure, with what reproduces it. */
export function describeFailures(failures: readonly FuzzFailure[]): string {
  return failures
    .map(
      (f) =>
        `${f.target} case ${f.caseIndex} (--seed ${f.seed}; ${f.mutations.join('+')}, ${f.inputLength} bytes, ${Math.round(f.ms)} ms): ${f.reason}`,
    )
    .join('\n');
}
