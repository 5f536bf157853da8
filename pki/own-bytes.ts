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
