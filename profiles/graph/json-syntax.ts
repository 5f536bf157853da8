/**
 * Locates the first syntax error in JSON text (RFC 8259), because `JSON.parse` in Node 20 does not always
 * say where it failed ("Unexpected token '}', … is not valid JSON"). Used for GRAPH_PARSE messages
 * (docs/architecture.md house rule 6: a parse error quotes where it failed). Nesting deeper than
 * MAX_NESTING_DEPTH (pki/limits.ts) is reported as an error here, before anything recurses that deep.
 */
import { MAX_NESTING_DEPTH } from '../../pki/limits.ts';

/** Where JSON text breaks: 0-based offset, 1-based line and column, and what was expected there. */
export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  expected: string;
}

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  let depth = 0;
  const fail = (expected: string): never => {
    throw new LocatedError(i, expected);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i += 1;
  };
  const literal = (word: string): void => {
    // Reported at the start of the misspelt word, where a person looks for it.
    if (!text.startsWith(word, i)) fail(`the literal ${word}`);
    i += word.length;
  };
  const string = (): void => {
    if (text[i] !== '"') fail('a string');
    i += 1;
    for (;;) {
      const ch = text[i];
      if (ch === undefined) fail('a closing quote');
      if (ch === '"') {
        i += 1;
        return;
      }
      if (ch !== undefined && ch < ' ') fail('an escaped control character');
      if (ch === '\\') {
        i += 1;
        const e = text[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k += 1) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail('4 hex digits after \\u');
            }
          }
          i += 5;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e))
          fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      }
      i += 1;
    }
  };
  const number = (): void => {
    const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (m === null || m[0] === '' || m[0] === '-') fail('a value');
    i += m?.[0].length ?? 0;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      if (depth >= MAX_NESTING_DEPTH) fail(`nesting no deeper than ${MAX_NESTING_DEPTH} levels`);
      depth += 1;
      container(ch);
      depth -= 1;
      return;
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    return number();
  };
  const container = (ch: string): void => {
    if (ch === '{') {
      i += 1;
      ws();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') fail("':' after the property name");
        i += 1;
        value();
        ws();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === '}') {
          i += 1;
          return;
        }
        fail("',' or '}' after a property value");
      }
    }
    if (ch === '[') {
      i += 1;
      ws();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === ']') {
          i += 1;
          return;
        }
        fail("',' or ']' after an array element");
      }
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of the text');
    return undefined;
  } catch (e) {
    if (!(e instanceof LocatedError)) throw e;
    const before = text.slice(0, e.offset);
    const lines = before.split('\n');
    return {
      offset: e.offset,
      line: lines.length,
      column: (lines.at(-1)?.length ?? 0) + 1,
      expected: e.expected,
    };
  }
}

class LocatedError extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`expected ${expected} at ${offset}`);
  }
}
