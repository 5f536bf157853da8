/**
 * Test fixtures for the PKCS#12 tests: certificates made with the OpenSSL CLI from pool keys (a
 * self-signed RSA CA and two CA-signed leaves, RSA and P-256), and helpers to run `openssl pkcs12`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeInteger, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from '../../../pki/der.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

/** One identity: its key, its DER leaf and the chain that follows it (leaf first). */
export interface Identity {
  name: string;
  privateKey: KeyObject;
  leaf: Buffer;
  chain: Buffer[];
  /** PEM files of the key and certificates (for `openssl pkcs12 -export`). */
  keyPem: string;
  leafPem: string;
  caPem: string;
}

/** Fixture folder with a CA and identities; call `dispose()` in afterAll. */
export interface Pkcs12Fixtures {
  dir: string;
  ca: Buffer;
  rsa: Identity;
  ec: Identity;
  /** Writes `bytes` to a fresh file in `dir` and returns its path. */
  file(name: string, bytes: Buffer | string): string;
  dispose(): void;
}

function writeKey(dir: string, name: string, key: KeyObject): string {
  const path = join(dir, `${name}.key.pem`);
  writeFileSync(path, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return path;
}

function derToPem(dir: string, name: string, der: Buffer): string {
  const path = join(dir, `${name}.pem`);
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  writeFileSync(path, `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
  return path;
}

/** Makes the CA and the RSA and EC identities with OpenSSL in a temporary folder. */
export function makeFixtures(): Pkcs12Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-p12-test-'));
  const caKey = writeKey(dir, 'ca', poolKey('rsa2048', 0).privateKey);
  const ca = execFileSync('openssl', [
    'req', '-x509', '-new', '-key', caKey, '-subj', '/CN=certfleet test CA', '-days', '30', '-outform', 'DER',
    '-addext', 'basicConstraints=critical,CA:TRUE',
  ]); // prettier-ignore
  const caPem = derToPem(dir, 'ca.cert', ca);
  const identity = (name: string, privateKey: KeyObject, serial: string): Identity => {
    const keyPem = writeKey(dir, name, privateKey);
    const csr = execFileSync('openssl', ['req', '-new', '-key', keyPem, '-subj', `/CN=${name}`]);
    const leaf = execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-CA',
        caPem,
        '-CAkey',
        caKey,
        '-days',
        '30',
        '-set_serial',
        serial,
        '-outform',
        'DER',
      ],
      { input: csr },
    );
    return {
      name,
      privateKey,
      leaf,
      chain: [leaf, ca],
      keyPem,
      leafPem: derToPem(dir, `${name}.cert`, leaf),
      caPem,
    };
  };
  let n = 0;
  return {
    dir,
    ca,
    rsa: identity('leaf-rsa', poolKey('rsa2048', 1).privateKey, '2'),
    ec: identity('leaf-ec', poolKey('p256').privateKey, '3'),
    file(name, bytes) {
      const path = join(dir, `${n++}-${name}`);
      writeFileSync(path, bytes);
      return path;
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Result of one OpenSSL run. */
export interface OpensslRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `openssl args…` and returns its status and output (never throws on a non-zero exit). */
export function openssl(args: string[], input?: Buffer): OpensslRun {
  const r = spawnSync('openssl', args, { input, encoding: 'buffer' });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

/** Runs `openssl args…` that must succeed and returns stdout as bytes. */
export function opensslBytes(args: string[]): Buffer {
  return execFileSync('openssl', args);
}

/** SHA-256 hex of bytes, for comparing certificates in messages. */
export function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** DER of the PEM certificates in `text`, in order. */
export function pemCertificates(text: string): Buffer[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'),
  );
}

/** Reads a file as bytes. */
export function readBytes(path: string): Buffer {
  return readFileSync(path);
}

/**
 * A PKCS#12 without MAC or encryption holding `keys` (PKCS#8 key bags) and `certificates` (DER) in one
 * SafeContents — shapes `openssl pkcs12 -export` cannot write (several keys), built by hand (RFC 7292 §4).
 */
export function plainPfx(keys: KeyObject[], certificates: Buffer[]): Buffer {
  const DATA = '1.2.840.113549.1.7.1';
  const bag = (id: string, value: Uint8Array): Uint8Array =>
    encodeSequence([encodeOid(id), encodeTlv(0xa0, value)]);
  const safeContents = encodeSequence([
    ...keys.map((k) => bag('1.2.840.113549.1.12.10.1.1', k.export({ type: 'pkcs8', format: 'der' }))),
    ...certificates.map((der) =>
      bag(
        '1.2.840.113549.1.12.10.1.3',
        encodeSequence([encodeOid('1.2.840.113549.1.9.22.1'), encodeTlv(0xa0, encodeOctetString(der))]),
      ),
    ),
  ]);
  const data = (content: Uint8Array): Uint8Array =>
    encodeSequence([encodeOid(DATA), encodeTlv(0xa0, encodeOctetString(content))]);
  return Buffer.from(encodeSequence([encodeInteger(3), data(encodeSequence([data(safeContents)]))]));
}
