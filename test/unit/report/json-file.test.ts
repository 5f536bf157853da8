import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonText, writeJson, writeText } from '../../../simulator/report/json-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'json-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const expected = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Values where a walk could go wrong: empties, what JSON.stringify leaves out or turns to null, toJSON. */
const cases: [string, unknown][] = [
  ['an empty object', {}],
  ['an empty array', []],
  ['nested empties', { a: {}, b: [], c: [[], {}], d: [{}] }],
  [
    'undefined, functions and symbols',
    { a: undefined, b: () => 1, c: Symbol('s'), d: 1, e: [undefined, () => 2, Symbol('t'), 3] },
  ],
  ['only left-out properties', { a: undefined, b: { c: undefined } }],
  [
    'a Date and a toJSON object',
    { at: new Date(Date.UTC(2026, 0, 1)), t: { toJSON: () => ({ x: [1, 2] }) } },
  ],
  [
    'a Map and a class instance',
    {
      m: new Map([['k', 1]]),
      c: new (class {
        a = [1, { b: 2 }];
      })(),
    },
  ],
  [
    'strings that need escaping',
    { 'key "q"\n': 'line\nbreak\ttab \u2028 "quoted" \\ é 😀', [`\u0000`]: '\u001f' },
  ],
  ['numbers', { n: [0, -0, 1.5e300, NaN, Infinity, -1], big: Number.MAX_SAFE_INTEGER }],
  ['integer-like keys', { b: 1, 2: 'two', a: 3, 1: 'one' }],
  [
    'null, booleans and a null-prototype object',
    { n: null, t: true, f: false, o: Object.assign(Object.create(null) as object, { x: 1 }) },
  ],
  ['deep nesting', { a: [{ b: [{ c: [{ d: 'e' }] }] }] }],
  ['a top-level array', [1, 'two', { three: [3] }]],
  ['a top-level string', 'text'],
];

describe('jsonText: the bytes of JSON.stringify(value, null, 2) + newline', () => {
  it.each(cases)('%s', (_label, value) => {
    expect(jsonText(value)).toBe(expected(value));
  });
});

describe('writeJson', () => {
  it('writes a value larger than one write (several megabytes) with the same bytes', async () => {
    // rows shaped like report.json's outcomes and events, 3 MB and more of text
    const rows = Array.from({ length: 12_000 }, (_, i) => ({
      device: `device-${i}`,
      profile: i % 3 === 0 ? 'Root' : 'User certificate',
      status: i % 7 === 0 ? 'failed' : 'installed',
      ...(i % 7 === 0 ? { code: 'CA_DENIED', message: `denied "${i}"\nby policy` } : {}),
      renewals: i % 5,
      at: new Date(Date.UTC(2026, 0, 1, 0, i % 60)).toISOString(),
      detail: { thumbprint: 'ab'.repeat(20), sans: [{ type: 'upn', value: `user${i}@contoso.com` }] },
    }));
    const value = {
      format: 'report/1',
      outcomes: rows,
      events: rows.map((r) => ({ ...r, extra: undefined })),
      empty: [],
    };
    const path = join(dir, 'report.json');
    const file = await open(path, 'w');
    try {
      await writeJson(file, value);
    } finally {
      await file.close();
    }
    const text = readFileSync(path, 'utf8');
    expect(text.length).toBeGreaterThan(3 << 20);
    expect(text).toBe(expected(value));
  });
});

describe('writeText', () => {
  const written = async (name: string, text: string): Promise<Buffer> => {
    const path = join(dir, name);
    const file = await open(path, 'w');
    try {
      await writeText(file, text);
    } finally {
      await file.close();
    }
    return readFileSync(path);
  };

  it('writes a text of several megabytes whose writes would split a surrogate pair, byte for byte', async () => {
    // an emoji (two UTF-16 units) straddling the first 1 MiB boundary, and non-ASCII text after it
    const text = `${'a'.repeat((1 << 20) - 1)}😀${'é<tr>\n'.repeat(400_000)}😀`;
    const bytes = await written('report.html', text);
    expect(bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(bytes.includes(Buffer.from('\ufffd', 'utf8'))).toBe(false);
  });

  it('writes an empty text as an empty file', async () => {
    expect((await written('empty.xml', '')).length).toBe(0);
  });
});
