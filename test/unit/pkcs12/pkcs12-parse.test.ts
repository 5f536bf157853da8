/**
 * parsePkcs12 on OpenSSL's output and on our own (round trip), rewrapPkcs12, determinism, and the error
 * codes: PKCS12_BAD_PASSWORD, PKCS12_PARSE, PKCS12_UNSUPPORTED.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import { buildPkcs12, parsePkcs12, rewrapPkcs12, type RandomBytes } from '../../../pki/pkcs12.ts';
import {
  berBytes,
  berChildren,
  derTlv,
  readBer,
  readBerOctetString,
  readTlvHeader,
} from '../../../pki/pkcs12-asn1.ts';
import { makeMacData, readMacData } from '../../../pki/pkcs12-mac.ts';
import { conformancePath, itConformance } from '../../fixtures/conformance.ts';
import { makeFixtures, openssl, opensslBytes, plainPfx, type Pkcs12Fixtures } from './openssl-fixtures.ts';

let fx: Pkcs12Fixtures;
beforeAll(() => {
  fx = makeFixtures();
});
afterAll(() => fx.dispose());

const pkcs8 = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'der' }).toString('hex');
const hex = (bs: Buffer[]): string[] => bs.map((b) => b.toString('hex'));

/** A seeded random source: SHA-256 in counter mode (deterministic, distinct per seed). */
function seeded(seed: string): RandomBytes {
  let counter = 0;
  return (n) => {
    const out: Buffer[] = [];
    for (let len = 0; len < n; len += 32)
      out.push(createHash('sha256').update(`${seed}/${counter++}`).digest());
    return Buffer.concat(out).subarray(0, n);
  };
}

function codeOf(fn: () => unknown): { code: ErrorCode; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CertfleetError) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a CertfleetError, nothing was thrown');
}

describe('reading `openssl pkcs12 -export` output', () => {
  const variants = [
    {
      name: 'OpenSSL 3 default',
      args: [],
      profile: 'modern',
      mac: 'sha256',
      certs: 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC',
    },
    {
      name: '3DES + SHA-1 MAC',
      args: ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'],
      profile: 'legacy',
      mac: 'sha1',
      certs: 'pbeWithSHAAnd3-KeyTripleDES-CBC',
    },
    {
      name: 'unencrypted certificate safe',
      args: ['-certpbe', 'NONE'],
      profile: 'other',
      mac: 'sha256',
      certs: 'none',
    },
    {
      name: 'AES-128 PBES2 with SHA-512 MAC',
      args: ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC', '-macalg', 'sha512'],
      profile: 'other',
      mac: 'sha512',
      certs: 'PBES2/PBKDF2-HMAC-SHA256/AES-128-CBC',
    },
    // OpenSSL 3.0 leaves the certificates unencrypted when -nomac is given.
    { name: 'no MAC', args: ['-nomac'], profile: 'other', mac: 'none', certs: 'none' },
  ] as const;

  describe.each(variants)('$name', ({ args, profile, mac, certs }) => {
    it.each(['rsa', 'ec'] as const)(
      '%s identity: key, chain (leaf first), friendlyName, algorithms',
      (id) => {
        const ident = fx[id];
        for (const password of ['s3cret', '']) {
          const out = fx.file('openssl.p12', '');
          opensslBytes([
          'pkcs12', '-export', '-inkey', ident.keyPem, '-in', ident.leafPem, '-certfile', ident.caPem,
          '-name', 'from openssl', '-passout', `pass:${password}`, '-out', out, ...args,
        ]); // prettier-ignore
          const parsed = parsePkcs12(readFileSync(out), password);
          expect(pkcs8(parsed.privateKey)).toBe(pkcs8(ident.privateKey));
          expect(hex(parsed.certificates)).toEqual(hex([ident.leaf, fx.ca]));
          expect(parsed.friendlyName).toBe('from openssl');
          expect(parsed.profile).toBe(profile);
          expect(parsed.macAlgorithm).toBe(mac);
          expect(parsed.encryption.certificates).toBe(certs);
          expect(codeOf(() => parsePkcs12(readFileSync(out), `${password}-wrong`)).code).toBe(
            'PKCS12_BAD_PASSWORD',
          );
        }
      },
    );
  });
});

