/**
 * A scenario file read into a small positioned tree: every map, list and scalar keeps the line and column
 * it starts at, so that each validation problem can name `file:line:column` (docs/architecture.md house rule 6).
 *
 * Parsing uses the `yaml` package's document API with a `LineCounter` (eemeli/yaml docs, "Documents" and
 * "LineCounter"): syntax errors, duplicate keys and bad indentation come back from `parseDocument` with
 * their `linePos`, and become one SCENARIO_PARSE error (a duplicate key is named, with where it was first
 * given). Anchors/aliases are resolved; tags are refused.
 *
 * Hostile files are refused with SCENARIO_INVALID before they exhaust memory or stack (pki/limits.ts): more
 * than MAX_SCENARIO_ALIASES aliases, more than MAX_SCENARIO_NODES nodes once aliases are expanded (an alias
 * bomb), nesting deeper than MAX_NESTING_DEPTH (also when the yaml parser's own recursion gives out).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { CertfleetError } from '../../pki/errors.ts';
import { MAX_NESTING_DEPTH, MAX_SCENARIO_ALIASES, MAX_SCENARIO_NODES } from '../../pki/limits.ts';
import { scenarioInvalid } from './checker.ts';

/** Where a node starts in the file (1-based). */
export interface Position {
  line: number;
  column: number;
}

/** A YAML scalar: string, number, boolean or null. */
export interface ScalarNode {
  type: 'scalar';
  value: string | number | boolean | null;
  pos: Position;
}
/** A YAML list. */
export interface SeqNode {
  type: 'seq';
  items: TreeNode[];
  pos: Position;
}
/** One `key: value` of a map; `keyPos` is where the key is written. */
export interface MapEntry {
  key: string;
  keyPos: Position;
  value: TreeNode;
}
/** A YAML map with string keys, in file order. */
export interface MapNode {
  type: 'map';
  entries: MapEntry[];
  pos: Position;
}
/** Any node of the tree. */
export type TreeNode = ScalarNode | SeqNode | MapNode;

/** The value of `key` in a map node, if present. */
export function entryOf(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** The plain JS value of a node (maps → objects, lists → arrays). */
export function toPlain(node: TreeNode): unknown {
  switch (node.type) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map':
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
  }
}

/**
 * Parses YAML text into a positioned tree.
 * @throws CertfleetError SCENARIO_PARSE with every syntax error as `file:line:column: message`.
 */
export function parseYamlTree(text: string, file: string): TreeNode {
  const deep = flowDepthPastLimit(text);
  if (deep !== undefined) throw limitError(file, deep, tooDeep);
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // the yaml parser recurses per nesting level: a file nested thousands deep exhausts the stack
    if (e instanceof RangeError) throw limitError(file, { line: 1, column: 1 }, tooDeep);
    throw e;
  }
  if (doc.errors.length > 0) {
    const duplicates = doc.errors.some((e) => e.code === 'DUPLICATE_KEY') ? duplicateKeys(doc) : new Map();
    const lines = doc.errors.map((e) => {
      const p = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      const first = e.message.split('\n')[0] ?? e.message;
      const dup = e.code === 'DUPLICATE_KEY' ? duplicates.get(e.pos[0]) : undefined;
      const message =
        dup === undefined
          ? first.replace(/ at line \d+, column \d+:?$/, '')
          : duplicateMessage(dup, lineCounter.linePos(dup.firstAt));
      return { line: p.line, column: p.col, message };
    });
    throw new CertfleetError(
      'SCENARIO_PARSE',
      `${file} is not valid YAML; fix it there:\n${lines.map((l) => `  ${file}:${l.line}:${l.column}: ${l.message}`).join('\n')}`,
      { details: { file, problems: lines } },
    );
  }
  const pos = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  let nodes = 0;
  let aliases = 0;
  const convert = (node: unknown, depth: number): TreeNode => {
    const n0 = node as YamlNode | null | undefined;
    if (depth > MAX_NESTING_DEPTH) throw limitError(file, pos(n0?.range?.[0]), tooDeep);
    if (isAlias(node)) {
      if (++aliases > MAX_SCENARIO_ALIASES) {
        throw limitError(
          file,
          pos(node.range?.[0]),
          `more than ${MAX_SCENARIO_ALIASES} aliases (*name); write the values out or use fewer anchors`,
        );
      }
      return convert(node.resolve(doc as Document), depth + 1);
    }
    if (++nodes > MAX_SCENARIO_NODES) {
      throw limitError(
        file,
        pos(n0?.range?.[0]),
        `the scenario expands to more than ${MAX_SCENARIO_NODES} values${aliases > 0 ? ' once its aliases are resolved (an alias bomb?)' : ''}`,
      );
    }
    const n = n0;
    const at = pos(n?.range?.[0]);
    if (n === null || n === undefined) return { type: 'scalar', value: null, pos: at };
    if (n.tag !== undefined && !n.tag.startsWith('tag:yaml.org,2002:')) {
      throw parseError(file, at, `the tag ${n.tag} is not supported in scenario files`);
    }
    if (isScalar(n)) {
      const v = n.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        return { type: 'scalar', value: v, pos: at };
      }
      if (v instanceof Date) return { type: 'scalar', value: v.toISOString(), pos: at };
      if (typeof v === 'bigint') return { type: 'scalar', value: Number(v), pos: at };
      return { type: 'scalar', value: String(v), pos: at };
    }
    if (isSeq(n)) return { type: 'seq', items: n.items.map((i) => convert(i, depth + 1)), pos: at };
    if (isMap(n)) {
      const entries: MapEntry[] = [];
      for (const pair of n.items) {
        const k = pair.key as YamlNode | null;
        const keyPos = pos(k?.range?.[0] ?? n.range?.[0]);
        const keyValue = isScalar(k) ? k.value : undefined;
        if (typeof keyValue !== 'string' && typeof keyValue !== 'number' && typeof keyValue !== 'boolean') {
          throw parseError(file, keyPos, 'map keys must be plain words');
        }
        const value: TreeNode =
          pair.value === null || pair.value === undefined
            ? { type: 'scalar', value: null, pos: keyPos }
            : convert(pair.value, depth + 1);
        entries.push({ key: String(keyValue), keyPos, value });
      }
      return { type: 'map', entries, pos: at };
    }
    throw parseError(file, at, 'unexpected YAML node');
  };
  return convert(doc.contents, 0);
}

