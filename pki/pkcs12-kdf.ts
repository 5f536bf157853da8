/**
 * The PKCS#12 password-based key derivation function (RFC 7292 Appendix B.2) over native hashes, and the
 * BMPString password encoding it takes (RFC 7292 Appendix B.1).
 *
 * Used for the pkcs-12PbeIds ciphers (3DES) and for the PFX MAC key. PBES2 does not use it (PBES2 is
 * PBKDF2 over the UTF-8 password, see pkcs12-cipher.ts).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292#appendix-B
 */
import { createHash, hash as oneShotHash } from 'node:crypto';

/** Purpose byte of the KDF ("ID" in RFC 7292 B.3): 1 cipher key, 2 IV, 3 MAC key. */
export type Pkcs12KdfPurpose = 1 | 2 | 3;

/** Hashes the KDF accepts, with their output length u and block length v in bytes (RFC 7292 B.2). */
export const PKCS12_KDF_HASHES = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
} as const;

/** A hash name the KDF (and the PFX MAC) supports. */
export type Pkcs12Hash = keyof typeof PKCS12_KDF_HASHES;

/**
 * The password as RFC 7292 B.1 wants it: UTF-16 big-endian code units followed by two zero bytes.
 * The empty password becomes `00 00` (what OpenSSL writes for `-passout pass:`); readers that also accept
 * the zero-length form use {@link pkcs12PasswordCandidates}.
 */
export function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/**
 * The BMPString encodings to try when reading: the password itself, and for the empty password also the
 * zero-length form (Java/BouncyCastle write the empty password as no bytes at all; OpenSSL and BoringSSL
 * try both, and so do we).
 */
export function pkcs12PasswordCandidates(password: string): Buffer[] {
  return password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
}

const digest: (alg: string, data: Buffer) => Buffer =
  typeof oneShotHash === 'function'
    ? (alg, data) => oneShotHash(alg, data, 'buffer')
    : (alg, data) => createHash(alg).update(data).digest();

function repeatToMultiple(src: Buffer, v: number): Buffer {
  if (src.length === 0) return Buffer.alloc(0);
  const len = v * Math.ceil(src.length / v);
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[i] = src[i % src.length] as number;
  return out;
}

/**
 * Derives `length` bytes from a BMPString password (RFC 7292 B.2).
 *
 * @param hashName the hash H (also fixes u and v)
 * @param password the password already encoded by {@link bmpPassword} (or a zero-length buffer)
 * @param salt the salt from the PBE parameters or the MacData
 * @param iterations the iteration count r (≥ 1)
 * @param id 1 = key, 2 = IV, 3 = MAC key
 * @param length how many bytes to produce
 */
export function pkcs12Kdf(
  hashName: Pkcs12Hash,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  id: Pkcs12KdfPurpose,
  length: number,
): Buffer {
  return memoisedDerivation(`pkcs12-kdf ${hashName} ${iterations} ${id} ${length}`, [salt, password], () =>
    derive(hashName, password, salt, iterations, id, length),
  );
}

/**
 * A password-based derivation (the PKCS#12 KDF here, PBKDF2 in pkcs12-cipher.ts) made at most once per
 * process for the same inputs: a PFX built in this process is usually parsed in it too (the connector builds
 * it, the device reads it), and the second derivation is a lookup. Keyed by a SHA-256 of `label` and the
 * inputs (never the password itself); bounded (least recently used goes first); the bytes are the same either
 * way, and each caller gets its own copy.
 */
export function memoisedDerivation(label: string, inputs: readonly Buffer[], compute: () => Buffer): Buffer {
  const h = createHash('sha256').update(label);
  for (const b of inputs) h.update(`|${b.length}|`).update(b);
  const key = h.digest('base64');
  const known = DERIVED.get(key);
  if (known) {
    DERIVED.delete(key); // most recently used last
    DERIVED.set(key, known);
    recorder?.push([key, new Uint8Array(known)]);
    return Buffer.from(known);
  }
  const derived = compute();
  computed += 1;
  remember(key, Buffer.from(derived));
  recorder?.push([key, new Uint8Array(derived)]);
  return derived;
}

function remember(key: string, bytes: Buffer): void {
  DERIVED.delete(key);
  DERIVED.set(key, bytes);
  if (DERIVED.size > DERIVED_LIMIT) DERIVED.delete(DERIVED.keys().next().value as string);
}

/**
 * Derivations as they cross between threads: the memo key (a SHA-256, never the password) and the bytes.
 * Secret material: it travels only inside the process (postMessage), never to a log or a file.
 */
export type Pkcs12Derivations = Array<[key: string, bytes: Uint8Array]>;

/** Where {@link withDerivationsRecorded} collects, while it runs. */
let recorder: Pkcs12Derivations | undefined;

/**
 * Runs `fn` and returns, with its result, every derivation it made or looked up. An issuance worker
 * (pkcs12-worker.ts) sends them back with the PFX it built, so that the thread which parses that PFX — the
 * device, in a one-process run — looks the keys up instead of deriving them a second time (issue 11 point 2).
 */
export function withDerivationsRecorded<T>(fn: () => T): { result: T; derivations: Pkcs12Derivations } {
  const outer = recorder;
  const derivations: Pkcs12Derivations = [];
  recorder = derivations;
  try {
    return { result: fn(), derivations };
  } finally {
    recorder = outer;
  }
}

/**
 * Takes derivations made by another thread of this process ({@link withDerivationsRecorded}) into this
 * thread's memo: a pure function's results, keyed by the same SHA-256 of its inputs, so a later derivation
 * of the same inputs here gives the same bytes either way. Malformed entries are skipped.
 */
export function learnDerivations(derivations: readonly (readonly [string, Uint8Array])[]): void {
  for (const entry of derivations) {
    const [key, bytes] = entry;
    if (typeof key !== 'string' || !(bytes instanceof Uint8Array)) continue;
    remember(key, Buffer.from(bytes));
  }
}

/**
 * Derivations already made, least recently used first (a pure function's memo: same inputs, same bytes).
 * 1,024 entries of ≤ 64 bytes: a few hundred PFX files in flight at once.
 */
const DERIVED = new Map<string, Buffer>();
const DERIVED_LIMIT = 1024;

/** Derivations this thread computed (not looked up) so far. */
let computed = 0;

/** How many derivations this thread has computed rather than looked up (tests, the PKCS#12 bench). */
export function pkcs12DerivationsComputed(): number {
  return computed;
}

/** Forgets every memoised derivation (the PKCS#12 bench, so that a parse it times derives for real). */
export function forgetPkcs12Derivations(): void {
  DERIVED.clear();
}

/** RFC 7292 B.2 itself. */
function derive(
  hashName: Pkcs12Hash,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  id: Pkcs12KdfPurpose,
  length: number,
): Buffer {
  const { u, v } = PKCS12_KDF_HASHES[hashName];
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([repeatToMultiple(salt, v), repeatToMultiple(password, v)]);
  const blocks = Math.ceil(length / u);
  const out = Buffer.alloc(blocks * u);
  const B = Buffer.alloc(v);
  for (let i = 0; i < blocks; i++) {
    let A = digest(hashName, Buffer.concat([D, I]));
    for (let r = 1; r < iterations; r++) A = digest(hashName, A);
    A.copy(out, i * u);
    if (i + 1 === blocks) break;
    for (let k = 0; k < v; k++) B[k] = A[k % u] as number;
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block I_j of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return out.subarray(0, length);
}