// Regression (issue 2, CI): without a MAC, a wrong password passes the CBC padding check about once in
// 256 tries and the key bag "decrypts" to garbage, which was reported as PKCS12_PARSE.
describe('regression issue 2: a MAC-less file and a wrong password whose garbage passes the padding check', () => {
  it.each(['rsa', 'ec'] as const)('%s: every wrong password is PKCS12_BAD_PASSWORD', (id) => {
    const ident = fx[id];
    const out = fx.file('nomac.p12', '');
    // -iter 1 keeps 3,000 wrong tries cheap (before -nomac: OpenSSL's -iter also sets the MAC iterations);
    // -nomac leaves the certificate safe unencrypted, so the key bag is the only encrypted part.
    opensslBytes([
      'pkcs12', '-export', '-inkey', ident.keyPem, '-in', ident.leafPem, '-iter', '1', '-nomac',
      '-passout', 'pass:right', '-out', out,
    ]); // prettier-ignore
    const blob = readFileSync(out);
    expect(parsePkcs12(blob, 'right').macAlgorithm).toBe('none');
    const messages = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const err = codeOf(() => parsePkcs12(blob, `wrong-${i}`));
      expect(err.code).toBe('PKCS12_BAD_PASSWORD');
      messages.add(err.message.replace(/^[^:]*: /, ''));
    }
    // Both ways a wrong password shows: bad padding (most tries), and garbage that passed it (~1 in 256;
    // the chance that none of 3,000 tries does is below 1e-5).
    expect([...messages].some((m) => m.includes('bad padding'))).toBe(true);
    expect([...messages].some((m) => m.includes('most likely wrong'))).toBe(true);
  });
});

describe.each(['legacy', 'modern'] as const)('round trip, %s profile', (profile) => {
  const cases = (['rsa', 'ec'] as const).flatMap((id) =>
    [undefined, 'Wi-Fi cert ä€'].flatMap((friendlyName) =>
      ['pw', '', 'pässwörd €'].map((password) => ({ id, friendlyName, password })),
    ),
  );
  it.each(cases)(
    '$id key, friendlyName $friendlyName, password $password',
    ({ id, friendlyName, password }) => {
      const ident = fx[id];
      const p12 = buildPkcs12({
        privateKey: ident.privateKey,
        certificates: ident.chain,
        password,
        profile,
        ...(friendlyName !== undefined ? { friendlyName } : {}),
      });
      const parsed = parsePkcs12(new Uint8Array(p12), password);
      expect(pkcs8(parsed.privateKey)).toBe(pkcs8(ident.privateKey));
      expect(hex(parsed.certificates)).toEqual(hex(ident.chain));
      expect(parsed.friendlyName).toBe(friendlyName);
      expect(parsed.profile).toBe(profile);
      expect(parsed.macAlgorithm).toBe(profile === 'legacy' ? 'sha1' : 'sha256');
      const enc =
        profile === 'legacy' ? 'pbeWithSHAAnd3-KeyTripleDES-CBC' : 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC';
      expect(parsed.encryption).toEqual({ key: enc, certificates: enc });
    },
  );

  it('orders the chain leaf → issuer → unrelated certificates, whatever the bag order', () => {
    // Bags written as [leaf, unrelated EC leaf, CA]: the parser follows issuer links from the leaf.
    const p12 = buildPkcs12({
      privateKey: fx.rsa.privateKey,
      certificates: [fx.rsa.leaf, fx.ec.leaf, fx.ca],
      password: 'p',
      profile,
    });
    expect(hex(parsePkcs12(p12, 'p').certificates)).toEqual(hex([fx.rsa.leaf, fx.ca, fx.ec.leaf]));
    // The leaf must come first when building.
    expect(
      codeOf(() =>
        buildPkcs12({
          privateKey: fx.rsa.privateKey,
          certificates: [fx.ca, fx.rsa.leaf],
          password: 'p',
          profile,
        }),
      ).code,
    ).toBe('USAGE');
  });

  it('is deterministic for the same injected random source, and differs for another', () => {
    const build = (seed: string): Buffer =>
      buildPkcs12({
        privateKey: fx.rsa.privateKey,
        certificates: fx.rsa.chain,
        password: 'pw',
        profile,
        friendlyName: 'x',
        random: seeded(seed),
      });
    const a = build('seed-1');
    expect(build('seed-1').equals(a)).toBe(true);
    expect(build('seed-2').equals(a)).toBe(false);
    expect(hex(parsePkcs12(a, 'pw').certificates)).toEqual(hex(fx.rsa.chain));
  });

  it('honours the iteration count (OpenSSL reports it)', () => {
    const p12 = buildPkcs12({
      privateKey: fx.ec.privateKey,
      certificates: [fx.ec.leaf],
      password: 'p',
      profile,
      iterations: 1000,
    });
    const r = openssl(['pkcs12', '-in', fx.file('iter.p12', p12), '-passin', 'pass:p', '-info', '-noout']);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/Iteration 1000/g)).toHaveLength(3);
    expect(parsePkcs12(p12, 'p').profile).toBe(profile);
  });
});