/** A key given again in the same map: the key, and where it was first given. */
interface DuplicateKey {
  key: string;
  /** Offset of the first occurrence of the key. */
  firstAt: number;
}

/**
 * Every key given twice in one map, by the offset of the later one (where the yaml package reports
 * DUPLICATE_KEY, whose message "Map keys must be unique" names neither the key nor its first place). The
 * document keeps both pairs (yaml's compose pushes the pair after reporting it).
 */
function duplicateKeys(doc: Document.Parsed): Map<number, DuplicateKey> {
  const found = new Map<number, DuplicateKey>();
  try {
    visit(doc, {
      Map(_key, map) {
        const first = new Map<unknown, number>();
        for (const pair of map.items) {
          const k = pair.key as YamlNode | null;
          if (!isScalar(k) || k.range === undefined || k.range === null) continue;
          const at = first.get(k.value);
          if (at === undefined) first.set(k.value, k.range[0]);
          else found.set(k.range[0], { key: String(k.value), firstAt: at });
        }
      },
    });
  } catch (e) {
    // a document nested too deep for the walk: the message stays the yaml package's own
    if (!(e instanceof RangeError)) throw e;
  }
  return found;
}

/** `map keys must be unique: 'devices' is given twice in this map (first on line 3, column 3); keep one`. */
function duplicateMessage(dup: DuplicateKey, first: { line: number; col: number }): string {
  const key = dup.key.length > 100 ? `${dup.key.slice(0, 100)}…` : dup.key;
  return `map keys must be unique: '${key}' is given twice in this map (first on line ${first.line}, column ${first.col}); keep one`;
}

/**
 * Where flow nesting (`[` `{`) first goes deeper than MAX_NESTING_DEPTH, found in one pass before the yaml
 * parser recurses into it (quoted text and comments skipped); undefined when it never does.
 */
function flowDepthPastLimit(text: string): Position | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = i + 1;
    } else if (c === '"' || c === "'") {
      // skip the quoted text (a doubled '' or a \" escape stays inside)
      for (i++; i < text.length; i++) {
        const q = text[i];
        if (q === '\n') {
          line++;
          lineStart = i + 1;
        } else if (c === '"' && q === '\\') i++;
        else if (q === c) {
          if (c === "'" && text[i + 1] === "'") i++;
          else break;
        }
      }
    } else if (
      c === '#' &&
      (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t' || text[i - 1] === '\n')
    ) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING_DEPTH) return { line, column: i - lineStart + 1 };
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

const tooDeep = `nesting is deeper than ${MAX_NESTING_DEPTH} levels (an alias loop?)`;

/** SCENARIO_INVALID for a file past one of the limits of pki/limits.ts. */
function limitError(file: string, at: Position, message: string): CertfleetError {
  return scenarioInvalid(file, [{ file, line: at.line, column: at.column, path: '', message }]);
}

function parseError(file: string, at: Position, message: string): CertfleetError {
  return new CertfleetError(
    'SCENARIO_PARSE',
    `${file} is not valid YAML; fix it there:\n  ${file}:${at.line}:${at.column}: ${message}`,
    { details: { file, problems: [{ line: at.line, column: at.column, message }] } },
  );
}
