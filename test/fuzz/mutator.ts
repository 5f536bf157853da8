/**
 * A seeded mutator for the fuzz suite (no dependency): from valid seed inputs it makes hostile ones — byte
 * flips, truncation, duplication, splicing of two seeds, deep nesting, huge numbers and strings, bad UTF-8.
 * The same seed gives the same cases, so a failure reproduces from the seed the suite prints.
 */

/** A small seeded PRNG (mulberry32): fast, 32-bit state, good enough to choose mutations. */
export class FuzzRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** The names of the mutations, for reports. */
export const MUTATIONS = [
  'seed',
  'flip',
  'truncate',
  'duplicate',
  'splice',
  'insert-token',
  'deep-nesting',
  'der-nesting',
  'huge-number',
  'huge-string',
  'bad-utf8',
  'random-bytes',
  'repeat',
] as const;
/** One mutation. */
export type Mutation = (typeof MUTATIONS)[number];

/** Text fragments that break parsers: structure, numbers, escapes, entities, aliases. */
const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '<',
  '>',
  '</dict>',
  '<dict>',
  '<array>',
  '<key>',
  '<data>',
  '&amp;',
  '&#0;',
  '&bogus;',
  '<![CDATA[',
  ']]>',
  '<!DOCTYPE x [<!ENTITY e "ee">]>',
  '*a',
  '&a ',
  '!!js/function',
  '\\u0000',
  '\\ud800',
  '\n',
  '\t',
  '- ',
  '? ',
  '%',
  '-0',
  '1e999',
  '9007199254740993',
  'NaN',
  'null',
  'true',
  '0x',
  '-----BEGIN CERTIFICATE-----',
  '-----END CERTIFICATE-----',
  '=',
  '==',
  '\u0000',
  '\uFEFF',
  '\uFFFF',
];

/** Openers and closers for deep nesting in each syntax. */
const NESTS: readonly [string, string][] = [
  ['[', ']'],
  ['{"a":', '}'],
  ['<array>', '</array>'],
  ['<dict><key>k</key>', '</dict>'],
  ['<a>', '</a>'],
  ['- ', ''],
  ['a: {b: ', '}'],
];

/** Mutates `input` with mutation `m` (chosen by the caller or at random); `other` is a second seed for splicing. */
export function mutate(r: FuzzRandom, input: Buffer, other: Buffer, m: Mutation): Buffer {
  const at = (): number => r.int(input.length + 1);
  switch (m) {
    case 'seed':
      return input;
    case 'flip': {
      const out = Buffer.from(input);
      const n = 1 + r.int(8);
      for (let k = 0; k < n && out.length > 0; k++) {
        const i = r.int(out.length);
        out[i] = r.next() < 0.5 ? out[i]! ^ (1 << r.int(8)) : r.int(256);
      }
      return out;
    }
    case 'truncate':
      return input.subarray(0, at());
    case 'duplicate': {
      const a = at();
      const b = Math.min(input.length, a + 1 + r.int(256));
      return Buffer.concat([input.subarray(0, b), input.subarray(a, b), input.subarray(b)]);
    }
    case 'splice': {
      const a = at();
      const b = r.int(other.length + 1);
      return Buffer.concat([input.subarray(0, a), other.subarray(b)]);
    }
    case 'insert-token': {
      const a = at();
      const t = Buffer.from(r.pick(TOKENS), 'utf8');
      return Buffer.concat([input.subarray(0, a), t, input.subarray(a)]);
    }
    case 'deep-nesting': {
      const [open, close] = r.pick(NESTS);
      const depth = r.pick([100, 1_000, 3_000, 10_000]);
      const a = at();
      // block-style YAML nesting grows with the square of its depth (indentation): kept to 300 levels
      const opens =
        open === '- '
          ? Array.from({ length: Math.min(depth, 300) }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')
          : open.repeat(depth);
      return Buffer.concat([
        input.subarray(0, a),
        Buffer.from(opens + '1' + close.repeat(depth), 'utf8'),
        input.subarray(a),
      ]);
    }
    case 'der-nesting': {
      // the input (or a piece of it) wrapped in SEQUENCEs (definite or indefinite length), for the ASN.1 readers
      const depth = r.pick([50, 500, 3_000]);
      const indefinite = r.next() < 0.3;
      let inner = input.subarray(0, r.int(Math.min(input.length, 512) + 1));
      if (indefinite) {
        return Buffer.concat([
          Buffer.from('3080'.repeat(depth), 'hex'),
          inner,
          Buffer.from('0000'.repeat(depth), 'hex'),
        ]);
      }
      for (let k = 0; k < depth; k++) inner = Buffer.concat([derHeader(0x30, inner.length), inner]);
      return inner;
    }
    case 'huge-number': {
      const a = at();
      const n = r.pick([
        '9'.repeat(400),
        '1e308',
        '-1e309',
        '1' + '0'.repeat(30),
        '0.' + '0'.repeat(400) + '1',
        '4294967297',
        '-9007199254740993',
      ]);
      return Buffer.concat([input.subarray(0, a), Buffer.from(n), input.subarray(a)]);
    }
    case 'huge-string': {
      const a = at();
      const size = r.pick([10_000, 100_000, 1_000_000]);
      const ch = r.pick(['A', 'x', '=', ' ', '\\', '&', 'é']);
      return Buffer.concat([input.subarray(0, a), Buffer.from(ch.repeat(size), 'utf8'), input.subarray(a)]);
    }
    case 'bad-utf8': {
      const a = at();
      const bad = r.pick([
        [0xff],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
        [0xe2, 0x82],
        [0xf4, 0x90, 0x80, 0x80],
        [0x80],
      ]);
      return Buffer.concat([input.subarray(0, a), Buffer.from(bad), input.subarray(a)]);
    }
    case 'random-bytes': {
      const out = Buffer.alloc(r.int(512));
      for (let i = 0; i < out.length; i++) out[i] = r.int(256);
      return out;
    }
    case 'repeat': {
      const a = at();
      const b = Math.min(input.length, a + 1 + r.int(64));
      const piece = input.subarray(a, b);
      const times = r.pick([10, 100, 1000]);
      return Buffer.concat([
        input.subarray(0, b),
        ...Array.from({ length: times }, () => piece),
        input.subarray(b),
      ]);
    }
  }
}

/** A DER tag and definite length (X.690 §8.1.3). */
function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

/** One case: a mutation chosen at random (sometimes two stacked), applied to a seed. */
export function nextCase(r: FuzzRandom, seeds: readonly Buffer[]): { input: Buffer; mutations: Mutation[] } {
  let input = r.pick(seeds);
  const mutations: Mutation[] = [];
  const rounds = r.next() < 0.25 ? 2 : 1;
  for (let k = 0; k < rounds; k++) {
    const m = r.pick(MUTATIONS);
    mutations.push(m);
    input = mutate(r, input, r.pick(seeds), m);
  }
  return { input, mutations };
}
