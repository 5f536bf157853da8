/**
 * Broker password hashes in Mosquitto's own format, so that one credentials table serves the embedded
 * broker (which verifies them itself) and the Mosquitto password file (written as is):
 * `$7$<iterations>$<base64 salt>$<base64 hash>`, PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte hash,
 * 101 iterations — what `mosquitto_passwd` 2.0 writes (checked against mosquitto_passwd 2.0.11 output).
 * @see https://github.com/eclipse/mosquitto/blob/v2.0.11/apps/mosquitto_passwd/mosquitto_passwd.c
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CertfleetError } from '../../pki/errors.ts';

/** Mosquitto 2.0's default PBKDF2 iteration count. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;

/** Hashes `password` as `$7$101$salt$hash`; `salt` (12 bytes) is random unless given (tests). */
export function hashPassword(password: string, salt: Buffer = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, MOSQUITTO_PBKDF2_ITERATIONS, 64, 'sha512');
  return `$7$${MOSQUITTO_PBKDF2_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches a `$7$` hash (constant-time comparison). */
export function verifyPassword(password: string, encoded: string): boolean {
  const parts = encoded.split('$');
  if (parts.length !== 5 || parts[1] !== '7') {
    throw new CertfleetError(
      'BROKER_START',
      'A broker password hash is not in the Mosquitto $7$ (PBKDF2-SHA512) format; hash it with hashPassword().',
    );
  }
  const iterations = Number(parts[2]);
  const salt = Buffer.from(parts[3] ?? '', 'base64');
  const expected = Buffer.from(parts[4] ?? '', 'base64');
  if (!Number.isInteger(iterations) || iterations < 1 || expected.length === 0) return false;
  const actual = pbkdf2Sync(password, salt, iterations, expected.length, 'sha512');
  return timingSafeEqual(actual, expected);
}
