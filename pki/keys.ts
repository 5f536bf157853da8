/**
 * Key pairs: native generation (node:crypto, off the main thread), the key "spec" of a public key, and
 * PEM/DER import and export (private keys as PKCS#8, public keys as SubjectPublicKeyInfo).
 *
 * @example
 * const pair = await generateKeyPair({ kind: 'ec', curve: 'P-256' });
 * keySpecOf(pair.publicKey); // { kind: 'ec', curve: 'P-256' }
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as nodeGenerateKeyPair,
  type KeyObject,
} from 'node:crypto';
import { CertfleetError } from './errors.ts';
import { rsaJwkOfPkcs8, rsaJwkOfSpki } from './rsa-jwk.ts';
import { witnessSecret } from './secret-witness.ts';

/** The key algorithms certfleet issues: RSA 2048/3072/4096 and ECDSA on P-256/P-384. */
export type KeySpec = { kind: 'rsa'; size: 2048 | 3072 | 4096 } | { kind: 'ec'; curve: 'P-256' | 'P-384' };

/** A native key pair. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const RSA_SIZES: readonly number[] = [2048, 3072, 4096];
const CURVE_TO_NODE: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };
const NODE_TO_CURVE: Record<string, 'P-256' | 'P-384'> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/** Throws KEY_UNSUPPORTED unless `spec` is one of the supported {@link KeySpec}s. */
export function assertKeySpec(spec: KeySpec): void {
  if (spec.kind === 'rsa') {
    if (!RSA_SIZES.includes(spec.size)) {
      throw new CertfleetError(
        'KEY_UNSUPPORTED',
        `RSA key size ${String(spec.size)} is not supported; use 2048, 3072 or 4096.`,
        {
          details: { spec },
        },
      );
    }
    return;
  }
  if (spec.kind === 'ec') {
    if (!(spec.curve in CURVE_TO_NODE)) {
      throw new CertfleetError(
        'KEY_UNSUPPORTED',
        `Elliptic curve ${String(spec.curve)} is not supported; use P-256 or P-384.`,
        {
          details: { spec },
        },
      );
    }
    return;
  }
  throw new CertfleetError(
    'KEY_UNSUPPORTED',
    `Key kind ${String((spec as { kind: unknown }).kind)} is not supported; use rsa or ec.`,
    {
      details: { spec },
    },
  );
}

/**
 * Generates a key pair with node:crypto. The work runs on libuv's thread pool, so the event loop stays free.
 * Throws KEY_UNSUPPORTED for any size or curve outside {@link KeySpec}.
 */
export async function generateKeyPair(spec: KeySpec): Promise<KeyPair> {
  assertKeySpec(spec);
  return new Promise<KeyPair>((resolve, reject) => {
    const done = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (err)
        reject(new CertfleetError('INTERNAL', `Key generation failed: ${err.message}`, { cause: err }));
      else resolve({ privateKey: witnessSecret('private-key', privateKey), publicKey });
    };
    if (spec.kind === 'rsa')
      nodeGenerateKeyPair('rsa', { modulusLength: spec.size, publicExponent: 0x10001 }, done);
    else nodeGenerateKeyPair('ec', { namedCurve: CURVE_TO_NODE[spec.curve] ?? spec.curve }, done);
  });
}

/** The {@link KeySpec} of a public (or private) key; KEY_UNSUPPORTED for any other algorithm or size. */
export function keySpecOf(key: KeyObject): KeySpec {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const size = details.modulusLength ?? 0;
    if (size === 2048 || size === 3072 || size === 4096) return { kind: 'rsa', size };
    throw new CertfleetError(
      'KEY_UNSUPPORTED',
      `RSA key size ${String(size)} is not supported; use 2048, 3072 or 4096.`,
      {
        details: { size },
      },
    );
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = NODE_TO_CURVE[details.namedCurve ?? ''];
    if (curve) return { kind: 'ec', curve };
    throw new CertfleetError(
      'KEY_UNSUPPORTED',
      `Elliptic curve ${String(details.namedCurve)} is not supported; use P-256 or P-384.`,
      {
        details: { curve: details.namedCurve },
      },
    );
  }
  throw new CertfleetError(
    'KEY_UNSUPPORTED',
    `Key algorithm ${String(key.asymmetricKeyType)} is not supported; use RSA or EC.`,
    {
      details: { type: key.asymmetricKeyType },
    },
  );
}

