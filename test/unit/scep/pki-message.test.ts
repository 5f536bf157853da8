/**
 * The SCEP message codecs (protocol/scep/): a PKIMessage survives a round trip with every content cipher,
 * OpenSSL reads what we write (signature, envelope, degenerate certs-only), and a tampered message or one
 * for another recipient is refused with the code and failInfo a server answers (RFC 8894 §3.2.1.4).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCertificate, type Certificate } from '../../../pki/certificate.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { exportPrivateKeyPem } from '../../../pki/keys.ts';
import type { ContentCipher } from '../../../protocol/scep/content-cipher.ts';
import { openEnvelope, sealEnvelope } from '../../../protocol/scep/envelope.ts';
import {
  decodePkiMessage,
  encodePkiMessage,
  newNonce,
  transactionIdOf,
} from '../../../protocol/scep/pki-message.ts';
import { challengeOf, createScepCsr } from '../../../protocol/scep/scep-csr.ts';
import {
  certificatesOf,
  degenerateCertificates,
  parseSignedData,
} from '../../../protocol/scep/signed-data.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { openssl } from '../pki/openssl.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const work = mkdtempSync(join(tmpdir(), 'certfleet-scep-msg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function selfSigned(
  subject: string,
  index: number,
): {
  certificate: Certificate;
  privateKey: ReturnType<typeof poolKey>['privateKey'];
  keyPair: ReturnType<typeof poolKey>;
} {
  const keyPair = poolKey('rsa2048', index);
  const certificate = createCertificate({
    subject,
    publicKey: keyPair.publicKey,
    issuer: 'self',
    signingKey: keyPair.privateKey,
    serialNumber: `0${index + 1}A5`,
    notBefore: new Date(NOW.getTime() - 60_000),
    notAfter: new Date(NOW.getTime() + 86_400_000),
  });
  return { certificate, privateKey: keyPair.privateKey, keyPair };
}

const ra = selfSigned('CN=Test MSCEP-RA,O=Certfleet', 2);
const device = selfSigned('CN=dev-1,O=Contoso', 3);
const other = selfSigned('CN=Other RA', 4);

function request(
  cipher: ContentCipher = 'aes-128-cbc',
  challenge = 'one-time-XYZ',
): { der: Buffer; csrDer: Buffer; nonce: Buffer } {
  const csr = createScepCsr({
    subject: 'CN=dev-1,O=Contoso',
    keyPair: device.keyPair,
    challenge,
    san: [{ type: 'dns', value: 'dev-1.contoso.test' }],
  });
  const nonce = newNonce();
  const der = encodePkiMessage({
    messageType: 'PKCSReq',
    transactionId: transactionIdOf(device.keyPair.publicKey),
    senderNonce: nonce,
    data: csr.der,
    recipients: [ra.certificate],
    cipher,
    digest: 'sha256',
    signer: device,
    signingTime: NOW,
  });
  return { der, csrDer: csr.der, nonce };
}

function codeOf(fn: () => unknown): { code: string; failInfo: unknown } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CertfleetError);
    return { code: (e as CertfleetError).code, failInfo: (e as CertfleetError).details['failInfo'] };
  }
  throw new Error('expected a throw');
}

describe('SCEP PKIMessage codec (RFC 8894 §3.2)', () => {
  it.each(['aes-128-cbc', 'aes-256-cbc', 'des-ede3-cbc', 'des-cbc'] as const)(
    'round-trips a PKCSReq enveloped with %s',
    (cipher) => {
      const { der, csrDer, nonce } = request(cipher, `challenge-${cipher}`);
      const msg = decodePkiMessage(der, [ra]);
      expect(msg.messageType).toBe('PKCSReq');
      expect(msg.transactionId).toBe(transactionIdOf(device.keyPair.publicKey));
      expect(msg.senderNonce.equals(nonce)).toBe(true);
      expect(msg.cipher).toBe(cipher);
      expect(msg.signerCertificate.sha256Thumbprint).toBe(device.certificate.sha256Thumbprint);
      expect(msg.data?.equals(csrDer)).toBe(true);
      expect(msg.openedBy?.certificate.serialNumber).toBe(ra.certificate.serialNumber);
    },
  );

  it('the CSR carries the challengePassword and the requested SAN', () => {
    const msg = decodePkiMessage(request('aes-128-cbc', 'pw-Ünïcode').der, [ra]);
    const csr = createScepCsr({ subject: 'CN=x', keyPair: device.keyPair, challenge: 'pw-Ünïcode' });
    expect(challengeOf(csr)).toBe('pw-Ünïcode');
    expect(msg.data).toBeDefined();
    const req = createScepCsr({ subject: 'CN=x', keyPair: device.keyPair });
    expect(challengeOf(req)).toBeUndefined();
  });

  it('OpenSSL verifies our signature and decrypts our envelope with the RA key', () => {
    const { der, csrDer } = request('aes-256-cbc');
    const msgFile = join(work, 'req.der');
    writeFileSync(msgFile, der);
    const inner = join(work, 'inner.der');
    const v = openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', msgFile, '-out', inner]);
    expect(v.output).toContain('Verification successful');
    const keyFile = join(work, 'ra.key');
    writeFileSync(keyFile, exportPrivateKeyPem(ra.privateKey));
    const certFile = join(work, 'ra.pem');
    writeFileSync(certFile, ra.certificate.pem);
    const csrFile = join(work, 'csr.der');
    const d = openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      inner,
      '-recip',
      certFile,
      '-inkey',
      keyFile,
      '-out',
      csrFile,
    ]);
    expect(d.status, d.output).toBe(0);
    const req = openssl(['req', '-inform', 'DER', '-in', csrFile, '-noout', '-verify', '-text']);
    expect(req.output).toContain('challengePassword');
    expect(req.output).toContain('dev-1.contoso.test');
    expect(csrDer.length).toBeGreaterThan(0);
  });

  it('a degenerate certs-only SignedData keeps the order and OpenSSL lists it', () => {
    const der = degenerateCertificates([device.certificate, ra.certificate]);
    expect(certificatesOf(der).map((c) => c.subjectText)).toEqual([
      device.certificate.subjectText,
      ra.certificate.subjectText,
    ]);
    const f = join(work, 'certs.p7b');
    writeFileSync(f, der);
    const out = openssl(['pkcs7', '-inform', 'DER', '-in', f, '-print_certs', '-noout']);
    expect(out.stdout).toMatch(/subject=.*dev-1[\s\S]*subject=.*MSCEP-RA/);
  });

  it('a SUCCESS CertRep round-trips: status, recipientNonce, certificates enveloped to the requester', () => {
    const nonce = newNonce();
    const der = encodePkiMessage({
      messageType: 'CertRep',
      pkiStatus: 'SUCCESS',
      transactionId: 'T1',
      senderNonce: newNonce(),
      recipientNonce: nonce,
      data: degenerateCertificates([device.certificate]),
      recipients: [device.certificate],
      cipher: 'aes-128-cbc',
      digest: 'sha1',
      signer: ra,
      signingTime: NOW,
    });
    const rep = decodePkiMessage(der, [device], [ra.certificate]);
    expect(rep.pkiStatus).toBe('SUCCESS');
    expect(rep.recipientNonce?.equals(nonce)).toBe(true);
    expect(certificatesOf(rep.data!)[0]?.sha256Thumbprint).toBe(device.certificate.sha256Thumbprint);
    // the RA cannot read what is enveloped to the device
    expect(codeOf(() => decodePkiMessage(der, [ra])).code).toBe('SCEP_NOT_RECIPIENT');
  });

  it('a FAILURE CertRep carries failInfo and no envelope', () => {
    const der = encodePkiMessage({
      messageType: 'CertRep',
      pkiStatus: 'FAILURE',
      failInfo: 'badCertId',
      transactionId: 'T2',
      senderNonce: newNonce(),
      recipients: [],
      cipher: 'aes-128-cbc',
      digest: 'sha256',
      signer: ra,
      signingTime: NOW,
    });
    const rep = decodePkiMessage(der, [device]);
    expect(rep.pkiStatus).toBe('FAILURE');
    expect(rep.failInfo).toBe('badCertId');
    expect(rep.data).toBeUndefined();
  });

  it('tampering anywhere is badMessageCheck: in the envelope (digest) and in the signed attributes (signature)', () => {
    const { der } = request();
    // the enveloped content, the signer's certificate, and the signature value (the last bytes)
    const content = parseSignedData(der).content!;
    const inContent = Buffer.from(der);
    inContent[der.indexOf(content) + content.length - 20]! ^= 0x01;
    const inCertificate = Buffer.from(der);
    inCertificate[der.indexOf(device.certificate.der) + 200]! ^= 0x01;
    const inSignature = Buffer.from(der);
    inSignature[der.length - 5]! ^= 0x01;
    for (const bad of [inContent, inCertificate, inSignature]) {
      expect(codeOf(() => decodePkiMessage(bad, [ra]))).toEqual({
        code: 'SCEP_MESSAGE_INVALID',
        failInfo: 'badMessageCheck',
      });
    }
    expect(codeOf(() => decodePkiMessage(Buffer.from('not DER at all'), [ra]))).toEqual({
      code: 'SCEP_MESSAGE_INVALID',
      failInfo: 'badMessageCheck',
    });
  });

  it('an envelope for another recipient is SCEP_NOT_RECIPIENT (badMessageCheck), naming who can read it', () => {
    const { der } = request();
    const r = codeOf(() => decodePkiMessage(der, [other]));
    expect(r).toEqual({ code: 'SCEP_NOT_RECIPIENT', failInfo: 'badMessageCheck' });
  });

  it('an envelope to several recipients opens with any one of them (as micromdm encrypts to every GetCACert certificate)', () => {
    const env = sealEnvelope(Buffer.from('payload'), [other.certificate, ra.certificate], 'des-cbc');
    expect(openEnvelope(env, [ra]).content.toString()).toBe('payload');
    expect(openEnvelope(env, [other]).content.toString()).toBe('payload');
  });
});