describe('one key import and one certificate parse per distinct bytes (issue 11 point 2)', () => {
  it.each(['legacy', 'modern'] as const)(
    '%s: a PFX opened again gives the same KeyObject, another PFX its own',
    (profile) => {
      const ident = fx.rsa;
      const p12 = buildPkcs12({
        privateKey: ident.privateKey,
        certificates: ident.chain,
        password: 'pw',
        profile,
      });
      const first = parsePkcs12(p12, 'pw');
      expect(pkcs8(first.privateKey)).toBe(pkcs8(ident.privateKey));
      const second = parsePkcs12(Buffer.from(p12), 'pw');
      expect(second.privateKey).toBe(first.privateKey);
      expect(hex(second.certificates)).toEqual(hex(ident.chain));
      // the other identity's PFX is not served from the first one's entries
      const ec = parsePkcs12(
        buildPkcs12({ privateKey: fx.ec.privateKey, certificates: fx.ec.chain, password: 'pw', profile }),
        'pw',
      );
      expect(ec.privateKey).not.toBe(first.privateKey);
      expect(pkcs8(ec.privateKey)).toBe(pkcs8(fx.ec.privateKey));
      expect(hex(ec.certificates)).toEqual(hex(fx.ec.chain));
    },
  );

  it('an OpenSSL-made PFX parses to an equal key, the same KeyObject the second time', () => {
    const out = fx.file('memo.p12', '');
    opensslBytes([
      'pkcs12', '-export', '-inkey', fx.ec.keyPem, '-in', fx.ec.leafPem, '-passout', 'pass:pw', '-out', out,
    ]); // prettier-ignore
    const first = parsePkcs12(readFileSync(out), 'pw');
    expect(pkcs8(first.privateKey)).toBe(pkcs8(fx.ec.privateKey));
    expect(parsePkcs12(readFileSync(out), 'pw').privateKey).toBe(first.privateKey);
  });
});

describe('BER input', () => {
  /** Re-encodes the PFX with its authSafe OCTET STRING as a BER constructed string of 3 segments. */
  function berify(p12: Buffer, indefinite: boolean): Buffer {
    const outer = readTlvHeader(p12);
    if (typeof outer === 'string') throw new Error(outer);
    let pos = outer.headerLength;
    const version = p12.subarray(pos, pos + 3); // 02 01 03
    pos += 3;
    const ci = readTlvHeader(p12.subarray(pos));
    if (typeof ci === 'string' || ci.length === undefined) throw new Error('ContentInfo');
    const ciBody = p12.subarray(pos + ci.headerLength, pos + ci.headerLength + ci.length);
    const macData = p12.subarray(pos + ci.headerLength + ci.length);
    const oid = ciBody.subarray(0, 11); // 06 09 <data>
    const explicit = readTlvHeader(ciBody.subarray(11));
    if (typeof explicit === 'string') throw new Error('[0]');
    const os = readBerOctetString(ciBody.subarray(11 + explicit.headerLength));
    if (typeof os === 'string') throw new Error(os);
    const v = os.value;
    const third = Math.floor(v.length / 3);
    const segs = [v.subarray(0, third), v.subarray(third, 2 * third), v.subarray(2 * third)].map((x) =>
      derTlv(0x04, x),
    );
    const constructed = indefinite
      ? Buffer.concat([Buffer.from([0x24, 0x80]), ...segs, Buffer.from([0, 0])])
      : derTlv(0x24, Buffer.concat(segs));
    return derTlv(
      0x30,
      Buffer.concat([version, derTlv(0x30, Buffer.concat([oid, derTlv(0xa0, constructed)])), macData]),
    );
  }

  it.each([
    ['definite', false],
    ['indefinite', true],
  ] as const)('reads an authSafe sent as a constructed OCTET STRING (%s length)', (_n, indefinite) => {
    for (const profile of ['legacy', 'modern'] as const) {
      const p12 = buildPkcs12({
        privateKey: fx.ec.privateKey,
        certificates: fx.ec.chain,
        password: 'b',
        profile,
      });
      const ber = berify(p12, indefinite);
      expect(ber.equals(p12)).toBe(false);
      const parsed = parsePkcs12(ber, 'b');
      expect(hex(parsed.certificates)).toEqual(hex(fx.ec.chain));
      expect(codeOf(() => parsePkcs12(ber, 'c')).code).toBe('PKCS12_BAD_PASSWORD');
    }
  });
});