/** A short label for a key spec, e.g. `RSA-2048` or `EC-P-256`. */
export function keySpecLabel(spec: KeySpec): string {
  return spec.kind === 'rsa' ? `RSA-${String(spec.size)}` : `EC-${spec.curve}`;
}

function isPem(input: string | Uint8Array): input is string {
  return typeof input === 'string';
}

/**
 * Imports a private key from PEM (PKCS#8 `PRIVATE KEY`; PKCS#1 and SEC1 PEM are accepted too) or PKCS#8 DER.
 * Encrypted keys are not accepted here. Throws KEY_PARSE.
 */
export function importPrivateKey(input: string | Uint8Array): KeyObject {
  try {
    if (isPem(input)) return createPrivateKey({ key: input, format: 'pem' });
    return privateKeyFromPkcs8(input);
  } catch (cause) {
    throw new CertfleetError(
      'KEY_PARSE',
      'The private key could not be parsed: expected an unencrypted PKCS#8 key (PEM or DER).',
      {
        cause,
      },
    );
  }
}

/** Imports a public key from SubjectPublicKeyInfo PEM (`PUBLIC KEY`) or DER. Throws KEY_PARSE. */
export function importPublicKey(input: string | Uint8Array): KeyObject {
  try {
    if (isPem(input)) return createPublicKey({ key: input, format: 'pem' });
    return createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new CertfleetError(
      'KEY_PARSE',
      'The public key could not be parsed: expected a SubjectPublicKeyInfo (PEM or DER).',
      {
        cause,
      },
    );
  }
}

/** The public half of a private key. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

/** A private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export function exportPrivateKeyPem(privateKey: KeyObject): string {
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

/**
 * A private key as unencrypted PKCS#8 DER, exported once per KeyObject; each caller gets its own copy. The
 * bytes are remembered for {@link importPrivateKey}: a device stores the key it enrolled with and reads it
 * back from its store for the next install, and gets the same KeyObject instead of a second import (issue 11
 * point 2).
 */
export function exportPrivateKeyDer(privateKey: KeyObject): Uint8Array {
  let der = PKCS8_DER.get(privateKey);
  if (der === undefined) {
    der = privateKey.export({ format: 'der', type: 'pkcs8' });
    PKCS8_DER.set(privateKey, der);
    rememberPrivate(privateDerId(der), privateKey);
  }
  return new Uint8Array(der);
}

/** PKCS#8 DER exported so far, by KeyObject (weakly held: it goes with its key). */
const PKCS8_DER = new WeakMap<KeyObject, Buffer>();

/**
 * Private keys imported from (or exported to) PKCS#8 DER, by the SHA-256 of those bytes (never the bytes
 * themselves), least recently used first; bounded, so a fleet's device keys come and go. A miss costs an
 * import from the key's numbers (rsa-jwk.ts, well under 0.1 ms for RSA-2048), so the memo stays small: an
 * RSA-2048 KeyObject holds about 9 KiB once it has signed.
 */
const IMPORTED_PRIVATE = new Map<string, KeyObject>();
export const IMPORTED_PRIVATE_LIMIT = 256;

/**
 * The private key a PKCS#8 DER encodes, imported once per distinct bytes while it stays in the memo above
 * (shared with {@link importPrivateKey} and {@link exportPrivateKeyDer}): the same KeyObject for the same
 * bytes. A PFX is opened three or four times per device (the device's checks, its install, Android's
 * re-wrap on the service side and the device's read of the result), issue 11 point 2.
 *
 * @throws what `createPrivateKey` throws for bytes it cannot read (nothing is remembered); callers say
 *   which code that is
 */
export function privateKeyFromPkcs8(der: Uint8Array): KeyObject {
  const id = privateDerId(der);
  const key = IMPORTED_PRIVATE.get(id) ?? importPkcs8(der);
  rememberPrivate(id, key);
  return key;
}

/**
 * PKCS#8 DER imported by node:crypto: a canonical two-prime RSA key from its numbers (JWK, many times
 * faster in OpenSSL 3 than its DER decoder: rsa-jwk.ts), anything else — or numbers the JWK import
 * refuses — by the DER decoder, which also says what is wrong.
 */
