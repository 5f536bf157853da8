import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { Pkcs12Pool } from '../../../pki/pkcs12-pool.ts';
import { EnterpriseCa, type IssueRequest } from '../../../simulator/service/ca/enterprise-ca.ts';
import { issuePfx } from '../../../simulator/service/ca/issue-pfx.ts';
import { CONNECTOR_GROUP, defaultTemplates } from '../../../simulator/service/ca/template.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { openssl } from '../pki/openssl.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const connector = { identity: 'connector-01', groups: [CONNECTOR_GROUP] };
let base: string;
let n = 0;

function freshDir(): string {
  n += 1;
  return join(base, `ca-${n}`);
}

async function newCa(
  opts: { kind?: 'enterprise' | 'standalone'; issuingYears?: number } = {},
): Promise<EnterpriseCa> {
  return EnterpriseCa.init(freshDir(), {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
    ...opts,
  });
}

function request(over: Partial<IssueRequest> = {}): IssueRequest {
  return {
    template: 'CertfleetUser',
    requester: connector,
    subject: 'CN=Ada Lovelace,O=Contoso',
    san: [{ type: 'upn', value: 'ada@contoso.com' }],
    publicKey: poolKey('rsa2048', 2).publicKey,
    serverSideKey: true,
    now: NOW,
    ...over,
  };
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-ca-test-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('EnterpriseCa hierarchy', () => {
  it('writes root (DER + PEM) and issuing CA that OpenSSL accepts as a chain', async () => {
    const ca = await newCa();
    for (const f of ['root.cer', 'root.pem', 'issuing.pem', 'ca.json', 'issued.jsonl']) {
      expect(existsSync(join(ca.dir, f)), f).toBe(true);
    }
    const der = openssl(['x509', '-inform', 'DER', '-in', join(ca.dir, 'root.cer'), '-noout', '-subject']);
    expect(der.stdout).toContain('Certfleet Root CA');
    const v = openssl(['verify', '-CAfile', join(ca.dir, 'root.pem'), join(ca.dir, 'issuing.pem')]);
    expect(v.stdout).toContain(': OK');
    const text = openssl(['x509', '-in', join(ca.dir, 'issuing.pem'), '-noout', '-text']).stdout;
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(text).toContain('Certificate Sign, CRL Sign');
  });

  it('refuses to overwrite an existing CA unless forced, and a later open reuses it', async () => {
    const ca = await newCa();
    await expect(
      EnterpriseCa.init(ca.dir, {
        now: NOW,
        rootKey: poolKey('rsa2048', 3),
        issuingKey: poolKey('rsa2048', 4),
      }),
    ).rejects.toMatchObject({ code: 'CA_EXISTS' });
    ca.issue(request());
    const reopened = EnterpriseCa.open(ca.dir);
    expect(reopened.root.sha1Thumbprint).toBe(ca.root.sha1Thumbprint);
    expect(reopened.issuedRecords()).toHaveLength(1);
    const forced = await EnterpriseCa.init(ca.dir, {
      now: NOW,
      force: true,
      rootKey: poolKey('rsa2048', 3),
      issuingKey: poolKey('rsa2048', 4),
    });
    expect(forced.root.sha1Thumbprint).not.toBe(ca.root.sha1Thumbprint);
    expect(EnterpriseCa.open(ca.dir).issuedRecords()).toHaveLength(0);
  });

  it('reports a missing or damaged CA folder with its own code', async () => {
    expect(() => EnterpriseCa.open(join(base, 'nothing-here'))).toThrow(
      expect.objectContaining({ code: 'CA_NOT_FOUND' }),
    );
    const ca = await newCa();
    writeFileSync(join(ca.dir, 'issued.jsonl'), '{not json\n{"type":"issued"}\n');
    expect(() => EnterpriseCa.open(ca.dir)).toThrow(expect.objectContaining({ code: 'CA_CORRUPT' }));
  });

  type Json = Record<string, unknown> & { templates: Record<string, unknown>[] };
  it.each<[string, (c: Json) => unknown, RegExp]>([
    [
      'templates missing',
      (c) => {
        delete (c as Partial<Json>).templates;
        return c;
      },
      /ca\.json is damaged: templates is missing/,
    ],
    [
      'a template without validity',
      (c) => {
        delete c.templates[1]!.validity;
        return c;
      },
      /templates\[1\]\.validity is missing/,
    ],
    [
      'a validity value of the wrong type',
      (c) => {
        (c.templates[0]!.validity as { value: unknown }).value = '1';
        return c;
      },
      /templates\[0\]\.validity\.value must be an integer, not the string '1'/,
    ],
    [
      'a permission entry that is not an object',
      (c) => {
        c.templates[0]!.permissions = [null];
        return c;
      },
      /templates\[0\]\.permissions\[0\] must be an object, not null/,
    ],
    [
      'nextCrlNumber missing',
      (c) => ({ ...c, nextCrlNumber: undefined }),
      /nextCrlNumber is missing|nextCrlNumber must be/,
    ],
    [
      'an unknown format',
      (c) => ({ ...c, format: 'certfleet-ca/9' }),
      /format must be one of certfleet-ca\/1/,
    ],
    ['an array instead of an object', () => [], /\(top level\) must be an object, not an array/],
    [
      'a template whose values break the template rules',
      (c) => {
        c.templates[0]!.minimumKeySize = 1000;
        return c;
      },
      /templates\[0\]: Template 'CertfleetUser' is invalid: minimumKeySize/,
    ],
  ])(
    'regression issue 2: a ca.json with %s is CA_CORRUPT naming the field',
    async (_what, damage, message) => {
      const ca = await newCa();
      const file = join(ca.dir, 'ca.json');
      const config = JSON.parse(readFileSync(file, 'utf8')) as Json;
      writeFileSync(file, JSON.stringify(damage(config)));
      let err: unknown;
      try {
        EnterpriseCa.open(ca.dir);
      } catch (e) {
        err = e;
      }
      expect(isCertfleetError(err, 'CA_CORRUPT'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toMatch(/Cannot read properties/);
    },
  );

  it('the issued log survives a torn last line (a crash mid-append) and keeps revocations', async () => {
    const ca = await newCa();
    const a = ca.issue(request());
    ca.issue(request({ publicKey: poolKey('rsa2048', 7).publicKey }));
    ca.revoke(a.record.serial, 'superseded', NOW);
    appendFileSync(join(ca.dir, 'issued.jsonl'), '{"type":"issued","serial":"AB');
    const records = EnterpriseCa.open(ca.dir).issuedRecords();
    expect(records).toHaveLength(2);
    expect(records[0]?.revoked).toEqual({ at: NOW.toISOString(), reason: 'superseded' });
  });

  it('has the two default templates of the issue', async () => {
    const ca = await newCa();
    const byName = Object.fromEntries(ca.templates().map((t) => [t.template.name, t]));
    expect(byName.CertfleetUser?.template).toMatchObject({
      subjectType: 'user',
      minimumKeySize: 2048,
      subjectSource: 'request',
      allowPrivateKeyExport: true,
      applicationPolicies: ['efs', 'emailProtection', 'clientAuth'],
      validity: { value: 1, unit: 'years' },
    });
    expect(byName.CertfleetDevice?.template).toMatchObject({
      subjectType: 'device',
      applicationPolicies: ['clientAuth'],
    });
    expect(byName.CertfleetUser?.published).toBe(true);
  });
});

describe('issuance', () => {
  it('issues a leaf that OpenSSL verifies and shows with subject, UPN, EKUs, key usage and template', async () => {
    const ca = await newCa();
    const issued = ca.issue(
      request({
        san: [
          { type: 'upn', value: 'ada@contoso.com' },
          { type: 'email', value: 'ada@contoso.com' },
        ],
      }),
    );
    const leaf = join(ca.dir, 'leaf.pem');
    writeFileSync(leaf, issued.certificate.pem);
    const v = openssl([
      'verify',
      '-CAfile',
      join(ca.dir, 'root.pem'),
      '-untrusted',
      join(ca.dir, 'issuing.pem'),
      leaf,
    ]);
    expect(v.stdout).toContain(': OK');
    const text = openssl(['x509', '-in', leaf, '-noout', '-text']).stdout;
    expect(text).toContain('CN = Ada Lovelace');
    expect(text).toMatch(/UPN:ada@contoso.com|othername: UPN::ada@contoso.com/);
    expect(text).toContain('email:ada@contoso.com');
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).toContain('E-mail Protection');
    expect(text).toContain('Microsoft Encrypted File System'); // EFS, 1.3.6.1.4.1.311.10.3.4
    expect(text).toContain('1.3.6.1.4.1.311.21.10'); // application policies mirror the EKUs
    expect(text).toContain('Digital Signature, Key Encipherment');
    expect(text).not.toContain('Non Repudiation');
    expect(text).toContain('1.3.6.1.4.1.311.21.7'); // certificate template information
    expect(text).toContain('http://pki.certfleet.test/CertEnroll/');
    // valid one year (the template's), from AD CS's 10-minute back-dating
    expect(issued.certificate.notAfter.toISOString()).toBe('2027-06-01T12:00:00.000Z');
    expect(issued.record).toMatchObject({ template: 'CertfleetUser', requester: 'connector-01' });
  });

  it('adds nonRepudiation when the template says "Signature is proof of origin"', async () => {
    const ca = await newCa();
    const templates = defaultTemplates().map((t) =>
      t.name === 'CertfleetUser' ? { ...t, keyUsage: { ...t.keyUsage, nonRepudiation: true } } : t,
    );
    ca.configureTemplates({ templates });
    const issued = ca.issue(request());
    expect(issued.certificate.keyUsage).toContain('nonRepudiation');
  });

  it('a template with a 4096-bit minimum accepts a 4096-bit key', async () => {
    const ca = await newCa();
    ca.configureTemplates({ templates: defaultTemplates().map((t) => ({ ...t, minimumKeySize: 4096 })) });
    expect(ca.issue(request({ publicKey: poolKey('rsa4096').publicKey })).record.template).toBe(
      'CertfleetUser',
    );
  });

  it('accepts a 4096-bit key and a shorter requested validity', async () => {
    const ca = await newCa();
    const issued = ca.issue(
      request({ publicKey: poolKey('rsa4096').publicKey, validity: { value: 30, unit: 'days' } }),
    );
    expect(issued.certificate.notAfter.toISOString()).toBe('2026-07-01T12:00:00.000Z');
  });

  type DenialRow = {
    name: string;
    code: ErrorCode;
    hresult: string;
    setup?: (ca: EnterpriseCa) => void;
    req?: Partial<IssueRequest>;
    kind?: 'standalone';
    issuingYears?: number;
    message: RegExp;
  };
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  const denials: DenialRow[] = [
    {
      name: 'unknown template',
      code: 'CA_TEMPLATE_NOT_SUPPORTED',
      hresult: '0x80094800',
      req: { template: 'WebServerX' },
      message: /No template named 'WebServerX'/,
    },
    {
      name: 'template not published',
      code: 'CA_TEMPLATE_NOT_SUPPORTED',
      hresult: '0x80094800',
      setup: (ca) => ca.configureTemplates({ published: ['CertfleetDevice'] }),
      message: /exists but is not published/,
    },
    {
      name: 'no template on an enterprise CA',
      code: 'CA_NO_TEMPLATE',
      hresult: '0x80094801',
      req: { template: undefined },
      message: /needs a certificate template/,
    },
    {
      name: 'requester lacks Enroll',
      code: 'CA_TEMPLATE_DENIED',
      hresult: '0x80094012',
      req: { requester: { identity: 'rogue-connector' } },
      message: /Denied by Policy Module/,
    },
    {
      name: 'Read without Enroll',
      code: 'CA_TEMPLATE_DENIED',
      hresult: '0x80094012',
      setup: (ca) =>
        ca.configureTemplates({
          templates: defaultTemplates().map((t) => ({
            ...t,
            permissions: [{ principal: CONNECTOR_GROUP, read: true, enroll: false }],
          })),
        }),
      message: /lacks Enroll on template/,
    },
    {
      name: 'key below the minimum',
      code: 'CA_KEY_LENGTH',
      hresult: '0x80094811',
      req: { publicKey: rsa1024 },
      message: /RSA-1024 key is below the 2048-bit/,
    },
    {
      name: 'RSA-2048 key on a template with a 4096-bit minimum',
      code: 'CA_KEY_LENGTH',
      hresult: '0x80094811',
      setup: (ca) =>
        ca.configureTemplates({
          templates: defaultTemplates().map((t) => ({ ...t, minimumKeySize: 4096 })),
        }),
      message: /RSA-2048 key is below the 4096-bit RSA minimum of 'CertfleetUser'/,
    },
    {
      name: 'EC key on an RSA template',
      code: 'CA_KEY_LENGTH',
      hresult: '0x80094811',
      req: { publicKey: poolKey('p256').publicKey },
      message: /ECDSA-256/,
    },
    {
      name: 'subject e-mail required but missing',
      code: 'CA_SUBJECT_EMAIL_REQUIRED',
      hresult: '0x80094812',
      setup: (ca) =>
        ca.configureTemplates({
          templates: defaultTemplates().map((t) => ({
            ...t,
            subjectSource: 'directory' as const,
            requireEmail: true,
          })),
        }),
      message: /requires an e-mail name/,
    },
    // a validity longer than the template's or the CA's is cut, not denied: test/unit/ca/issue12-ca.test.ts
    {
      name: 'CN over 64 characters',
      code: 'CA_BAD_SUBJECT',
      hresult: '0x80094001',
      req: { subject: `CN=${'x'.repeat(65)}` },
      message: /65 characters/,
    },
    {
      name: 'unparsable subject',
      code: 'CA_BAD_SUBJECT',
      hresult: '0x80094001',
      req: { subject: 'CN=a,,=b' },
      message: /not a valid distinguished name/,
    },
    {
      name: 'standalone CA refuses templates',
      code: 'CA_STANDALONE_NO_TEMPLATES',
      hresult: '0x80094800',
      kind: 'standalone',
      message:
        /standalone CA: it has no certificate templates, so it cannot issue from 'CertfleetUser'; submit the request without a template/,
    },
  ];

  it.each(denials)('denies: $name → $code', async (row) => {
    const ca = await newCa({ kind: row.kind, issuingYears: row.issuingYears });
    row.setup?.(ca);
    const before = readFileSync(join(ca.dir, 'issued.jsonl'), 'utf8');
    let err: unknown;
    try {
      ca.issue(request(row.req));
    } catch (e) {
      err = e;
    }
    expect(isCertfleetError(err, row.code), String(err)).toBe(true);
    if (!isCertfleetError(err)) return;
    expect(err.message).toMatch(row.message);
    expect(err.message).toContain(row.hresult);
    expect(err.details.hresult).toBe(row.hresult);
    // A denial records nothing.
    expect(readFileSync(join(ca.dir, 'issued.jsonl'), 'utf8')).toBe(before);
    expect(EnterpriseCa.open(ca.dir).issuedRecords()).toHaveLength(0);
  });

  it('issues on a template that does not allow private-key export: the flag instructs the client, the CA does not check it (MS-CRTD 2.27)', async () => {
    // a PKCS connector fails afterwards, exporting its key (issue-pfx.ts, CONNECTOR_KEY_NOT_EXPORTABLE)
    const ca = await newCa({});
    ca.configureTemplates({
      templates: defaultTemplates().map((t) => ({ ...t, allowPrivateKeyExport: false })),
    });
    const issued = ca.issue(request({}));
    expect(issued.certificate.subjectText).toContain('Ada Lovelace');
    expect(EnterpriseCa.open(ca.dir).issuedRecords()).toHaveLength(1);
  });

  type Ace = { principal: string; read: boolean; enroll: boolean };
  const permissionRows: { name: string; acl: Ace[]; groups?: string[]; issued: boolean; lacks?: RegExp }[] = [
    {
      name: 'Authenticated Users: Read + Connectors: Enroll',
      acl: [
        { principal: 'Authenticated Users', read: true, enroll: false },
        { principal: CONNECTOR_GROUP, read: false, enroll: true },
      ],
      issued: true,
    },
    {
      name: 'identity: Read + group: Enroll',
      acl: [
        { principal: 'CONNECTOR-01', read: true, enroll: false },
        { principal: CONNECTOR_GROUP, read: false, enroll: true },
      ],
      issued: true,
    },
    {
      name: 'Read and Enroll on one entry',
      acl: [{ principal: CONNECTOR_GROUP, read: true, enroll: true }],
      issued: true,
    },
    {
      name: 'Enroll only (no entry grants Read)',
      acl: [{ principal: CONNECTOR_GROUP, read: false, enroll: true }],
      issued: false,
      lacks: /lacks Read on template/,
    },
    {
      name: 'Enroll granted to a group the requester is not in',
      acl: [
        { principal: 'Authenticated Users', read: true, enroll: false },
        { principal: 'OtherConnectors', read: true, enroll: true },
      ],
      issued: false,
      lacks: /lacks Enroll on template/,
    },
    {
      name: 'no matching entry at all',
      acl: [{ principal: 'OtherConnectors', read: true, enroll: true }],
      groups: [],
      issued: false,
      lacks: /lacks Read and Enroll on template/,
    },
  ];

  describe('regression issue 2: template permissions combine across the requester\u2019s principals', () => {
    it.each(permissionRows)('$name → issued: $issued', async ({ acl, groups, issued, lacks }) => {
      const ca = await newCa();
      ca.configureTemplates({ templates: defaultTemplates().map((t) => ({ ...t, permissions: acl })) });
      const req = request({ requester: { identity: 'connector-01', groups: groups ?? [CONNECTOR_GROUP] } });
      if (issued) {
        expect(ca.issue(req).record.requester).toBe('connector-01');
      } else {
        expect(() => ca.issue(req)).toThrow(
          expect.objectContaining({ code: 'CA_TEMPLATE_DENIED', message: expect.stringMatching(lacks!) }),
        );
      }
    });
  });

  it('a standalone CA issues without a template', async () => {
    const ca = await newCa({ kind: 'standalone' });
    const issued = ca.issue(request({ template: undefined }));
    expect(issued.record.template).toBeNull();
  });

  describe('regression issue 2: a standalone CA has no templates', () => {
    it('init writes none, publishes none, and configureTemplates refuses to add one', async () => {
      const ca = await newCa({ kind: 'standalone' });
      expect(ca.templates()).toEqual([]);
      const saved = JSON.parse(readFileSync(join(ca.dir, 'ca.json'), 'utf8')) as {
        templates: unknown[];
        published: unknown[];
      };
      expect(saved).toMatchObject({ kind: 'standalone', templates: [], published: [] });
      expect(() => ca.configureTemplates({ templates: defaultTemplates() })).toThrow(
        expect.objectContaining({ code: 'CA_STANDALONE_NO_TEMPLATES' }),
      );
      expect(EnterpriseCa.open(ca.dir).templates()).toEqual([]);
    });

    it('issues a PKCS#12 with the CA defaults: Client Authentication, 1 year, no template extension', async () => {
      const ca = await newCa({ kind: 'standalone' });
      const issued = await issuePfx(ca, {
        subject: 'CN=PC-9',
        keyPair: poolKey('rsa2048', 8),
        password: 'pw',
        requester: { identity: 'anyone' },
        now: NOW,
      });
      expect(issued.certificate.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(issued.certificate.notAfter.toISOString()).toBe('2027-06-01T12:00:00.000Z');
      const leaf = join(ca.dir, 'standalone-leaf.pem');
      writeFileSync(leaf, issued.certificate.pem);
      const text = openssl(['x509', '-in', leaf, '-noout', '-text']).stdout;
      expect(text).not.toContain('1.3.6.1.4.1.311.21.7');
      expect(issued.record.template).toBeNull();
    });
  });
});

describe('PKCS#12 issuance (server-side key)', () => {
  it.each([
    { legacy: false, info: /AES-256-CBC/ },
    { legacy: true, info: /pbeWithSHA1And3-KeyTripleDES-CBC/ },
  ])(
    'legacy=$legacy opens in OpenSSL with the password and is refused with a wrong one',
    async ({ legacy, info }) => {
      const ca = await newCa();
      const issued = await issuePfx(ca, {
        template: 'CertfleetDevice',
        subject: 'CN=DESKTOP-01',
        san: [{ type: 'dns', value: 'desktop-01.contoso.com' }],
        keyPair: poolKey('rsa2048', 5),
        legacy,
        password: 'pw-1',
        requester: connector,
        now: NOW,
      });
      const file = join(ca.dir, 'device.pfx');
      writeFileSync(file, issued.pfx);
      const ok = openssl(['pkcs12', '-in', file, '-passin', 'pass:pw-1', '-info', '-nodes']);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toContain('BEGIN PRIVATE KEY');
      expect(ok.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      expect(ok.stderr + ok.stdout).toMatch(info);
      const bad = openssl(['pkcs12', '-in', file, '-passin', 'pass:wrong', '-nodes']);
      expect(bad.status).not.toBe(0);
      expect(() => parsePkcs12(issued.pfx, 'wrong')).toThrow(
        expect.objectContaining({ code: 'PKCS12_BAD_PASSWORD' }),
      );
      const back = parsePkcs12(issued.pfx, 'pw-1');
      expect(parseCertificate(back.certificates[0]!).serialNumber).toBe(issued.certificate.serialNumber);
    },
  );

  it('built on the issuance pool (a worker thread): the same identity, and the pool did the build', async () => {
    const ca = await newCa();
    const pool = new Pkcs12Pool({ size: 1 });
    try {
      const key = poolKey('rsa2048', 7);
      const issued = await issuePfx(ca, {
        template: 'CertfleetDevice',
        subject: 'CN=DESKTOP-02',
        keyPair: key,
        password: 'pw-2',
        requester: connector,
        now: NOW,
        pkcs12: pool,
      });
      expect(pool.built).toBe(1);
      const back = parsePkcs12(issued.pfx, 'pw-2');
      expect(back.profile).toBe('modern');
      expect(back.certificates.map((c) => c.toString('hex'))).toEqual(
        [issued.certificate.der, ca.issuing.der].map((c) => c.toString('hex')),
      );
      const der = (k: typeof key.privateKey): Buffer => k.export({ type: 'pkcs8', format: 'der' });
      expect(der(back.privateKey).equals(der(key.privateKey))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('revocation and CRL', () => {
  it('revokes by serial and publishes a CRL that OpenSSL verifies and that lists the serial', async () => {
    const ca = await newCa();
    const a = ca.issue(request());
    const b = ca.issue(request({ publicKey: poolKey('rsa2048', 6).publicKey }));
    ca.revoke(a.record.serial.toLowerCase(), 'keyCompromise', NOW);
    const crlFile = join(ca.dir, 'crl.der');
    writeFileSync(crlFile, ca.publishCrl(new Date('2026-06-02T00:00:00Z')));
    const r = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      crlFile,
      '-CAfile',
      join(ca.dir, 'issuing.pem'),
      '-noout',
      '-text',
    ]);
    expect(r.stderr + r.stdout).toContain('verify OK');
    expect(r.stdout).toContain(`Serial Number: ${a.record.serial}`);
    expect(r.stdout).not.toContain(`Serial Number: ${b.record.serial}`);
    expect(r.stdout).toContain('Key Compromise');
    expect(r.stdout).toMatch(/X509v3 CRL Number:\s*\n\s*1/);
    // the next CRL gets the next number
    writeFileSync(crlFile, EnterpriseCa.open(ca.dir).publishCrl(NOW));
    expect(openssl(['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']).stdout).toMatch(
      /CRL Number:\s*\n\s*2/,
    );
  });

  it.each([
    { name: 'unknown serial', serial: '0BADC0DE', code: 'CA_SERIAL_NOT_FOUND' as const },
    { name: 'already revoked', serial: 'FIRST', code: 'CA_ALREADY_REVOKED' as const },
  ])('revoke: $name → $code', async ({ serial, code }) => {
    const ca = await newCa();
    const a = ca.issue(request());
    ca.revoke(a.record.serial, 'superseded', NOW);
    expect(() => ca.revoke(serial === 'FIRST' ? a.record.serial : serial, 'unspecified', NOW)).toThrow(
      expect.objectContaining({ code }),
    );
  });
});
