/**
 * The serial numbers of a run's fresh CA: a byte stream derived from the scenario's seed, so the same run
 * issues the same serials (the keys are fresh anyway), and a stream that **continues** where a killed
 * process left it, so a CA reopened on its folder (a `serve` resumed, issue 10 point 3) never issues a
 * serial it issued before.
 *
 * The stream: call k (0, 1, 2, …) returns the first `n` bytes of SHA-256(`label/k`) ‖ SHA-256(`label/k+1`)…,
 * one counter step per 32 bytes, the CA asks for 16 bytes per certificate it signs (enterprise-ca.ts
 * `serialHex`: it keeps bytes 1–15 as they are and forces the high nibble of byte 0). A resumed stream
 * starts again at call 0 and steps over every block whose bytes 1–15 are those of a serial the CA already
 * signed (its root, its issuing CA, every record of its issued log): the next serial it hands out is the
 * one the uninterrupted CA would have handed out next, and none is handed out twice. Each known serial is
 * stepped over once, so the stream never stalls on a serial the CA does not know.
 *
 * @example
 * const serials = new SeededSerials(`${seed}/ca`);
 * const ca = EnterpriseCa.open(dir, { random: serials.bytes });
 * serials.skip([ca.root.serialNumber, ca.issuing.serialNumber, ...ca.issuedRecords().map((r) => r.serial)]);
 */
import { createHash } from 'node:crypto';

/** The bytes of a serial the CA forms from a 16-byte block that are the block's own (bytes 1–15). */
const KEPT_HEX = 30;

/** A seeded serial byte stream that can step over the serials a CA already signed (see the file comment). */
export class SeededSerials {
  readonly #label: string;
  #counter = 0;
  /** The kept hex (bytes 1–15) of known serials, each with how many times it is still to be stepped over. */
  readonly #skip = new Map<string, number>();

  constructor(label: string) {
    this.#label = label;
  }

  /** `n` bytes of the stream (the CA's `random`); bound, so it can be passed as it is. */
  readonly bytes = (n: number): Buffer => {
    for (;;) {
      const out = this.#take(n);
      if (n !== 16) return out;
      const kept = out.subarray(1).toString('hex').toUpperCase();
      const left = this.#skip.get(kept);
      if (left === undefined) return out;
      if (left <= 1) this.#skip.delete(kept);
      else this.#skip.set(kept, left - 1);
    }
  };

  /** Steps over these serials (hex, any case) when the stream reaches them: the ones the CA signed already. */
  skip(serials: Iterable<string>): void {
    for (const s of serials) {
      const hex = s.replace(/[^0-9a-f]/gi, '').toUpperCase();
      if (hex.length < KEPT_HEX) continue; // not one this stream made (an imported CA's serial)
      const kept = hex.slice(-KEPT_HEX);
      this.#skip.set(kept, (this.#skip.get(kept) ?? 0) + 1);
    }
  }

  /** How many of the serials given to {@link skip} the stream has not reached yet. */
  get pending(): number {
    let n = 0;
    for (const v of this.#skip.values()) n += v;
    return n;
  }

  #take(n: number): Buffer {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHash('sha256').update(`${this.#label}/${this.#counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  }
}
