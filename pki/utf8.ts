/**
 * Where UTF-8 bytes first break (RFC 3629 §4: the well-formed sequences, no overlongs, no surrogates, nothing
 * above U+10FFFF), in one linear pass. `TextDecoder` with `fatal: true` says that a buffer is bad, not where;
 * decoding ever longer prefixes to find out is quadratic (issue 10: 200 KB took minutes).
 */

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, or undefined when all are. */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return undefined;
}
