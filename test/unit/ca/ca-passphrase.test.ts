import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CA_FILES } from '../../../simulator/service/ca/ca-folder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const PASSPHRASE = 'Tq7-correct-horse-battery';
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-ca-pass-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function caught(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('issue 10: the CA keys at rest were plain PKCS#8; ca init --passphrase-env encrypts them', () => {
  it('with a passphrase: encrypted PKCS#8 (0600) that OpenSSL opens only with it; open() needs it', async () => {
    const dir = join(work, 'sealed');
    const made = await EnterpriseCa.init(dir, {
      now: NOW,
      rootKey: poolKey('rsa2048', 0),
      issuingKey: poolKey('rsa2048', 1),
      passphrase: PASSPHRASE,
    });
    for (const f of [CA_FILES.rootKey, CA_FILES.issuingKey]) {
      const path = join(dir, f);
      const pem = readFileSync(path, 'utf8');
      expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
      expect(pem).not.toContain('-----BEGIN PRIVATE KEY-----');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      // OpenSSL is the judge: the right passphrase opens it, a wrong one does not
      const out = execFileSync(
        'openssl',
        ['pkey', '-in', path, '-passin', `pass:${PASSPHRASE}`, '-noout', '-text'],
        {
          encoding: 'utf8',
        },
      );
      expect(out).toContain('Private-Key: (2048 bit');
      expect(() =>
        execFileSync('openssl', ['pkey', '-in', path, '-passin', 'pass:wrong-passphrase', '-noout'], {
          stdio: 'ignore',
        }),
      ).toThrow();
    }

    const missing = caught(() => EnterpriseCa.open(dir, { passphrase: '' }));
    expect(missing.code).toBe('CA_PASSPHRASE');
    expect(missing.message).toContain('CERTFLEET_CA_PASSPHRASE');

    const wrong = caught(() => EnterpriseCa.open(dir, { passphrase: 'Tq7-wrong-horse' }));
    expect(wrong.code).toBe('CA_PASSPHRASE');
    for (const part of ['Tq7', 'horse', 'wrong', 'correct']) expect(wrong.message).not.toContain(part);

    const opened = EnterpriseCa.open(dir, { passphrase: PASSPHRASE });
    expect(opened.issuing.sha1Thumbprint).toBe(made.issuing.sha1Thumbprint);
  });

  it('the passphrase is read from CERTFLEET_CA_PASSPHRASE when none is passed', async () => {
    const dir = join(work, 'env');
    await EnterpriseCa.init(dir, {
      now: NOW,
      rootKey: poolKey('rsa2048', 0),
      issuingKey: poolKey('rsa2048', 1),
      passphrase: PASSPHRASE,
    });
    const before = process.env.CERTFLEET_CA_PASSPHRASE;
    try {
      process.env.CERTFLEET_CA_PASSPHRASE = PASSPHRASE;
      expect(EnterpriseCa.open(dir).kind).toBe('enterprise');
      delete process.env.CERTFLEET_CA_PASSPHRASE;
      expect(caught(() => EnterpriseCa.open(dir)).code).toBe('CA_PASSPHRASE');
    } finally {
      if (before === undefined) delete process.env.CERTFLEET_CA_PASSPHRASE;
      else process.env.CERTFLEET_CA_PASSPHRASE = before;
    }
  });

  it('without a passphrase: plain PKCS#8, still 0600, opens without one', async () => {
    const dir = join(work, 'plain');
    await EnterpriseCa.init(dir, {
      now: NOW,
      rootKey: poolKey('rsa2048', 0),
      issuingKey: poolKey('rsa2048', 1),
    });
    const path = join(dir, CA_FILES.issuingKey);
    expect(readFileSync(path, 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(EnterpriseCa.open(dir, { passphrase: 'ignored-for-a-plain-key' }).kind).toBe('enterprise');
  });
});