describe('the empty password', () => {
  it('is written as BMPString 00 00 (like `openssl pkcs12 -export -passout pass:`), and the zero-length form (Java/BouncyCastle) is read too', () => {
    const p12 = buildPkcs12({
      privateKey: fx.ec.privateKey,
      certificates: fx.ec.chain,
      password: '',
      profile: 'modern',
    });
    const [version, authSafe, macData] = berChildren(p12, readBer(p12, 0));
    if (!version || !authSafe || !macData) throw new Error('not a PFX with MacData');
    const [, explicit] = berChildren(p12, authSafe);
    if (!explicit) throw new Error('no authSafe content');
    const content = readBerOctetString(p12.subarray(explicit.contentStart, explicit.contentEnd));
    if (typeof content === 'string') throw new Error(content);
    const mac = readMacData(p12, macData);
    // Our MAC is the one over 00 00 …
    const bmp = makeMacData('sha256', Buffer.alloc(2), mac.macSalt, 2048, content.value);
    expect(bmp.equals(berBytes(p12, macData))).toBe(true);
    // … and a file whose MAC uses the zero-length password still opens, here and in OpenSSL.
    const zero = makeMacData('sha256', Buffer.alloc(0), mac.macSalt, 2048, content.value);
    const zeroLength = derTlv(0x30, Buffer.concat([berBytes(p12, version), berBytes(p12, authSafe), zero]));
    expect(zeroLength.equals(p12)).toBe(false);
    expect(hex(parsePkcs12(zeroLength, '').certificates)).toEqual(hex(fx.ec.chain));
    expect(
      openssl(['pkcs12', '-in', fx.file('zero.p12', zeroLength), '-passin', 'pass:', '-noout']).status,
    ).toBe(0);
    expect(codeOf(() => parsePkcs12(zeroLength, 'x')).code).toBe('PKCS12_BAD_PASSWORD');
  });
});

describe('rewrapPkcs12', () => {
  it.each([
    ['legacy', 'modern'],
    ['modern', 'legacy'],
    ['modern', 'modern'],
  ] as const)('%s → %s with the empty passphrase (the Android ONC path) opens in OpenSSL', (from, to) => {
    const p12 = buildPkcs12({
      privateKey: fx.ec.privateKey,
      certificates: fx.ec.chain,
      password: 'old',
      profile: from,
      friendlyName: 'n',
    });
    const rewrapped = rewrapPkcs12(p12, 'old', '', to);
    const parsed = parsePkcs12(rewrapped, '');
    expect(parsed.profile).toBe(to);
    expect(parsed.friendlyName).toBe('n');
    expect(pkcs8(parsed.privateKey)).toBe(pkcs8(fx.ec.privateKey));
    expect(hex(parsed.certificates)).toEqual(hex(fx.ec.chain));
    expect(
      openssl(['pkcs12', '-in', fx.file('rewrapped.p12', rewrapped), '-passin', 'pass:', '-noout']).status,
    ).toBe(0);
    expect(codeOf(() => parsePkcs12(rewrapped, 'old')).code).toBe('PKCS12_BAD_PASSWORD');
  });

  it('refuses the wrong old password', () => {
    const p12 = buildPkcs12({
      privateKey: fx.ec.privateKey,
      certificates: [fx.ec.leaf],
      password: 'old',
      profile: 'modern',
    });
    expect(codeOf(() => rewrapPkcs12(p12, 'nope', '', 'modern')).code).toBe('PKCS12_BAD_PASSWORD');
  });
});

