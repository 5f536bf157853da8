/**
 * What certfleet builds opens in OpenSSL 3 (`openssl pkcs12`, without -legacy): the key and both
 * certificates come out, `-info` names the algorithms each profile claims, a wrong password is refused
 * and the empty password works.
 */
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPkcs12, type Pkcs12Profile } from '../../../pki/pkcs12.ts';
import { makeFixtures, openssl, pemCertificates, type Pkcs12Fixtures } from './openssl-fixtures.ts';

let fx: Pkcs12Fixtures;
beforeAll(() => {
  fx = makeFixtures();
});
afterAll(() => fx.dispose());

const INFO: Record<Pkcs12Profile, string[]> = {
  legacy: [
    'MAC: sha1, Iteration 2048',
    'PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
    'Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
  ],
  modern: [
    'MAC: sha256, Iteration 2048',
    'PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256',
    'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256',
  ],
};

const cases = (['legacy', 'modern'] as const).flatMap((profile) =>
  (['rsa', 'ec'] as const).flatMap((id) =>
    ['Correct Horse ä€', ''].map((password) => ({
      profile,
      id,
      password,
      label: password === '' ? 'empty' : 'set',
    })),
  ),
);

describe.each(cases)('$profile profile, $id key, $label password', ({ profile, id, password }) => {
  it('opens with `openssl pkcs12 -nodes` showing the key and both certificates', () => {
    const ident = fx[id];
    const p12 = buildPkcs12({
      privateKey: ident.privateKey,
      certificates: ident.chain,
      password,
      profile,
      friendlyName: 'device cert',
    });
    const r = openssl(['pkcs12', '-in', fx.file('ours.p12', p12), '-passin', `pass:${password}`, '-nodes']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const certs = pemCertificates(r.stdout);
    expect(certs.map((c) => c.toString('hex')).sort()).toEqual(
      ident.chain.map((c) => c.toString('hex')).sort(),
    );
    const keyPem = /-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----/.exec(r.stdout)?.[0];
    expect(keyPem).toBeDefined();
    const exported = createPrivateKey(keyPem as string).export({ type: 'pkcs8', format: 'der' });
    expect(exported.equals(ident.privateKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
    expect(r.stdout).toContain('friendlyName: device cert');
    expect(r.stdout).toMatch(/localKeyID: [0-9A-F ]{59}/);
  });

  it('`-info` names the profile algorithms', () => {
    const ident = fx[id];
    const p12 = buildPkcs12({ privateKey: ident.privateKey, certificates: ident.chain, password, profile });
    const r = openssl([
      'pkcs12',
      '-in',
      fx.file('ours.p12', p12),
      '-passin',
      `pass:${password}`,
      '-info',
      '-noout',
    ]);
    expect(r.status).toBe(0);
    for (const line of INFO[profile]) expect(r.stderr + r.stdout).toContain(line);
  });

  it('is refused by OpenSSL with a wrong password', () => {
    const ident = fx[id];
    const p12 = buildPkcs12({ privateKey: ident.privateKey, certificates: ident.chain, password, profile });
    const r = openssl(['pkcs12', '-in', fx.file('ours.p12', p12), '-passin', `pass:${password}x`, '-noout']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Mac verify error');
  });
});

describe('without a friendlyName', () => {
  it.each(['legacy', 'modern'] as const)('%s: OpenSSL shows only the localKeyID attribute', (profile) => {
    const p12 = buildPkcs12({
      privateKey: fx.rsa.privateKey,
      certificates: [fx.rsa.leaf],
      password: 'p',
      profile,
    });
    const r = openssl(['pkcs12', '-in', fx.file('ours.p12', p12), '-passin', 'pass:p', '-nodes']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('friendlyName');
    expect(r.stdout).toContain('localKeyID');
    expect(pemCertificates(r.stdout)).toHaveLength(1);
  });
});
