/**
 * A copy of some bytes in an ArrayBuffer of their own, for bytes that are kept a long time (a parsed
 * certificate, an installed identity). `Buffer.from(bytes)` and `Buffer.alloc*` below 4 KiB carve small
 * buffers out of Node's shared 8 KiB pool: one long-lived slice keeps its whole 8 KiB slab alive, with
 * whatever short-lived bytes were carved next to it. Measured on the idle bench (1,000 connected agents,
 * `npm run bench -- idle`): the management certificates held by agents and service kept 2,900 such slabs
 * alive, 23 MiB for 1.6 MiB of certificates.
 *
 * @see https://nodejs.org/api/buffer.html#static-method-bufferallocunsafesize (the pool, `Buffer.poolSize`)
 */
export function ownBytes(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * A copy of a string in memory of its own, for a short string that is kept a long time. A substring V8
 * makes (`slice`, a regular expression's match) may be a *sliced string*: a view that keeps the whole
 * string it was cut from alive. A payload's identifier cut from the payload's text kept each payload's
 * text (4–5 KiB) for as long as the delivery lived (heap snapshot of a 500-device run). Re-encoding the
 * string makes a flat one.
 *
 * @see https://v8.dev/blog/string (sliced strings: "a SlicedString … references its parent string")
 */
export function ownString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