describe('errors', () => {
  const PASSWORD = 'Hunter2-secret';
  const good = (profile: 'legacy' | 'modern'): Buffer =>
    buildPkcs12({ privateKey: fx.rsa.privateKey, certificates: fx.rsa.chain, password: PASSWORD, profile });

  it.each(['legacy', 'modern'] as const)(
    '%s: wrong password → PKCS12_BAD_PASSWORD, password never echoed',
    (profile) => {
      const e = codeOf(() => parsePkcs12(good(profile), 'wrong-password-xyz'));
      expect(e.code).toBe('PKCS12_BAD_PASSWORD');
      expect(e.message).not.toContain('wrong-password-xyz');
      expect(e.message).not.toContain(PASSWORD);
      expect(JSON.stringify(e.details)).not.toContain('wrong-password-xyz');
    },
  );

  it('no MAC and a wrong password → PKCS12_BAD_PASSWORD (padding error on decryption)', () => {
    const out = fx.file('nomac.p12', '');
    opensslBytes([
      'pkcs12', '-export', '-inkey', fx.ec.keyPem, '-in', fx.ec.leafPem, '-nomac',
      '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-passout', 'pass:right', '-out', out,
    ]); // prettier-ignore
    expect(parsePkcs12(readFileSync(out), 'right').macAlgorithm).toBe('none');
    expect(codeOf(() => parsePkcs12(readFileSync(out), 'wrong')).code).toBe('PKCS12_BAD_PASSWORD');
  });

  const malformed: [string, (p12: Buffer) => Buffer | Uint8Array, RegExp][] = [
    ['empty input', () => Buffer.alloc(0), /too short/],
    ['truncated to half', (p) => p.subarray(0, p.length >> 1), /truncated/],
    ['truncated by one byte', (p) => p.subarray(0, p.length - 1), /truncated/],
    ['cut inside the header', (p) => p.subarray(0, 3), /cut short|truncated/],
    ['random garbage', () => Buffer.from('certfleet: this is not DER at all, just text'), /SEQUENCE/],
    [
      'PEM text instead of DER',
      (p) => Buffer.from(`-----BEGIN PKCS12-----\n${p.toString('base64')}\n-----END PKCS12-----\n`),
      /PEM/,
    ],
    ['base64 text instead of DER', (p) => Buffer.from(p.toString('base64')), /base64/],
    ['trailing bytes', (p) => Buffer.concat([p, Buffer.from([0, 0])]), /after the PFX/],
    ['a certificate, not a PFX', () => fx.rsa.leaf, /PFX/],
    ['a SEQUENCE with a wrong version', () => Buffer.from('3003020101', 'hex'), /PFX/],
  ];
  it.each(malformed)('%s → PKCS12_PARSE saying what was expected where', (_name, mangle, message) => {
    for (const profile of ['legacy', 'modern'] as const) {
      const e = codeOf(() => parsePkcs12(mangle(good(profile)), PASSWORD));
      expect(e.code).toBe('PKCS12_PARSE');
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain(PASSWORD);
      expect(e.details.where).toEqual(expect.any(String));
    }
  });

  it('pbeWithSHAAnd40BitRC2-CBC (`openssl pkcs12 -export -legacy`) → PKCS12_UNSUPPORTED naming the OID', (ctx) => {
    const out = fx.file('rc2.p12', '');
    const made = openssl([
      'pkcs12', '-export', '-legacy', '-inkey', fx.rsa.keyPem, '-in', fx.rsa.leafPem, '-passout', 'pass:pw', '-out', out,
    ]); // prettier-ignore
    if (made.status !== 0) {
      ctx.skip(`this OpenSSL cannot write RC2-40 (legacy provider missing): ${made.stderr.split('\n')[0]}`);
      return;
    }
    const e = codeOf(() => parsePkcs12(readFileSync(out), 'pw'));
    expect(e.code).toBe('PKCS12_UNSUPPORTED');
    expect(e.message).toContain('1.2.840.113549.1.12.1.6');
    expect(e.message).toContain('pbeWithSHAAnd40BitRC2-CBC');
    expect(e.details.oid).toBe('1.2.840.113549.1.12.1.6');
    // A wrong password is still reported as such: the MAC is checked before any decryption.
    expect(codeOf(() => parsePkcs12(readFileSync(out), 'nope')).code).toBe('PKCS12_BAD_PASSWORD');
  });

  // Conformance suite (the corpus sample, read in place); project-made mirror:
  // test/unit/conformance-own/apple-pkcs12-password.test.ts.
  const APPLE_PKCS12 =
    'corpus/apple-mobileconfig/apple-devdocs-via-MagnusHJensen-unofficial-apple-docs-changelog__docs_devicemanagement_certificatepkcs12.mobileconfig';
  itConformance(
    'Apple sample (certificatepkcs12.mobileconfig): the stated password Password123 fails the SHA-1 MAC',
    APPLE_PKCS12,
    () => {
      const xml = readFileSync(conformancePath(APPLE_PKCS12), 'utf8');
      const b64 = /<key>PayloadContent<\/key>\s*<data>([^<]+)<\/data>/.exec(xml)?.[1];
      expect(b64).toBeDefined();
      const p12 = Buffer.from((b64 as string).replace(/\s+/g, ''), 'base64');
      const e = codeOf(() => parsePkcs12(p12, 'Password123'));
      expect(e.code).toBe('PKCS12_BAD_PASSWORD');
      expect(e.details.macAlgorithm).toBe('sha1');
      expect(e.message).not.toContain('Password123');
      // OpenSSL agrees.
      const r = openssl([
        'pkcs12',
        '-in',
        fx.file('apple.p12', p12),
        '-passin',
        'pass:Password123',
        '-noout',
      ]);
      expect(r.stderr).toContain('Mac verify error');
    },
  );
});

