import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ContentInfo, EnvelopedData } from '@peculiar/asn1-cms';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { createCertificate } from '../../../pki/certificate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  decryptPfxPassword,
  encryptPfxPasswordForDevice,
  type KeyTransport,
  type PasswordRecipient,
} from '../../../profiles/windows/pfx-password.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { T0, YEAR } from '../pki/hierarchy.ts';
import { makeTempDir, openssl, type TempDir } from '../pki/openssl.ts';

/** A self-signed management (MDM) certificate from a pool key, with its private key. */
function managementIdentity(index: number): PasswordRecipient {
  const key = poolKey('rsa2048', index);
  const certificate = createCertificate({
    subject: `CN=MDM Device ${index},O=Certfleet MDM`,
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: `4D${index}`,
    notBefore: T0,
    notAfter: new Date(T0.getTime() + 2 * YEAR),
  });
  return { certificate, privateKey: key.privateKey };
}

let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => dir.remove());

const SECRET = 'Zq9-secret';
const PASSWORDS = ['Pfx-Pa55word!', 'pässwörd with ünïcode €', ''];

function identityFiles(index: number): { cert: string; key: string } {
  const id = managementIdentity(index);
  return {
    cert: dir.file(`mdm-${index}.pem`, id.certificate.pem),
    key: dir.file(`mdm-${index}.key`, id.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
  };
}

describe('encryptPfxPasswordForDevice: CMS EnvelopedData that OpenSSL decrypts', () => {
  describe.each<KeyTransport>(['rsa-oaep-sha256', 'rsa-oaep-sha1', 'rsa-pkcs1'])('%s', (keyTransport) => {
    it.each(PASSWORDS)('round-trips %j through `openssl cms -decrypt` and decryptPfxPassword', (password) => {
      const id = managementIdentity(5);
      const files = identityFiles(5);
      const blob = encryptPfxPasswordForDevice(password, id.certificate, { keyTransport });
      expect(blob).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const der = dir.file('pw.der', Buffer.from(blob, 'base64'));
      const out = dir.file('pw.out', '');
      const r = openssl([
        'cms',
        '-decrypt',
        '-inform',
        'DER',
        '-in',
        der,
        '-recip',
        files.cert,
        '-inkey',
        files.key,
        '-out',
        out,
      ]);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
      expect(readFileSync(out).toString('utf16le')).toBe(password);
      expect(decryptPfxPassword(blob, [id])).toBe(password);
      // The other device's key cannot open it, and OpenSSL agrees.
      const other = identityFiles(6);
      expect(
        openssl(['cms', '-decrypt', '-inform', 'DER', '-in', der, '-recip', other.cert, '-inkey', other.key])
          .status,
      ).not.toBe(0);
    });
  });

  it('the content key and IV come from the injected random source', () => {
    const id = managementIdentity(5);
    const random = (n: number) => Buffer.alloc(n, 7);
    const a = Buffer.from(encryptPfxPasswordForDevice('x', id.certificate, { random }), 'base64');
    const b = Buffer.from(encryptPfxPasswordForDevice('x', id.certificate, { random }), 'base64');
    // RSA-OAEP is randomised by node itself; the AES content (last bytes) is deterministic.
    expect(a.subarray(-16).equals(b.subarray(-16))).toBe(true);
  });

  it('refuses a management certificate without an RSA key', () => {
    const id = managementIdentity(5);
    const ec = poolKey('p256');
    const ecCert = { ...id.certificate, publicKey: ec.publicKey } as typeof id.certificate;
    expect(() => encryptPfxPasswordForDevice('x', ecCert)).toThrow(/needs an RSA key/);
  });
});

describe('decryptPfxPassword reads what OpenSSL writes', () => {
  it.each<[string, string[]]>([
    ['AES-128-CBC, PKCS#1 v1.5 key transport (the CryptEncryptMessage default shape)', ['-aes-128-cbc']],
    // -keyopt applies to the -recip before it.
    ['AES-256-CBC, RSA-OAEP key transport', ['-aes-256-cbc', '-keyopt', 'rsa_padding_mode:oaep']],
    ['3DES-CBC', ['-des3']],
  ])('%s', (_name, args) => {
    const id = managementIdentity(5);
    const files = identityFiles(5);
    const plain = dir.file('plain.bin', Buffer.from('Secret-1', 'utf16le'));
    const out = dir.file('enc.der', '');
    const [cipher, ...keyopts] = args;
    const r = openssl([
      'cms',
      '-encrypt',
      '-binary',
      cipher ?? '-aes-128-cbc',
      '-recip',
      files.cert,
      ...keyopts,
      '-outform',
      'DER',
      '-in',
      plain,
      '-out',
      out,
    ]);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
    expect(decryptPfxPassword(readFileSync(out).toString('base64'), [id])).toBe('Secret-1');
  });
});

describe('decryptPfxPassword failures → INSTALL_PASSWORD_UNDECRYPTABLE with a reason', () => {
  it.each<[string, () => string, () => Parameters<typeof decryptPfxPassword>[1], string]>([
    [
      'no management identity',
      () => encryptPfxPasswordForDevice(SECRET, managementIdentity(5).certificate),
      () => [],
      'no-recipient',
    ],
    [
      'another device',
      () => encryptPfxPasswordForDevice(SECRET, managementIdentity(6).certificate),
      () => [managementIdentity(5)],
      'no-recipient',
    ],
    ['not base64', () => 'not base64!', () => [managementIdentity(5)], 'not-cms'],
    [
      'base64 but not CMS',
      () => Buffer.from('hello').toString('base64'),
      () => [managementIdentity(5)],
      'not-cms',
    ],
    [
      'the right certificate with the wrong key',
      () => encryptPfxPasswordForDevice(SECRET, managementIdentity(5).certificate),
      () => [
        { certificate: managementIdentity(5).certificate, privateKey: poolKey('rsa2048', 9).privateKey },
      ],
      'decrypt-failed',
    ],
  ])('%s → %s', (_name, blob, recipients, reason) => {
    let caught: unknown;
    try {
      decryptPfxPassword(blob(), recipients());
    } catch (e) {
      caught = e;
    }
    expect(isCertfleetError(caught, 'INSTALL_PASSWORD_UNDECRYPTABLE')).toBe(true);
    expect((caught as { details: Record<string, unknown> }).details.reason).toBe(reason);
    expect((caught as Error).message).not.toContain(SECRET);
  });
});

describe('the recipient (issuer and serial) is cut from the certificate bytes (issue 11 point 2)', () => {
  it.each(['4D1', 'FF01', '00A5'])(
    'serial %s: the rid is the issuer Name and serial INTEGER the certificate encodes, and decrypts',
    (serialNumber) => {
      const key = poolKey('rsa2048', 3);
      const certificate = createCertificate({
        subject: 'CN=MDM Device rid,O=Certfleet MDM',
        publicKey: key.publicKey,
        issuer: { subject: 'CN=Some Issuing CA', privateKey: key.privateKey, publicKey: key.publicKey },
        serialNumber,
        notBefore: T0,
        notAfter: new Date(T0.getTime() + YEAR),
      });
      const blob = encryptPfxPasswordForDevice(SECRET, certificate);
      // OpenSSL as the independent reader: it prints the rid it finds, and `-decrypt -recip` only opens a
      // KeyTransRecipientInfo whose issuer and serial match that certificate's.
      const der = dir.file('rid.der', Buffer.from(blob, 'base64'));
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', der]);
      expect(printed.status).toBe(0);
      expect(printed.stdout).toMatch(
        /d\.issuerAndSerialNumber:\s+issuer: CN=Some Issuing CA\s+serialNumber: (\d+)/,
      );
      const serial = /serialNumber: (\d+)/.exec(printed.stdout)?.[1];
      expect(serial).toBe(BigInt(`0x${serialNumber}`).toString(10));
      const cert = dir.file('rid.pem', certificate.pem);
      const keyFile = dir.file('rid.key', key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      const out = dir.file('rid.out', '');
      const opened = openssl([
        'cms',
        '-decrypt',
        '-inform',
        'DER',
        '-in',
        der,
        '-recip',
        cert,
        '-inkey',
        keyFile,
        '-out',
        out,
      ]);
      expect(opened.output).toBe('');
      expect(opened.status).toBe(0);
      expect(readFileSync(out).toString('utf16le')).toBe(SECRET);
      expect(decryptPfxPassword(blob, [{ certificate, privateKey: key.privateKey }])).toBe(SECRET);
      const other = managementIdentity(4);
      expect(() => decryptPfxPassword(blob, [other])).toThrow();
    },
  );
});

describe('the EnvelopedData is written as DER directly (issue 11 point 2)', () => {
  it.each<KeyTransport>(['rsa-oaep-sha256', 'rsa-oaep-sha1', 'rsa-pkcs1'])(
    '%s: read into the asn1-cms classes and serialised again, it is the same bytes',
    (keyTransport) => {
      const id = managementIdentity(5);
      const blob = Buffer.from(
        encryptPfxPasswordForDevice(SECRET, id.certificate, { keyTransport }),
        'base64',
      );
      const info = AsnParser.parse(blob, ContentInfo);
      const enveloped = AsnParser.parse(info.content, EnvelopedData);
      expect(enveloped.version).toBe(0);
      expect(enveloped.recipientInfos).toHaveLength(1);
      expect(enveloped.encryptedContentInfo.encryptedContent?.value?.byteLength).toBeGreaterThan(0);
      const again = Buffer.from(
        AsnSerializer.serialize(
          new ContentInfo({ contentType: info.contentType, content: AsnSerializer.serialize(enveloped) }),
        ),
      );
      expect(again.toString('hex')).toBe(blob.toString('hex'));
      expect(decryptPfxPassword(blob.toString('base64'), [id])).toBe(SECRET);
    },
  );
});
