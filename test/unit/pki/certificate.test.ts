import { sign } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Certificate, createCertificate, parseCertificate } from '../../../pki/certificate.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { encodeBitString, encodeSequence } from '../../../pki/der.ts';
import { EKU_OIDS } from '../../../pki/oids.ts';
import { signatureAlgorithmIdentifier } from '../../../pki/signature.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { makeHierarchy, T0, YEAR, type Hierarchy } from './hierarchy.ts';
import { makeTempDir, openssl, type TempDir } from './openssl.ts';

let dir: TempDir;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => {
  dir.remove();
});

function text(cert: Certificate): string {
  const r = openssl(['x509', '-in', dir.file(`c-${cert.serialNumber}.pem`, cert.pem), '-noout', '-text']);
  expect(r.status).toBe(0);
  return r.output;
}

/** The inner ASN.1 (as printed by `openssl asn1parse -strparse`) of the extension `oid` in `cert`. */
function extensionAsn1(cert: Certificate, oid: string): string {
  const path = dir.file('ext.der', cert.der);
  const all = openssl(['asn1parse', '-inform', 'DER', '-in', path]).stdout.split('\n');
  const at = all.findIndex((l) => l.includes(`:${oid}`) && l.includes('OBJECT'));
  expect(at, `extension ${oid} present`).toBeGreaterThanOrEqual(0);
  const octet = all.slice(at + 1).find((l) => l.includes('OCTET STRING'));
  const offset = /^\s*(\d+):/.exec(octet ?? '')?.[1];
  const r = openssl(['asn1parse', '-inform', 'DER', '-in', path, '-strparse', String(offset)]);
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('a root → issuing CA → leaf chain, checked by OpenSSL', () => {
  const hashes = [['sha256'], ['sha384']] as const;
  it.each(hashes)('openssl verify accepts the chain (leaf signed with %s)', (hash) => {
    const h = makeHierarchy({ hash });
    const r = openssl([
      'verify',
      '-attime',
      String(T0.getTime() / 1000 + 86_400),
      '-CAfile',
      dir.file('root.pem', h.root.pem),
      '-untrusted',
      dir.file('issuing.pem', h.issuing.pem),
      dir.file('leaf.pem', h.leaf.pem),
    ]);
    expect(r.output).toContain('leaf.pem: OK');
    expect(r.status).toBe(0);
    expect(text(h.leaf)).toContain(`Signature Algorithm: ${hash}WithRSAEncryption`);
  });

  it('openssl verify rejects the leaf without the issuing CA', () => {
    const h = makeHierarchy();
    const r = openssl([
      'verify',
      '-attime',
      String(T0.getTime() / 1000 + 86_400),
      '-CAfile',
      dir.file('root.pem', h.root.pem),
      dir.file('leaf.pem', h.leaf.pem),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/unable to get local issuer certificate/);
  });

  it.each([['p256'], ['p384']] as const)(
    'an EC issuing key (%s) signs with ECDSA and OpenSSL verifies it',
    (family) => {
      const root = makeHierarchy().root;
      const rootKey = poolKey('rsa2048', 0);
      const ecKey = poolKey(family);
      const ca = createCertificate({
        subject: 'CN=EC CA',
        publicKey: ecKey.publicKey,
        issuer: root,
        signingKey: rootKey.privateKey,
        serialNumber: '42',
        notBefore: T0,
        notAfter: new Date(T0.getTime() + YEAR),
        extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign'] },
      });
      const leaf = createCertificate({
        subject: 'CN=EC leaf',
        publicKey: poolKey('rsa2048', 3).publicKey,
        issuer: ca,
        signingKey: ecKey.privateKey,
        serialNumber: '43',
        notBefore: T0,
        notAfter: new Date(T0.getTime() + YEAR),
      });
      expect(leaf.signatureAlgorithm.name).toBe(
        family === 'p256' ? 'ecdsa-with-SHA256' : 'ecdsa-with-SHA384',
      );
      const r = openssl([
        'verify',
        '-attime',
        String(T0.getTime() / 1000 + 60),
        '-CAfile',
        dir.file('r.pem', root.pem),
        '-untrusted',
        dir.file('ca.pem', ca.pem),
        dir.file('l.pem', leaf.pem),
      ]);
      expect(r.output).toContain('l.pem: OK');
    },
  );
});

describe('leaf extensions as OpenSSL shows them', () => {
  let h: Hierarchy;
  beforeEach(() => {
    h = makeHierarchy({
      leafSubject: 'CN=Test user (TestCompany\\, LLC),E=ada@contoso.com,OU=Users,O=Contoso,C=US',
      leafExtensions: {
        keyUsage: ['digitalSignature', 'nonRepudiation', 'keyEncipherment'],
        extKeyUsage: ['clientAuth', 'serverAuth', 'emailProtection', 'EFS', 'codeSigning', '1.2.3.4.5'],
        subjectAltName: [
          { type: 'upn', value: 'ada@contoso.com' },
          { type: 'email', value: 'ada@contoso.com' },
          { type: 'dns', value: 'laptop-01.contoso.com' },
          { type: 'uri', value: 'tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-1001' },
        ],
        crlDistributionPoints: ['http://pki.contoso.test/CertEnroll/Issuing.crl'],
        template: { oid: '1.3.6.1.4.1.311.21.8.123.456', majorVersion: 100, minorVersion: 5 },
        applicationPolicies: true,
      },
    });
  });

  it.each([
    [
      'subject',
      /Subject: C = US, O = Contoso, OU = Users, emailAddress = ada@contoso.com, CN = "Test user \(TestCompany, LLC\)"/,
    ],
    ['UPN SAN', /othername: UPN::ada@contoso.com|UPN:ada@contoso.com/],
    ['e-mail SAN', /email:ada@contoso.com/],
    ['DNS SAN', /DNS:laptop-01.contoso.com/],
    ['URI SAN', /URI:tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-1001/],
    [
      'EKUs',
      /TLS Web Client Authentication, TLS Web Server Authentication, E-mail Protection, Microsoft Encrypted File System, Code Signing, 1\.2\.3\.4\.5/,
    ],
    [
      'key usage incl. Non Repudiation',
      /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation, Key Encipherment/,
    ],
    ['CRL DP', /URI:http:\/\/pki.contoso.test\/CertEnroll\/Issuing.crl/],
    ['template extension', /1\.3\.6\.1\.4\.1\.311\.21\.7:/],
    ['application policies', /1\.3\.6\.1\.4\.1\.311\.21\.10:/],
    ['SKI', /X509v3 Subject Key Identifier:/],
    ['AKI', /X509v3 Authority Key Identifier:/],
    ['serial', /Serial Number: \d+ \(0x7a0000001234\)/],
  ])('shows the %s', (_what, pattern) => {
    expect(text(h.leaf)).toMatch(pattern);
  });

  it('the v2 template extension holds the OID, major and minor version', () => {
    const asn = extensionAsn1(h.leaf, '1.3.6.1.4.1.311.21.7');
    expect(asn).toMatch(/OBJECT\s+:1\.3\.6\.1\.4\.1\.311\.21\.8\.123\.456/);
    expect(asn).toMatch(/INTEGER\s+:64/);
    expect(asn).toMatch(/INTEGER\s+:05/);
  });

  it('application policies mirror the EKUs', () => {
    const asn = extensionAsn1(h.leaf, '1.3.6.1.4.1.311.21.10');
    expect(asn.match(/OBJECT/g)).toHaveLength(6);
    expect(asn).toContain('TLS Web Client Authentication');
  });

  it('the v1 template extension is the template name as a BMPString', () => {
    const v1 = makeHierarchy({ leafExtensions: { template: { name: 'User' } } }).leaf;
    expect(extensionAsn1(v1, '1.3.6.1.4.1.311.20.2')).toMatch(/BMPSTRING/);
    expect(parseCertificate(v1.der).template).toEqual({ version: 1, name: 'User' });
  });

  it('our parser reads back what we wrote', () => {
    const c = parseCertificate(h.leaf.pem);
    expect(c.subjectText).toBe('CN=Test user (TestCompany\\, LLC),E=ada@contoso.com,OU=Users,O=Contoso,C=US');
    expect(c.serialNumber).toBe('7A0000001234');
    expect(c.keyUsage).toEqual(['digitalSignature', 'nonRepudiation', 'keyEncipherment']);
    expect(c.extKeyUsage).toEqual([
      EKU_OIDS.clientAuth,
      EKU_OIDS.serverAuth,
      EKU_OIDS.emailProtection,
      EKU_OIDS.efs,
      EKU_OIDS.codeSigning,
      '1.2.3.4.5',
    ]);
    expect(c.applicationPolicies).toEqual(c.extKeyUsage);
    expect(c.subjectAltName.map((s) => s.type)).toEqual(['upn', 'email', 'dns', 'uri']);
    expect(c.template).toEqual({
      version: 2,
      oid: '1.3.6.1.4.1.311.21.8.123.456',
      majorVersion: 100,
      minorVersion: 5,
    });
    expect(c.crlDistributionPoints).toEqual(['http://pki.contoso.test/CertEnroll/Issuing.crl']);
    expect(c.aki).toBe(h.issuing.ski);
    expect(c.ski).toMatch(/^[0-9A-F]{40}$/);
    expect(c.basicConstraints).toBeUndefined();
    expect(c.keySpec).toEqual({ kind: 'rsa', size: 2048 });
    expect(c.notBefore).toEqual(T0);
    expect(c.isSelfSigned).toBe(false);
    expect(h.root.isSelfSigned).toBe(true);
    expect(c.verifySignature(h.issuingKey.publicKey)).toBe(true);
    expect(c.verifySignature(h.rootKey.publicKey)).toBe(false);
    expect(c.issuerDer).toEqual(h.issuing.subjectDer);
  });

  it('thumbprints match OpenSSL fingerprints', () => {
    const path = dir.file('leaf.pem', h.leaf.pem);
    const sha1 = openssl(['x509', '-in', path, '-noout', '-fingerprint', '-sha1']).stdout;
    const sha256 = openssl(['x509', '-in', path, '-noout', '-fingerprint', '-sha256']).stdout;
    expect(sha1.split('=')[1]?.trim().replace(/:/g, '')).toBe(h.leaf.sha1Thumbprint);
    expect(sha256.split('=')[1]?.trim().replace(/:/g, '')).toBe(h.leaf.sha256Thumbprint);
  });

  it('basic constraints with pathLen show in OpenSSL', () => {
    expect(text(h.issuing)).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(parseCertificate(h.issuing.der).basicConstraints).toEqual({ ca: true, pathLength: 0 });
  });
});

describe('dates and key specs', () => {
  it.each([
    ['UTCTime before 2050', new Date('2049-12-31T23:59:59Z'), /Dec 31 23:59:59 2049 GMT/],
    ['GeneralizedTime from 2050', new Date('2050-01-01T00:00:00Z'), /Jan {2}1 00:00:00 2050 GMT/],
  ])('notAfter as %s', (_what, notAfter, pattern) => {
    const k = poolKey('p256');
    const c = createCertificate({
      subject: 'CN=t',
      publicKey: k.publicKey,
      issuer: 'self',
      signingKey: k.privateKey,
      serialNumber: '05',
      notBefore: T0,
      notAfter,
    });
    expect(c.notAfter).toEqual(notAfter);
    expect(text(c)).toMatch(pattern);
  });

  it.each([
    ['rsa3072', { kind: 'rsa', size: 3072 }],
    ['rsa4096', { kind: 'rsa', size: 4096 }],
    ['p384', { kind: 'ec', curve: 'P-384' }],
  ] as const)('a %s subject key is reported as %o', (family, spec) => {
    const h = makeHierarchy({ leafKey: poolKey(family) });
    expect(h.leaf.keySpec).toEqual(spec);
  });
});

describe('the subject key a certificate is made with (issue 11 point 2: not imported a second time)', () => {
  it("createCertificate's certificate holds the caller's public key; a parse of the same bytes is that certificate while it lives", () => {
    const k = poolKey('rsa2048', 6);
    const c = createCertificate({
      subject: 'CN=held key',
      publicKey: k.publicKey,
      issuer: 'self',
      signingKey: k.privateKey,
      serialNumber: '07',
      notBefore: T0,
      notAfter: new Date(T0.getTime() + YEAR),
    });
    expect(c.publicKey).toBe(k.publicKey);
    expect(c.isSelfSigned).toBe(true);
    const parsed = parseCertificate(Buffer.from(c.der));
    expect(parsed).toBe(c); // the same bytes, parsed while c is alive (issue 11 point 2: certificate.ts PARSED)
    expect(parsed.publicKey).toBe(k.publicKey);
  });

  it("Certificate.fromDer ignores a held key whose SPKI is not the certificate's", async () => {
    // the leaf's bytes only, its parse collected: fromDer parses them afresh (not the live parse, PARSED)
    const made = new WeakRef(makeHierarchy({ leafKey: poolKey('rsa2048', 6) }).leaf);
    const der = Buffer.from((made.deref() as Certificate).der);
    await new Promise((r) => setImmediate(r)); // a WeakRef target lives to the end of its job
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    expect(made.deref()).toBeUndefined();
    const h = { leaf: { der } };
    const other = poolKey('rsa2048', 7).publicKey;
    const c = Certificate.fromDer(h.leaf.der, other);
    expect(c.publicKey).not.toBe(other);
    expect(c.publicKey.equals(poolKey('rsa2048', 6).publicKey)).toBe(true);
    // and a private key is never taken for the certificate's public key
    expect(Certificate.fromDer(h.leaf.der, poolKey('rsa2048', 6).privateKey).publicKey.type).toBe('public');
  });
});

describe('one parse per bytes while it is alive (issue 11 point 2: certificate.ts PARSED)', () => {
  it('the same bytes, as DER copies or PEM, give the same Certificate; other bytes their own', () => {
    const h = makeHierarchy({ leafKey: poolKey('rsa2048', 6) });
    const a = parseCertificate(Buffer.from(h.issuing.der));
    expect(a).toBe(h.issuing); // made here, alive: the parse is that certificate
    expect(parseCertificate(new Uint8Array(h.issuing.der))).toBe(a);
    expect(parseCertificate(h.issuing.pem)).toBe(a);
    const other = parseCertificate(Buffer.from(h.root.der));
    expect(other).not.toBe(a);
    expect(other.subjectText).toBe(h.root.subjectText);
  });

  it('bytes that do not parse are CERT_PARSE every time (nothing is remembered)', () => {
    const h = makeHierarchy({ leafKey: poolKey('rsa2048', 6) });
    const cut = Buffer.from(h.leaf.der.subarray(0, h.leaf.der.length - 10));
    for (let i = 0; i < 2; i++) {
      expect(() => parseCertificate(cut)).toThrow(CertfleetError);
      expect(() => parseCertificate(cut)).toThrow(/truncated/);
    }
  });
});

describe('the same bytes parsed again (issue 11 point 2: one key import and one self-signature check per bytes)', () => {
  it('two parses of a root share its public key and both find it self-signed', () => {
    const h = makeHierarchy({ leafKey: poolKey('rsa2048', 6) });
    const a = parseCertificate(h.root.der);
    const b = parseCertificate(Buffer.from(h.root.der));
    expect(b.publicKey).toBe(a.publicKey);
    expect(a.isSelfSigned).toBe(true);
    expect(b.isSelfSigned).toBe(true);
    expect(parseCertificate(h.leaf.der).isSelfSigned).toBe(false);
  });

  it('a root whose signature is broken is not self-signed, even after the good one was checked', () => {
    const h = makeHierarchy({ leafKey: poolKey('rsa2048', 6) });
    expect(parseCertificate(h.root.der).isSelfSigned).toBe(true);
    const broken = Buffer.from(h.root.der);
    broken[broken.length - 5] = (broken[broken.length - 5] as number) ^ 0xff; // inside the signature value
    expect(parseCertificate(broken).isSelfSigned).toBe(false);
  });
});

describe('the extensions of a certificate made here are read when first used (issue 11 point 2)', () => {
  it('give the same fields as a fresh parse of the same bytes, as own enumerable properties', async () => {
    const fields = [
      'extensions', 'keyUsage', 'extKeyUsage', 'subjectAltName', 'basicConstraints', 'ski', 'aki',
      'crlDistributionPoints', 'template', 'applicationPolicies',
    ] as const; // prettier-ignore
    const seen = (c: Certificate): Record<string, unknown> =>
      Object.fromEntries(fields.map((f) => [f, structuredClone(c[f])]));
    // read from a certificate made here, then from a fresh parse of its bytes once it is collected
    const made = new WeakRef(makeHierarchy({ leafKey: poolKey('rsa2048', 6) }).leaf);
    const { lazy, der } = ((): { lazy: Record<string, unknown>; der: Buffer } => {
      const leaf = made.deref() as Certificate;
      for (const f of fields) expect(Object.keys(leaf)).toContain(f);
      const read = seen(leaf);
      expect(leaf.keyUsage).toBe(leaf.keyUsage); // read once, then the same values
      expect(leaf.extensions).toBe(leaf.extensions);
      return { lazy: read, der: Buffer.from(leaf.der) };
    })();
    await new Promise((r) => setImmediate(r)); // a WeakRef target lives to the end of its job
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    expect(made.deref()).toBeUndefined();
    const fresh = parseCertificate(der);
    expect(seen(fresh)).toEqual(lazy);
    expect(lazy.extKeyUsage).not.toEqual([]); // the hierarchy's leaf has extensions to compare
    expect(lazy.ski).toMatch(/^[0-9A-F]+$/);
    // another certificate's fields are its own
    const other = makeHierarchy({ leafKey: poolKey('rsa2048', 7) }).issuing;
    expect(other.basicConstraints?.ca).toBe(true);
    expect(fresh.basicConstraints?.ca).not.toBe(true);
  });
});

describe('one signature per certificate (issue 11 point 2: the AlgorithmIdentifier is not learnt by signing)', () => {
  it('an RSA-signed certificate is its TBS, the AlgorithmIdentifier and the PKCS#1 v1.5 signature of that TBS', () => {
    const issuer = poolKey('rsa2048', 2);
    const cert = createCertificate({
      subject: 'CN=one signature',
      publicKey: poolKey('p256').publicKey,
      issuer: { subject: 'CN=Issuer', ...issuer },
      serialNumber: '2a',
      notBefore: T0,
      notAfter: new Date(T0.getTime() + YEAR),
    });
    const algorithm = signatureAlgorithmIdentifier(issuer.privateKey, 'sha256');
    // RSASSA-PKCS1-v1_5 is deterministic: the same key over the same TBS gives the same bytes
    const expected = encodeSequence([
      cert.tbsDer,
      algorithm,
      encodeBitString(sign('sha256', cert.tbsDer, issuer.privateKey)),
    ]);
    expect(Buffer.from(expected).equals(cert.der)).toBe(true);
    // the AlgorithmIdentifier inside the TBS is the outer one (RFC 5280 §4.1.1.2)
    expect(Buffer.from(cert.tbsDer).includes(Buffer.from(algorithm))).toBe(true);
    expect(cert.signatureAlgorithm.name).toMatch(/sha256/i);
  });
});

describe('createCertificate input errors', () => {
  const k = () => poolKey('rsa2048', 4);
  const base = () => ({
    subject: 'CN=x',
    publicKey: k().publicKey,
    issuer: 'self' as const,
    signingKey: k().privateKey,
    serialNumber: '01',
    notBefore: T0,
    notAfter: new Date(T0.getTime() + YEAR),
  });
  it.each([
    ['a non-hex serial', { serialNumber: 'xyz' }, 'CERT_BAD_INPUT'],
    ['a zero serial', { serialNumber: '0000' }, 'CERT_BAD_INPUT'],
    ['a 21-octet serial', { serialNumber: 'ff'.repeat(20) }, 'CERT_BAD_INPUT'],
    ['notAfter before notBefore', { notAfter: new Date(T0.getTime() - 1000) }, 'CERT_BAD_INPUT'],
    ['a signing key of another pair', { signingKey: poolKey('rsa2048', 5).privateKey }, 'CERT_BAD_INPUT'],
    ['a bad subject', { subject: 'CN=a,,' }, 'DN_SYNTAX'],
    ['an unknown EKU', { extensions: { extKeyUsage: ['frobnicate'] } }, 'CERT_BAD_INPUT'],
    [
      'a non-ASCII DNS SAN',
      { extensions: { subjectAltName: [{ type: 'dns' as const, value: 'bücher.de' }] } },
      'CERT_BAD_INPUT',
    ],
  ])('refuses %s', (_what, change, code) => {
    expect(() => createCertificate({ ...base(), ...change })).toThrow(expect.objectContaining({ code }));
  });
});

describe('parseCertificate errors are precise (CERT_PARSE)', () => {
  const cert = () => makeHierarchy().leaf;
  it('a truncated DER says how many bytes it declares and has', () => {
    const der = cert().der;
    const cut = der.subarray(0, der.length - 40);
    expect(() => parseCertificate(cut)).toThrow(
      new RegExp(`truncated: .*declares ${der.length} bytes, has ${der.length - 40}`),
    );
  });

  it.each([
    ['empty input', () => new Uint8Array(0), /empty/],
    ['a wrong outer tag', () => Uint8Array.of(0x31, 0x00), /expected a SEQUENCE/],
    [
      'trailing bytes',
      () => Buffer.concat([cert().der, Buffer.of(0)]),
      /1 extra bytes after the certificate/,
    ],
    [
      'a PEM with a non-ASCII byte',
      () => Buffer.from(cert().pem.replace('MII', 'MIé'), 'utf8'),
      /non-ASCII byte 0xC3 at offset 30/,
    ],
    [
      'a PEM string with a non-ASCII character',
      () => cert().pem.replace('MII', 'MIé'),
      /non-ASCII character U\+00E9 at offset 30/,
    ],
    [
      'a PEM without END line',
      () => cert().pem.replace('-----END CERTIFICATE-----', ''),
      /no "-----END CERTIFICATE-----" line/,
    ],
    [
      'a PEM of another type',
      () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      /found PUBLIC KEY/,
    ],
    [
      'a PEM with a non-base64 character',
      () => cert().pem.replace('MII', 'M*I'),
      /"\*" at offset 29, which is not base64/,
    ],
    ['not PEM at all', () => 'hello', /No "-----BEGIN CERTIFICATE-----" line/],
  ])('%s', (_what, input, message) => {
    let err: unknown;
    try {
      parseCertificate(input());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CertfleetError);
    expect((err as CertfleetError).code).toBe('CERT_PARSE');
    expect((err as CertfleetError).message).toMatch(message);
  });

  it('reads a certificate OpenSSL made (self-signed, EC P-256)', () => {
    const keyPath = dir.file('k.pem', poolKey('p256').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const out = `${dir.path}/o.pem`;
    const r = openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyPath,
      '-subj',
      '/CN=OpenSSL made/O=Acme',
      '-days',
      '30',
      '-out',
      out,
      '-addext',
      'subjectAltName=DNS:a.example,email:x@example.com',
    ]);
    expect(r.status).toBe(0);
    const c = parseCertificate(openssl(['x509', '-in', out]).stdout);
    expect(c.subjectText).toBe('O=Acme,CN=OpenSSL made');
    expect(c.isSelfSigned).toBe(true);
    expect(c.subjectAltName).toEqual([
      { type: 'dns', value: 'a.example' },
      { type: 'email', value: 'x@example.com' },
    ]);
    expect(c.keySpec).toEqual({ kind: 'ec', curve: 'P-256' });
  });
});
