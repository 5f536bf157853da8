/**
 * Reading a positioned YAML tree while collecting every problem (never stopping at the first one), each
 * with its line, column and key path, and turning them into one SCENARIO_INVALID error.
 */
import { CertfleetError } from '../../pki/errors.ts';
import { MAX_DURATION_MS } from '../../pki/limits.ts';
import { formatDuration, parseDuration } from './durations.ts';
import { closest, suggestion } from './suggest.ts';
import type { NumberCheck } from './types.ts';
import { entryOf } from './yaml-tree.ts';
import type { MapNode, Position, ScalarNode, SeqNode, TreeNode } from './yaml-tree.ts';

/** One problem in a scenario file. */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  /** Key path, e.g. `fleet.mix[2].platform`. */
  path: string;
  message: string;
}

/**
 * `file:line:column: path: message`. Our own text is never cut: the user text a message quotes is cut where
 * it is quoted ({@link quoted}), and a message that still runs past {@link MAX_MESSAGE_CHARS} (a huge value
 * quoted by a rule outside the scenario readers, from a hostile file) loses its middle, not its end, so the
 * fix that closes a message ("…, or drop android-device-admin from platforms") always arrives.
 */
export function formatProblem(p: ScenarioProblem): string {
  const path = p.path.length > MAX_PATH_CHARS ? `${p.path.slice(0, MAX_PATH_CHARS)}…` : p.path;
  return `${p.file}:${p.line}:${p.column}: ${path === '' ? '(top level)' : path}: ${cutMiddle(p.message)}`;
}

/**
 * Longest problem text printed whole: far above any message the scenario readers and the profile model
 * write themselves (the longest known, the device administrator's list of every named subject format, is
 * some 600 characters); only a message quoting a huge value reaches it.
 */
export const MAX_MESSAGE_CHARS = 2000;
/** Longest key path printed; a longer one (a huge key) is cut. */
const MAX_PATH_CHARS = 500;
/** Longest user text (a key, a value) a problem quotes; longer ones are cut where they are quoted. */
export const MAX_QUOTE_CHARS = 200;

/** `text`, or its beginning and end around ` … ` when it is longer than MAX_MESSAGE_CHARS. */
function cutMiddle(text: string): string {
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  const half = Math.floor((MAX_MESSAGE_CHARS - 3) / 2);
  return `${text.slice(0, half)} … ${text.slice(text.length - half)}`;
}

/** User text to quote in a problem: as it is, or its first MAX_QUOTE_CHARS characters and `…`. */
export function quoted(value: unknown): string {
  const text = String(value);
  return text.length > MAX_QUOTE_CHARS ? `${text.slice(0, MAX_QUOTE_CHARS)}…` : text;
}

