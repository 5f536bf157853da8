/**
 * Sealing secrets at rest under a passphrase: scrypt (RFC 7914) turns the passphrase and a random salt into
 * a 256-bit key, and each secret is sealed with AES-256-GCM (NIST SP 800-38D) under its own random 96-bit
 * IV, with associated data that binds it to its place (a key pool binds each key to its kind and number,
 * so a sealed key cannot be swapped for another). A wrong passphrase or a changed byte fails the GCM tag
 * check: nothing is ever decrypted to garbage. All of it is node:crypto.
 *
 * @example
 * const params = newSealParams();
 * const key = deriveSealKey('correct horse', params);
 * const sealed = seal(key, Buffer.from('secret'), 'aad');
 * open(key, sealed, 'aad'); // Buffer 'secret' (or undefined when the key or the bytes are wrong)
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/** The scrypt parameters and salt a passphrase is stretched with (stored beside what they protect). */
export interface SealParams {
  /** scrypt cost N (a power of two). */
  n: number;
  /** scrypt block size r. */
  r: number;
  /** scrypt parallelism p. */
  p: number;
  /** Random salt, 16 bytes. */
  salt: Buffer;
}

/** scrypt N = 2^15, r = 8, p = 1: the interactive-login cost RFC 7914 §2 discusses (32 MiB, ~0.1 s). */
export const DEFAULT_SEAL_COST = { n: 2 ** 15, r: 8, p: 1 } as const;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Fresh parameters: the default cost and a new random salt. */
export function newSealParams(): SealParams {
  return { ...DEFAULT_SEAL_COST, salt: randomBytes(16) };
}

/** The 256-bit sealing key for `passphrase` under `params` (scrypt). */
export function deriveSealKey(passphrase: string, params: SealParams): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), params.salt, 32, {
    N: params.n,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.n * params.r + 16 * 2 ** 20,
  });
}

/** `iv ‖ ciphertext ‖ tag`: `plaintext` sealed with AES-256-GCM under `key`, bound to `aad`. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/**
 * The plaintext of a {@link seal}ed blob, or undefined when it does not authenticate (a wrong key, a
 * different `aad`, a changed or truncated blob).
 */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer | undefined {
  if (sealed.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}
