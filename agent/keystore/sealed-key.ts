/**
 * Private keys at rest in the key-store database (`agents.db`): each PKCS#8 blob is sealed with AES-256-GCM
 * under the store's key before it is written, and opened when it is read (issue 10 point 5). The store's
 * key never touches the disk: `certfleet run` makes one per run in memory; `certfleet agents` (whose store
 * outlives a restart) derives it from the fleet secret with HKDF-SHA256 ({@link storeKeyFromSecret}), so a
 * restart with the same `CERTFLEET_FLEET_SECRET` reads its store again.
 *
 * Sealed blob: `CFK1` (4 bytes) ‖ IV (12) ‖ GCM tag (16) ‖ ciphertext. The associated data binds the blob to
 * its row (device, store, thumbprint, kind), so a sealed key copied onto another row does not open.
 * Sources: NIST SP 800-38D (GCM, 96-bit IV), RFC 5869 (HKDF).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CertfleetError } from '../../pki/errors.ts';
import { witnessSecret } from '../../pki/secret-witness.ts';

const MAGIC = Buffer.from('CFK1', 'latin1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A fresh random store key (32 bytes, crypto.randomBytes), witnessed as a secret. */
export function randomStoreKey(): Buffer {
  return witnessSecret('store-key', randomBytes(32));
}

/** The store key of a fleet secret: HKDF-SHA256(secret, info `certfleet/agents.db`), 32 bytes. */
export function storeKeyFromSecret(secret: Buffer): Buffer {
  return witnessSecret(
    'store-key',
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'certfleet/agents.db', 32)),
  );
}

/** Seals `plain` (a PKCS#8 DER private key) under `key`, bound to `aad`. */
export function sealKey(key: Buffer, aad: string, plain: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

/** Whether `blob` is a sealed key (as opposed to a bare PKCS#8 of an older store). */
export function isSealed(blob: Buffer): boolean {
  return blob.length > MAGIC.length + IV_BYTES + TAG_BYTES && blob.subarray(0, 4).equals(MAGIC);
}

/**
 * Opens a blob {@link sealKey} made.
 * @throws CertfleetError KEYSTORE_SEALED when `key` is not the key it was sealed with (or the row differs).
 */
export function openSealedKey(key: Buffer, aad: string, blob: Buffer): Buffer {
  const iv = blob.subarray(4, 4 + IV_BYTES);
  const tag = blob.subarray(4 + IV_BYTES, 4 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(4 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new CertfleetError(
      'KEYSTORE_SEALED',
      'A private key in the key-store database does not open with this store key: the folder was written ' +
        'with another CERTFLEET_FLEET_SECRET. Run with the secret it was written with, or start from a new folder.',
      { cause },
    );
  }
}
