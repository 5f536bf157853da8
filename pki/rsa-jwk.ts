/**
 * RSA keys' DER read as their JWK numbers (RFC 7517/7518 §6.3), so that node:crypto imports them from the
 * numbers: OpenSSL 3's DER decoder takes ~1.8 ms per RSA-2048 private key here (0.13 ms per public key),
 * its JWK import of the same numbers a few microseconds (the key pool stores JWK for the same reason,
 * key-pool.ts). A device opens a PFX built in another thread whose key this thread has never seen, and
 * reads certificates whose public key no one here imported (issue 11 point 2).
 *
 * Only the shapes whose meaning is beyond doubt are read: a PKCS#8 PrivateKeyInfo version 0 with
 * rsaEncryption (NULL parameters), no attributes, holding a two-prime RSAPrivateKey version 0 (RFC 5208 §5,
 * RFC 8017 A.1.2); a SubjectPublicKeyInfo with rsaEncryption holding an RSAPublicKey (RFC 5280 §4.1,
 * RFC 8017 A.1.1) — and only when the input is byte for byte the DER that these numbers encode to, so the
 * key is the one the DER decoder would have made. Anything else (EC, multi-prime, attributes, BER, a
 * negative number, a trailing byte) gives `undefined`, and the caller hands the bytes to the DER decoder as
 * before.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5208#section-5
 * @see https://www.rfc-editor.org/rfc/rfc8017#appendix-A.1.2
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-6.3
 */
import type { JsonWebKey } from 'node:crypto';
import {
  contentOf,
  encodeBitString,
  encodeOctetString,
  encodeSequence,
  encodeTlv,
  readChildren,
  readTlv,
  type Tlv,
} from './der.ts';

/** AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }, DER. */
const RSA_ENCRYPTION = Uint8Array.from([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);
const VERSION_0 = Uint8Array.of(0x02, 0x01, 0x00);
/** The JWK members of RSAPrivateKey's numbers, in their DER order after the version. */
const MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

/**
 * The RSA private key's JWK when `der` is exactly the canonical PKCS#8 DER of a two-prime RSA key, else
 * `undefined` (never throws). The JWK holds the private numbers: the caller imports it and drops it.
 */
export function rsaJwkOfPkcs8(der: Uint8Array): JsonWebKey | undefined {
  try {
    return read(der);
  } catch {
    return undefined; // not this shape: the DER decoder reads it (or says what is wrong)
  }
}

function read(der: Uint8Array): JsonWebKey | undefined {
  const top = readTlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) return undefined;
  const [version, algorithm, privateKey, ...more] = readChildren(der, top);
  if (!version || !algorithm || privateKey?.tag !== 0x04 || more.length > 0) return undefined;
  const inner = contentOf(der, privateKey);
  const rsaTop = readTlv(inner, 0);
  if (rsaTop.tag !== 0x30 || rsaTop.end !== inner.length) return undefined;
  const fields = readChildren(inner, rsaTop);
  if (fields.length !== 1 + MEMBERS.length) return undefined;
  const numbers: Uint8Array[] = [];
  for (const f of fields) {
    const n = positiveInteger(inner, f);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const [rsaVersion, ...values] = numbers;
  if (rsaVersion?.length !== 1 || rsaVersion[0] !== 0) return undefined;
  // the canonical DER of these numbers must be the input itself, byte for byte
  const canonical = encodeSequence([
    VERSION_0,
    RSA_ENCRYPTION,
    encodeOctetString(encodeSequence(numbers.map((n) => encodeTlv(0x02, n)))),
  ]);
  if (!Buffer.from(canonical).equals(Buffer.from(der.buffer, der.byteOffset, der.byteLength)))
    return undefined;
  const jwk: JsonWebKey = { kty: 'RSA' };
  MEMBERS.forEach((name, i) => {
    jwk[name] = base64url(values[i] as Uint8Array);
  });
  return jwk;
}

/**
 * The RSA public key's JWK when `der` is exactly the canonical SubjectPublicKeyInfo DER of an RSA key, else
 * `undefined` (never throws).
 */
export function rsaJwkOfSpki(der: Uint8Array): JsonWebKey | undefined {
  try {
    return readSpki(der);
  } catch {
    return undefined; // not this shape: the DER decoder reads it (or says what is wrong)
  }
}

function readSpki(der: Uint8Array): JsonWebKey | undefined {
  const top = readTlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) return undefined;
  const [, bits, ...more] = readChildren(der, top);
  if (bits?.tag !== 0x03 || more.length > 0) return undefined;
  const content = contentOf(der, bits);
  if (content[0] !== 0) return undefined;
  const inner = content.subarray(1);
  const rsaTop = readTlv(inner, 0);
  if (rsaTop.tag !== 0x30 || rsaTop.end !== inner.length) return undefined;
  const fields = readChildren(inner, rsaTop);
  if (fields.length !== 2) return undefined;
  const numbers: Uint8Array[] = [];
  for (const f of fields) {
    const n = positiveInteger(inner, f);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const canonical = encodeSequence([
    RSA_ENCRYPTION,
    encodeBitString(encodeSequence(numbers.map((n) => encodeTlv(0x02, n)))),
  ]);
  if (!Buffer.from(canonical).equals(Buffer.from(der.buffer, der.byteOffset, der.byteLength)))
    return undefined;
  const [n, e] = numbers as [Uint8Array, Uint8Array];
  return { kty: 'RSA', n: base64url(n), e: base64url(e) };
}

/** An INTEGER's content as JWK wants it: unsigned big-endian, without the sign byte. */
function base64url(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    .subarray(v[0] === 0 ? 1 : 0)
    .toString('base64url');
}

/** The content of a minimal, positive (or zero) DER INTEGER, else undefined. */
function positiveInteger(buf: Uint8Array, tlv: Tlv): Uint8Array | undefined {
  if (tlv.tag !== 0x02 || tlv.length === 0) return undefined;
  const c = contentOf(buf, tlv);
  const first = c[0] as number;
  if (first & 0x80) return undefined; // negative
  if (first === 0 && c.length > 1 && ((c[1] as number) & 0x80) === 0) return undefined; // not minimal
  return c;
}