describe('build argument checks', () => {
  it.each([
    ['no certificate', () => ({ certificates: [] as Buffer[] }), 'USAGE'],
    ['leaf of another key', () => ({ certificates: [fx.ec.leaf] }), 'USAGE'],
    ['not a certificate', () => ({ certificates: [Buffer.from('nope')] }), 'CERT_PARSE'],
    ['iterations 0', () => ({ certificates: fx.rsa.chain, iterations: 0 }), 'USAGE'],
    [
      'a public key',
      () => ({ certificates: fx.rsa.chain, privateKey: undefined as unknown as KeyObject }),
      'USAGE',
    ],
  ] as const)('%s → %s', (_name, over, code) => {
    const e = codeOf(() =>
      buildPkcs12({
        privateKey: fx.rsa.privateKey,
        password: 'p',
        profile: 'modern',
        ...over(),
      } as Parameters<typeof buildPkcs12>[0]),
    );
    expect(e.code).toBe(code);
  });
});

const IDENTITY_PASSWORD = 'identity-test-password';

describe('a PKCS#12 that decodes but holds no identity says why (details.identity)', () => {
  it.each([
    ['no key (`openssl pkcs12 -export -nokeys`)', 'no-key', /no private key bag/],
    ['a key and no certificate (`-nocerts`)', 'no-matching-certificate', /no certificate matches/],
    ['two keys', 'several-keys', /2 private key bags/],
  ] as const)('%s → PKCS12_PARSE, identity %s', (name, identity, message) => {
    let p12: Buffer;
    if (identity === 'several-keys') {
      p12 = plainPfx([fx.rsa.privateKey, fx.ec.privateKey], [fx.rsa.leaf, fx.ec.leaf]);
    } else {
      const out = fx.file(`${identity}.p12`, '');
      const only =
        identity === 'no-key' ? ['-nokeys', '-in', fx.rsa.leafPem] : ['-nocerts', '-inkey', fx.rsa.keyPem];
      opensslBytes(['pkcs12', '-export', ...only, '-passout', `pass:${IDENTITY_PASSWORD}`, '-out', out]);
      p12 = readFileSync(out);
    }
    const e = codeOf(() => parsePkcs12(p12, IDENTITY_PASSWORD));
    expect(e.code, name).toBe('PKCS12_PARSE');
    expect(e.message).toMatch(message);
    expect(e.details.identity).toBe(identity);
  });

  it('bytes that are no PFX carry no identity reason', () => {
    expect(codeOf(() => parsePkcs12(fx.rsa.leaf, IDENTITY_PASSWORD)).details.identity).toBeUndefined();
  });
});
