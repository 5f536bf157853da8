/**
 * Imported PKCS, issue 14 point 3 (docs/formats.md §5.4): `certfleet pfx import` stores a user's PFX with its
 * password encrypted to the tenant key (never in clear), refuses bad input without changing anything, and the
 * PFX connector decrypts the password and re-encrypts it per device — every device of the user gets the same
 * certificate and key; a user without an import for the purpose gets PFX_NOT_IMPORTED.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCertificate, isCertfleetError, type Certificate } from '../../../pki/index.ts';
import { buildPkcs12, parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decryptPfxPassword } from '../../../profiles/windows/pfx-password.ts';
import { deliverImportedPfx } from '../../../simulator/service/connector/pfx-connector.ts';
import {
  importUserPfx,
  PFX_PASSWORD_ENV,
  pfxImportCommand,
} from '../../../simulator/service/pfx-import/import-pfx.ts';
import { CA_PASSPHRASE_ENV } from '../../../simulator/service/ca/ca-key-file.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { PFX_STORE_FILE, PfxStore } from '../../../simulator/service/pfx-import/pfx-store.ts';
import { tenantPfxKey } from '../../../simulator/service/pfx-import/tenant-key.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const NOW = new Date('2026-06-01T12:00:00Z');
const PASSWORD = 'Imported-Pfx-Pw-7319';
const ADA = 'ada.lovelace@contoso.com';
let work: string;
let smime: Certificate;
let pfx: Buffer;

function cert(subject: string, keyIndex: number, eku: string[]): Certificate {
  const k = poolKey('rsa2048', keyIndex);
  return createCertificate({
    subject,
    publicKey: k.publicKey,
    issuer: 'self',
    signingKey: k.privateKey,
    serialNumber: (100 + keyIndex).toString(16),
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    extensions: { keyUsage: ['keyEncipherment'], extKeyUsage: eku },
  });
}

/** A device's management identity (certificate + key), as the Windows PFX-password codec takes it. */
const device = (i: number) => ({
  certificate: cert(`CN=device-${i}`, 6 + i, ['clientAuth']),
  privateKey: poolKey('rsa2048', 6 + i).privateKey,
});

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-pfx-'));
  smime = cert('CN=Ada Lovelace,E=ada.lovelace@contoso.com', 10, ['emailProtection']);
  pfx = buildPkcs12({
    privateKey: poolKey('rsa2048', 10).privateKey,
    certificates: [smime.der],
    password: PASSWORD,
    profile: 'modern',
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('regression (QA walkthrough): pfx import into a CA folder whose keys are encrypted', () => {
  it('seals the tenant key as the CA keys are, and needs the CA passphrase', async () => {
    const dir = join(work, 'sealed-ca');
    await EnterpriseCa.init(dir, {
      now: NOW,
      passphrase: 'ca-pass-4471',
      rootKey: poolKey('rsa2048', 2),
      issuingKey: poolKey('rsa2048', 3),
    });
    writeFileSync(join(work, 'ada.pfx'), pfx);
    const command = (env: Record<string, string>) =>
      pfxImportCommand({
        dir,
        user: ADA,
        file: join(work, 'ada.pfx'),
        purpose: 'smimeEncryption',
        now: NOW,
        env: { [PFX_PASSWORD_ENV]: PASSWORD, ...env },
      });
    vi.stubEnv(CA_PASSPHRASE_ENV, 'ca-pass-4471');
    try {
      expect((await command({})).userPrincipalName).toBe(ADA);
      const key = readFileSync(join(dir, 'pfx-import', 'encryption-key.pem'), 'utf8');
      // before the fix: a plain PKCS#8 key, readable without the CA passphrase
      expect(key).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      vi.stubEnv(CA_PASSPHRASE_ENV, '');
      const without = await command({}).catch((e: unknown) => e);
      expect(isCertfleetError(without, 'CA_PASSPHRASE')).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('pfx import', () => {
  const dir = () => join(work, 'tenant');

  it('stores the PFX with its password encrypted to the tenant key, never in clear', async () => {
    const r = await importUserPfx({
      dir: dir(),
      userPrincipalName: ADA,
      pfx,
      password: PASSWORD,
      purpose: 'smimeEncryption',
      now: NOW,
    });
    expect(r).toMatchObject({
      userPrincipalName: ADA,
      intendedPurpose: 'smimeEncryption',
      thumbprint: smime.sha1Thumbprint,
    });
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
    const store = PfxStore.open(dir());
    const [record] = store.list(ADA.toUpperCase());
    store.close();
    expect(record?.thumbprint).toBe(smime.sha1Thumbprint);
    const key = await tenantPfxKey(dir(), NOW);
    expect(decryptPfxPassword(record!.encryptedPfxPassword, [key])).toBe(PASSWORD);
    // no file of the folder holds the password, in UTF-8 or UTF-16LE
    for (const f of readdirSync(join(dir(), 'pfx-import'))) {
      const bytes = readFileSync(join(dir(), 'pfx-import', f));
      expect(bytes.includes(Buffer.from(PASSWORD, 'utf8'))).toBe(false);
      expect(bytes.includes(Buffer.from(PASSWORD, 'utf16le'))).toBe(false);
    }
  });

  it('importing the same certificate again replaces the record', async () => {
    await importUserPfx({
      dir: dir(),
      userPrincipalName: ADA,
      pfx,
      password: PASSWORD,
      purpose: 'smimeEncryption',
      now: NOW,
    });
    const store = PfxStore.open(dir());
    expect(store.list(ADA)).toHaveLength(1);
    store.close();
  });

  it.each([
    ['a wrong password', 'PKCS12_BAD_PASSWORD', { password: 'nope' }],
    ['an unknown purpose', 'PFX_IMPORT_INVALID', { purpose: 'smime' }],
    ['a user name that is not a UPN', 'PFX_IMPORT_INVALID', { userPrincipalName: 'ada' }],
    ['bytes that are not a PFX', 'PKCS12_PARSE', { pfx: Buffer.from('not a pfx') }],
  ] as const)('%s → %s, and nothing is written', async (_what, code, over) => {
    const fresh = join(work, `bad-${code}-${Object.keys(over)[0]}`);
    const e = await importUserPfx({
      dir: fresh,
      userPrincipalName: ADA,
      pfx,
      password: PASSWORD,
      purpose: 'smimeEncryption',
      now: NOW,
      ...over,
    }).catch((x: unknown) => x);
    expect(isCertfleetError(e) && e.code).toBe(code);
    expect(String((e as Error).message)).not.toContain(PASSWORD);
    expect(existsSync(join(fresh, PFX_STORE_FILE))).toBe(false);
    expect(existsSync(fresh)).toBe(false);
  });
});

describe('the PFX connector', () => {
  it('re-encrypts the password per device: each device decrypts it, and every device holds the same certificate and key', async () => {
    const dir = join(work, 'tenant');
    const key = await tenantPfxKey(dir, NOW);
    const store = PfxStore.open(dir);
    const records = store.list();
    store.close();
    const devices = [device(1), device(2)];
    const sent = devices.map((d) => deliverImportedPfx(records, key, ADA, 'smimeEncryption', d.certificate));
    expect(sent[0]!.encryptedPassword).not.toBe(sent[1]!.encryptedPassword);
    sent.forEach((s, i) => {
      const password = decryptPfxPassword(s.encryptedPassword, [devices[i]!]);
      expect(password).toBe(PASSWORD);
      const p = parsePkcs12(s.pfx, password);
      expect(p.certificates[0]!.equals(smime.der)).toBe(true);
      expect(s.thumbprint).toBe(smime.sha1Thumbprint);
    });
    // a device cannot read another device's blob, nor can the tenant key
    for (const other of [devices[1]!, key]) {
      const e = caught(() => decryptPfxPassword(sent[0]!.encryptedPassword, [other]));
      expect(isCertfleetError(e) && e.code).toBe('INSTALL_PASSWORD_UNDECRYPTABLE');
    }
  });

  it('a user with no imported PFX for the purpose → PFX_NOT_IMPORTED, naming the user, the purpose and what exists', async () => {
    const dir = join(work, 'tenant');
    const key = await tenantPfxKey(dir, NOW);
    const store = PfxStore.open(dir);
    const records = store.list();
    store.close();
    const none = caught(() =>
      deliverImportedPfx(records, key, 'grace.hopper@contoso.com', 'smimeEncryption', device(1).certificate),
    );
    expect(isCertfleetError(none) && none.code).toBe('PFX_NOT_IMPORTED');
    expect((none as Error).message).toContain(
      'grace.hopper@contoso.com has no imported PFX for the purpose smimeEncryption',
    );
    const other = caught(() => deliverImportedPfx(records, key, ADA, 'vpn', device(1).certificate));
    expect(isCertfleetError(other) && other.code).toBe('PFX_NOT_IMPORTED');
    expect((other as Error).message).toContain('(only for smimeEncryption)');
  });
});

describe('certfleet pfx import / list (the CLI)', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(ROOT, 'bin', 'certfleet.mjs'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it('imports with the password from the environment, prints no secret, and lists the import', () => {
    const dir = join(work, 'cli-tenant');
    const file = join(work, 'ada.pfx');
    writeFileSync(file, pfx);
    const r = cli(
      ['pfx', 'import', '--dir', dir, '--user', ADA, '--file', file, '--purpose', 'smimeEncryption'],
      {
        [PFX_PASSWORD_ENV]: PASSWORD,
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`imported ${ADA}  smimeEncryption  ${smime.sha1Thumbprint}`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    const l = cli(['pfx', 'list', '--dir', dir, '--json']);
    expect(l.status).toBe(0);
    const listed = JSON.parse(l.stdout) as Record<string, unknown>[];
    expect(listed.map((x) => [x['userPrincipalName'], x['thumbprint']])).toEqual([
      [ADA, smime.sha1Thumbprint],
    ]);
    expect(Object.keys(listed[0]!)).not.toContain('encryptedPfxPassword');
  });

  it('without the password variable: a usage error that names it (exit 2), nothing written', () => {
    const dir = join(work, 'cli-nopw');
    const env = { ...process.env };
    delete env[PFX_PASSWORD_ENV];
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'certfleet.mjs'),
        'pfx',
        'import',
        '--dir',
        dir,
        '--user',
        ADA,
        '--file',
        join(work, 'ada.pfx'),
        '--purpose',
        'smimeEncryption',
      ],
      { encoding: 'utf8', env },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(PFX_PASSWORD_ENV);
    expect(existsSync(dir)).toBe(false);
  });
});
