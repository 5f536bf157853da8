/**
 * Writes a value as indented JSON to a file piece by piece: the same bytes as
 * `JSON.stringify(value, null, 2) + '\n'`, without the whole text — nor the Buffer a single `writeFile`
 * makes of it — ever held at once (issue 11 point 3: report.json is about 3.6 KB per device, and at
 * 10,000 devices the one string and its Buffer added some 70 MB to the run's peak, at its very end).
 *
 * Plain objects and arrays are walked; every other value (strings, numbers, objects with `toJSON` such as
 * Date) goes through `JSON.stringify` itself, so escaping and number forms are JSON.stringify's own. A
 * walked value's pieces are the text `JSON.stringify` gives it at that depth: its lines indented by two
 * spaces per level (a JSON text has no raw line break inside a string, so indenting its lines is safe).
 */
import type { FileHandle } from 'node:fs/promises';

/** Text gathered before one write (characters). */
const CHUNK = 1 << 20;

/** A plain object or array, walked piece by piece (anything with `toJSON` is left to JSON.stringify). */
function walked(v: unknown): v is Record<string, unknown> | unknown[] {
  if (typeof v !== 'object' || v === null) return false;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  return (
    Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null
  );
}

/**
 * The JSON text of `v` at `indent` (the indentation of the line it starts on), in pieces, as
 * `JSON.stringify(…, null, 2)` writes it there; undefined when JSON.stringify leaves it out (undefined, a
 * function, a symbol).
 */
function* pieces(v: unknown, indent: string): Generator<string, void, undefined> {
  if (!walked(v)) {
    const text = JSON.stringify(v, null, 2);
    if (text !== undefined) yield indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < v.length; i += 1) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      let any = false;
      for (const p of pieces(v[i], inner)) {
        any = true;
        yield p;
      }
      if (!any) yield 'null'; // as JSON.stringify writes an array's undefined, function or symbol
    }
    yield `\n${indent}]`;
    return;
  }
  let first = true;
  for (const [k, value] of Object.entries(v)) {
    const it = pieces(value, inner);
    const head = it.next();
    if (head.done) continue; // left out, as JSON.stringify leaves it out
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(k)}: `;
    first = false;
    yield head.value;
    yield* it;
  }
  yield first ? '{}' : `\n${indent}}`;
}

/**
 * Writes `JSON.stringify(value, null, 2) + '\n'` to `file` in writes of about a megabyte.
 * @example
 * const fh = await open(tmp, 'w'); try { await writeJson(fh, report); } finally { await fh.close(); }
 */
export async function writeJson(file: FileHandle, value: unknown): Promise<void> {
  let buffered = '';
  for (const p of pieces(value, '')) {
    buffered += p;
    if (buffered.length >= CHUNK) {
      await file.write(buffered, null, 'utf8');
      buffered = '';
    }
  }
  await file.write(`${buffered}\n`, null, 'utf8');
}

/** The text {@link writeJson} writes, as one string (for tests and small values). */
export function jsonText(value: unknown): string {
  let out = '';
  for (const p of pieces(value, '')) out += p;
  return `${out}\n`;
}