function importPkcs8(der: Uint8Array): KeyObject {
  const jwk = rsaJwkOfPkcs8(der);
  if (jwk !== undefined) {
    try {
      return createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      // the DER decoder below decides
    }
  }
  return createPrivateKey({
    key: Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength),
    format: 'der',
    type: 'pkcs8',
  });
}

function privateDerId(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64');
}

function rememberPrivate(id: string, key: KeyObject): void {
  IMPORTED_PRIVATE.delete(id); // most recently used last
  IMPORTED_PRIVATE.set(id, key);
  if (IMPORTED_PRIVATE.size > IMPORTED_PRIVATE_LIMIT)
    IMPORTED_PRIVATE.delete(IMPORTED_PRIVATE.keys().next().value as string);
}

/** A public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`). */
export function exportPublicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ format: 'pem', type: 'spki' }) as string;
}

/** A public key as SubjectPublicKeyInfo DER. */
export function exportPublicKeyDer(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(spkiDerOf(publicKey));
}

/**
 * SubjectPublicKeyInfo DER exported so far, by KeyObject. A KeyObject never changes, so neither do these
 * bytes; weakly held, so a key nobody holds any more takes its entry with it.
 */
const SPKI_DER = new WeakMap<KeyObject, Buffer>();

/**
 * The SubjectPublicKeyInfo DER of a public key, or of a private key's public half, exported once per
 * KeyObject (issue 11 point 2: a CA exported its own public key, and built it again from its private key,
 * on every certificate it signed). Each caller gets its own copy.
 *
 * @throws TypeError from node:crypto for a secret (symmetric) key, as `export({ type: 'spki' })` does
 */
export function spkiDerOf(key: KeyObject): Buffer {
  let der = SPKI_DER.get(key);
  if (der === undefined) {
    der = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
    SPKI_DER.set(key, der);
  }
  return Buffer.from(der);
}

/**
 * Public keys imported from SubjectPublicKeyInfo DER, by those bytes, least recently used first. A fleet
 * parses the same few CA certificates on every device and every trust evaluation; a KeyObject never changes,
 * so one import serves every parse of the same bytes (issue 11 point 2). Bounded: the CA keys stay, device
 * keys come and go.
 */
const IMPORTED_SPKI = new Map<string, KeyObject>();
const IMPORTED_SPKI_LIMIT = 512;

/**
 * The public key a SubjectPublicKeyInfo DER encodes, imported once per distinct bytes (see above); the
 * same KeyObject for the same bytes.
 *
 * @throws what `createPublicKey` throws for bytes that are not an SPKI it can read (nothing is remembered)
 */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  const der = Buffer.from(spki);
  const id = der.toString('latin1');
  const key = IMPORTED_SPKI.get(id) ?? importSpki(der);
  rememberSpki(id, key);
  return key;
}

/**
 * SubjectPublicKeyInfo DER imported by node:crypto: a canonical RSA key from its numbers (JWK, rsa-jwk.ts),
 * anything else — or numbers the JWK import refuses — by the DER decoder, which also says what is wrong.
 */
function importSpki(der: Buffer): KeyObject {
  const jwk = rsaJwkOfSpki(der);
  if (jwk !== undefined) {
    try {
      return createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      // the DER decoder below decides
    }
  }
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/**
 * Makes `publicKey` the one {@link publicKeyFromSpki} returns for its SubjectPublicKeyInfo bytes: a caller
 * that encodes a key it holds (a CSR it signs) and reads the encoding back gets that key, instead of
 * importing the bytes it has just exported (issue 11 point 2).
 *
 * @throws TypeError from node:crypto when `publicKey` is a secret (symmetric) key
 */
export function rememberPublicKey(publicKey: KeyObject): void {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  rememberSpki(spkiDerOf(key).toString('latin1'), key);
}

function rememberSpki(id: string, key: KeyObject): void {
  IMPORTED_SPKI.delete(id); // most recently used last
  IMPORTED_SPKI.set(id, key);
  if (IMPORTED_SPKI.size > IMPORTED_SPKI_LIMIT)
    IMPORTED_SPKI.delete(IMPORTED_SPKI.keys().next().value as string);
}
