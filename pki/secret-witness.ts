/**
 * Secrets a run makes, made from node:crypto, and a witness that can watch them being made.
 *
 * Every secret certfleet makes — a PFX password, a private key, the fleet secret behind broker passwords, a
 * derived broker password, the key that seals the devices' key stores — goes through {@link witnessSecret}
 * at the moment it is made. Nothing listens in normal use (the call is a test of an empty set); a test
 * that must prove no secret leaks into a run folder or the console listens with {@link watchSecrets}, so
 * it knows every secret the run made without reaching into the parts that hold them (issue 10 point 5).
 *
 * Secrets never come from the seeded `Random` (protocol/runtime/random.ts): whoever knows a scenario's
 * seed — it is printed in every report — could derive them. See docs/architecture.md "Real parts".
 */
import { randomBytes, randomInt, type KeyObject } from 'node:crypto';

/** What a witnessed secret is. */
export type SecretKind =
  'pfx-password' | 'private-key' | 'fleet-secret' | 'broker-password' | 'store-key' | 'ca-passphrase';

/** One witnessed secret: a string, raw bytes, or a private key (seen in every encoding by the listener). */
export type SecretValue = string | Buffer | KeyObject;

/** Called for every secret made while it listens. */
export type SecretListener = (kind: SecretKind, value: SecretValue) => void;

const listeners = new Set<SecretListener>();

/**
 * Listens to every secret made from now on, until the returned function is called. For tests: the
 * secret-scan test of issue 10 collects a run's secrets this way.
 */
export function watchSecrets(listener: SecretListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells the listeners (if any) that `value` is a secret of kind `kind`; returns `value`. */
export function witnessSecret<T extends SecretValue>(kind: SecretKind, value: T): T {
  for (const l of listeners) l(kind, value);
  return value;
}

/** The alphabet of {@link randomPassword}: no look-alike characters (0/O, 1/l/I). */
export const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * A password of `length` characters of {@link PASSWORD_ALPHABET}, each drawn uniformly with
 * `crypto.randomInt` (a CSPRNG; 20 characters carry about 116 bits). Witnessed as `kind`.
 */
export function randomPassword(length = 20, kind: SecretKind = 'pfx-password'): string {
  let s = '';
  for (let i = 0; i < length; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return witnessSecret(kind, s);
}

/** `n` bytes from `crypto.randomBytes`, witnessed as `kind`. */
export function randomSecretBytes(n: number, kind: SecretKind): Buffer {
  return witnessSecret(kind, randomBytes(n));
}
