/**
 * Writes a report to a file piece by piece. {@link writeJson}: a value as indented JSON, the same bytes as
 * `JSON.stringify(value, null, 2) + '\n'`, without the whole text — nor the Buffer a single `writeFile`
 * makes of it — ever held at once (issue 11 point 3: report.json is about 3.6 KB per device, and at
 * 10,000 devices the one string and its Buffer added some 70 MB to the run's peak, at its very end).
 *
 * Plain objects and arrays are walked; every other value (strings, numbers, objects with `toJSON` such as
 * Date) goes through `JSON.stringify` itself, so escaping and number forms are JSON.stringify's own. A
 * walked value's pieces are the text `JSON.stringify` gives it at that depth: its lines indented by two
 * spaces per level (a JSON text has no raw line break inside a string, so indenting its lines is safe).
 * {@link writeText}: a text already made (report.html, junit.xml), a megabyte at a time.
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

/**
 * Writes `text` a megabyte at a time: `writeFile` would first make one Buffer of the whole text — at
 * 10,000 devices report.html and junit.xml are some 17 and 8 MB, held twice at the run's very end.
 */
export async function writeText(file: FileHandle, text: string): Promise<void> {
  let at = 0;
  do {
    let end = Math.min(text.length, at + CHUNK);
    // never between the two halves of a surrogate pair (each half alone would be written as U+FFFD)
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    await file.write(text.slice(at, end), null, 'utf8');
    at = end;
  } while (at < text.length);
}

/** The text {@link writeJson} writes, as one string (for tests and small values). */
export function jsonText(value: unknown): string {
  let out = '';
  for (const p of pieces(value, '')) out += p;
  return `${out}\n`;
}