/** The SCENARIO_INVALID error listing every problem (also in `details.problems`). */
export function scenarioInvalid(file: string, problems: readonly ScenarioProblem[]): CertfleetError {
  const n = problems.length;
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  return new CertfleetError(
    'SCENARIO_INVALID',
    `${file} has ${n} problem${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} and run again:\n${sorted.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    { details: { file, problems: sorted.map((p) => ({ ...p })) } },
  );
}

/** `path.key` or `key`. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** A node with the key path that leads to it. */
export interface At<N extends TreeNode = TreeNode> {
  node: N;
  path: string;
}

const CHECK = /^\s*(>=|<=|==|=|>|<)?\s*(-?\d+(?:\.\d+)?)\s*(%)?\s*$/;

/** Collects problems (and warnings) while reading a tree. */
export class Checker {
  readonly problems: ScenarioProblem[] = [];
  /**
   * Settings the run reads past without failing — a Graph property it does not know or that has no
   * effect, an advisory about a variable: listed in the console and report.json (issue 13 point 5).
   */
  readonly warnings: ScenarioProblem[] = [];
  constructor(readonly file: string) {}

  /** Records a problem; returns undefined so readers can `return c.add(...)`. */
  add(pos: Position, path: string, message: string): undefined {
    this.problems.push({ file: this.file, line: pos.line, column: pos.column, path, message });
    return undefined;
  }

  /** Records a warning (once per place and text). */
  warn(pos: Position, path: string, message: string): void {
    const w = { file: this.file, line: pos.line, column: pos.column, path, message };
    if (!this.warnings.some((x) => x.line === w.line && x.path === w.path && x.message === w.message))
      this.warnings.push(w);
  }

  /** The node as a map, or a problem. */
  map(at: At | undefined, what = 'a map of settings'): At<MapNode> | undefined {
    if (at === undefined) return undefined;
    if (at.node.type !== 'map') return this.add(at.node.pos, at.path, `must be ${what}`);
    return at as At<MapNode>;
  }

  /** The node as a list (a single value is a list of one when `single` is set), or a problem. */
  list(at: At | undefined, single = false): At[] | undefined {
    if (at === undefined) return undefined;
    if (at.node.type === 'seq') {
      const seq = at.node as SeqNode;
      return seq.items.map((node, i) => ({ node, path: child(at.path, i) }));
    }
    if (single && at.node.type === 'scalar') return [at];
    return this.add(at.node.pos, at.path, 'must be a list');
  }

  /**
   * Reports every key of `map` that is not in `allowed`, with the closest valid key, and every key of
   * `required` that is missing.
   */
  keys(map: At<MapNode>, allowed: readonly string[], required: readonly string[] = []): void {
    for (const e of map.node.entries) {
      if (allowed.includes(e.key)) continue;
      const path = child(map.path, e.key);
      const near = closest(e.key, allowed);
      this.add(
        e.keyPos,
        path,
        near !== undefined
          ? `unknown key '${quoted(e.key)}': did you mean '${near}'?`
          : `unknown key '${quoted(e.key)}' (allowed here: ${allowed.join(', ')})`,
      );
    }
    for (const k of required) {
      if (entryOf(map.node, k) === undefined) this.add(map.node.pos, child(map.path, k), 'is required');
    }
  }

  /** The value of `key` in the map, if present and not null. */
  get(map: At<MapNode> | undefined, key: string): At | undefined {
    if (map === undefined) return undefined;
    const e = entryOf(map.node, key);
    if (e === undefined) return undefined;
    if (e.value.type === 'scalar' && e.value.value === null) return undefined;
    return { node: e.value, path: child(map.path, key) };
  }

  /** A scalar's value, or a problem when the node is a map/list. */
  scalar(at: At | undefined, what: string): ScalarNode['value'] | undefined {
    if (at === undefined) return undefined;
    if (at.node.type !== 'scalar') return this.add(at.node.pos, at.path, `must be ${what}`);
    return at.node.value;
  }

  /** A non-empty string (numbers are accepted as their text when `numbers`). */
  string(at: At | undefined, numbers = false): string | undefined {
    const v = this.scalar(at, 'a text value');
    if (at === undefined || v === undefined) return undefined;
    if (typeof v === 'number' && numbers) return String(v);
    if (typeof v !== 'string' || v.trim() === '')
      return this.add(at.node.pos, at.path, 'must be a non-empty text');
    return v;
  }

  /** A number in [min, max]; `integer` refuses fractions. */
  number(at: At | undefined, min: number, max: number, integer = false): number | undefined {
    const v = this.scalar(at, 'a number');
    if (at === undefined || v === undefined) return undefined;
    const kind = integer ? 'a whole number' : 'a number';
    if (typeof v !== 'number' || Number.isNaN(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      return this.add(
        at.node.pos,
        at.path,
        `must be ${kind} from ${min} to ${max}, not ${quoted(JSON.stringify(v))}`,
      );
    }
    return v;
  }

  /** true/false. */
  boolean(at: At | undefined): boolean | undefined {
    const v = this.scalar(at, 'true or false');
    if (at === undefined || v === undefined) return undefined;
    if (typeof v !== 'boolean')
      return this.add(at.node.pos, at.path, `must be true or false, not ${quoted(JSON.stringify(v))}`);
    return v;
  }

  /** One of `allowed`, with a suggestion for a typo. */
  oneOf<T extends string>(at: At | undefined, allowed: readonly T[], what = 'value'): T | undefined {
    const v = this.scalar(at, `one of ${allowed.join(', ')}`);
    if (at === undefined || v === undefined) return undefined;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    return this.add(at.node.pos, at.path, `unknown ${what} '${quoted(v)}'${suggestion(String(v), allowed)}`);
  }

  /** A duration such as `30s`, `8h`, `300d`, `10mo`, `2y`, at least `minMs` and at most MAX_DURATION_MS (pki/limits.ts). */
  duration(at: At | undefined, minMs = 0): number | undefined {
    const v = this.scalar(at, 'a duration such as 30s, 8h, 300d, 10mo or 2y');
    if (at === undefined || v === undefined) return undefined;
    const ms = typeof v === 'number' && v === 0 ? 0 : typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) {
      return this.add(
        at.node.pos,
        at.path,
        `'${quoted(v)}' is not a duration: write a number and a unit (ms, s, m, h, d, w, mo, y), e.g. 30s, 8h, 300d, 10mo, 2y`,
      );
    }
    if (ms < minMs)
      return this.add(at.node.pos, at.path, `must be at least ${String(v === 0 ? '0' : minMs + 'ms')} long`);
    if (ms > MAX_DURATION_MS) {
      return this.add(
        at.node.pos,
        at.path,
        `'${quoted(v)}' is longer than a scenario may run: at most ${formatDuration(MAX_DURATION_MS)} (10 years of virtual time)`,
      );
    }
    return ms;
  }

  /** A share: true (all), false (none), or a probability 0..1 (`0.1` or `10%`). */
  share(at: At | undefined): number | boolean | undefined {
    const v = this.scalar(at, 'true, false or a share from 0 to 1');
    if (at === undefined || v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    const n = typeof v === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(v) ? Number.parseFloat(v) / 100 : v;
    if (typeof n !== 'number' || !(n >= 0 && n <= 1)) {
      return this.add(
        at.node.pos,
        at.path,
        `must be true, false or a share from 0 to 1 (e.g. 0.1 or 10%), not ${quoted(JSON.stringify(v))}`,
      );
    }
    return n;
  }

  /** A probability 0..1 (`0.1` or `10%`). */
  probability(at: At | undefined): number | undefined {
    const v = this.share(at);
    if (typeof v === 'boolean') return v ? 1 : 0;
    return v;
  }

  /** A numeric check: `3`, `">=1"`, `"<0.5"`, `"90%"`; `percent` allows the % form. */
  check(
    at: At | undefined,
    opts: { percent: boolean; words?: Record<string, NumberCheck> },
  ): NumberCheck | undefined {
    const v = this.scalar(at, 'a number or a comparison such as ">=1"');
    if (at === undefined || v === undefined) return undefined;
    if (typeof v === 'string' && opts.words?.[v] !== undefined) return opts.words[v];
    const text = String(v);
    const m = CHECK.exec(text);
    if (m === null || (m[3] !== undefined && !opts.percent)) {
      const words = Object.keys(opts.words ?? {});
      return this.add(
        at.node.pos,
        at.path,
        `'${quoted(text)}' is not a number or comparison: write e.g. 1, ">=1", "<3"${opts.percent ? ', ">=0.9", "90%"' : ''}${words.length > 0 ? ` or ${words.join(', ')}` : ''}`,
      );
    }
    const op = (m[1] === '==' ? '=' : (m[1] ?? '=')) as NumberCheck['op'];
    const value = Number(m[2]) / (m[3] === undefined ? 1 : 100);
    return { op, value, text };
  }
}

/** True when `n` passes `check`. */
export function passes(n: number, check: NumberCheck): boolean {
  const eps = 1e-9;
  switch (check.op) {
    case '>=':
      return n >= check.value - eps;
    case '>':
      return n > check.value + eps;
    case '<=':
      return n <= check.value + eps;
    case '<':
      return n < check.value - eps;
    case '=':
      return Math.abs(n - check.value) <= eps;
  }
}
