/**
 * Stable PKCS#12 bytes (issue 11 point 2): buildPkcs12 and rewrapPkcs12 write on direct DER; these SHA-256
 * digests were made by the earlier ASN.1-schema writer (@peculiar/asn1-*) from the same inputs — the fixed
 * compile-test keys and certificates, a seeded random source — and the rewrite must give the same bytes. A
 * digest that changes means every golden PFX and every device-side test fixture changes with it: review why.
 *
 * Also: a PFX re-encoded with BER indefinite lengths everywhere (as Windows and Java exports write, outside and
 * inside the authenticated safe) opens to the same identity, and a cut-short one is PKCS12_PARSE.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import {
  berBytes,
  berChildren,
  berContent,
  derTlv,
  readBer,
  type BerElement,
} from '../../../pki/pkcs12-asn1.ts';
import { bmpPassword } from '../../../pki/pkcs12-kdf.ts';
import { makeMacData, readMacData } from '../../../pki/pkcs12-mac.ts';
import { buildPkcs12, parsePkcs12, rewrapPkcs12, type Pkcs12Profile } from '../../../pki/pkcs12.ts';
import { fixedIdentity, fixedKey, seededRandom } from '../compile/fixtures.ts';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `profile friendlyName chainLength iterations` → SHA-256 of the PFX the schema writer made. */
const GOLDEN: [string, string][] = [
  ['legacy - 1 default', 'aea8a580ade79dc230b1f3a6e898be443dbc7cc86ec093e1377581dc1e7a0ebe'],
  ['legacy - 1 1', 'ce73007a1bff43c3c6159a3b4412d5e4303eb2f3c27b6d46f495e4163de7f705'],
  ['legacy - 2 default', '89942d84bb6ef3cbb9f1f0e40ec9b72ec9c947383495721c28f309a9f68a24ec'],
  ['legacy - 2 1', '0933f64d73e6d11b513c47d6791982ecdd1e1df5c23725d2c4f1cd73caea96db'],
  ['legacy Ada \u2713 Wi-Fi 1 default', '86d67f2e34f148aa3deba396b8b02b65be28b7b0a091162bd7d9e0e75fc819c6'],
  ['legacy Ada \u2713 Wi-Fi 1 1', '3f4d052d178d6dd0ac69d4d1e69014472e70a709f69a977a67296cfb80d4b450'],
  ['legacy Ada \u2713 Wi-Fi 2 default', '941883f4eb66fbfde2aaedc5cbf7462cfad1830a1884ba12f6ff67d902c39930'],
  ['legacy Ada \u2713 Wi-Fi 2 1', '6de1b003d9ce8f93aa9980c7526753029ad965c3a70e54a45242d697e10856b8'],
  ['modern - 1 default', '429deb6fe8fba1e878760abda89c78c3d11aac30d4963e68c495654fb3618488'],
  ['modern - 1 1', 'e41cea98fe50ca3b1d4fb67a15143afae58d7d303b8577b650efd49a1804b90d'],
  ['modern - 2 default', 'd56fbe1691996e53e103a71be244e242ed83df802015c7fe8839529f76a11f9c'],
  ['modern - 2 1', 'abbc626d2a7ded9147a2bebdf378ef9f8a597804fa1b4c649df92c108c70cb99'],
  ['modern Ada \u2713 Wi-Fi 1 default', '4edb96b6c0c11632c967d6f49dee250ef10493d5dc6a371db87daa0528bbb063'],
  ['modern Ada \u2713 Wi-Fi 1 1', '4b7fb38b3946aebe2491ee7a31f985e43f5b3687ef0aaa05ca54609b7a4dda66'],
  ['modern Ada \u2713 Wi-Fi 2 default', 'adb0fd02fcec1d38d325b30366bfd5890d276a2c283e83c8c69605e406ae284d'],
  ['modern Ada \u2713 Wi-Fi 2 1', '7a67261de41981f2df29749efab20cd68b7842d2f756fa6c180a7525251eb94a'],
];

const PASSWORD = 'Golden-Pw';

/** The parts of a GOLDEN name. */
function parts(name: string): {
  profile: Pkcs12Profile;
  friendlyName: string;
  chain: number;
  iterations: string;
} {
  const m = /^(legacy|modern) (.+) (\d) (default|\d+)$/.exec(name);
  if (!m) throw new Error(`bad golden name ${name}`);
  return {
    profile: m[1] as Pkcs12Profile,
    friendlyName: m[2] as string,
    chain: Number(m[3]),
    iterations: m[4] as string,
  };
}

function build(name: string): Buffer {
  const { profile, friendlyName, chain, iterations } = parts(name);
  const id = fixedIdentity();
  return buildPkcs12({
    privateKey: fixedKey('leaf').privateKey,
    certificates: [id.leaf.der, id.root.der].slice(0, chain),
    password: PASSWORD,
    profile,
    ...(friendlyName !== '-' ? { friendlyName } : {}),
    ...(iterations !== 'default' ? { iterations: Number(iterations) } : {}),
    random: seededRandom(name),
  });
}

describe('buildPkcs12 writes the bytes the schema writer wrote', () => {
  it.each(GOLDEN)('%s', (name, digest) => {
    const pfx = build(name);
    expect(sha256(pfx)).toBe(digest);
    const opened = parsePkcs12(pfx, PASSWORD);
    const id = fixedIdentity();
    expect(opened.certificates.map((c) => c.toString('hex'))).toEqual(
      [id.leaf.der, id.root.der].slice(0, parts(name).chain).map((c) => Buffer.from(c).toString('hex')),
    );
    expect(opened.profile).toBe(parts(name).profile);
    expect(opened.friendlyName).toBe(name.includes(' - ') ? undefined : 'Ada ✓ Wi-Fi');
  });

  it('MacData leaves out iterations = 1 (its DEFAULT) and writes any other count', () => {
    const once = build('modern - 1 1');
    const mac = (p: Buffer): BerElement => {
      const fields = berChildren(p, readBer(p, 0));
      return fields[2] as BerElement;
    };
    expect(berChildren(once, mac(once))).toHaveLength(2);
    const twice = build('modern - 1 default');
    expect(berChildren(twice, mac(twice))).toHaveLength(3);
    expect(readMacData(twice, mac(twice)).iterations).toBe(2048);
  });

  it('rewrapPkcs12 and the compile fixture identity are unchanged too', () => {
    const id = fixedIdentity();
    expect(sha256(Buffer.from(id.pfx))).toBe(
      '28c8840c0a59c7e780eb9e34a432cbe271307b00af84134dc7e0a2ac64fbda34',
    );
    expect(sha256(rewrapPkcs12(id.pfx, id.password, '', 'modern', { random: seededRandom('rewrap') }))).toBe(
      '116532460266ad98d0d57edb827c364989bf57991be8eea1e1fccfe5c08ceee1',
    );
  });
});

/** Re-encodes every constructed element in BER indefinite-length form (primitives unchanged). */
function indefinite(buf: Buffer, el: BerElement = readBer(buf, 0)): Buffer {
  if ((el.tag & 0x20) === 0) return berBytes(buf, el);
  return Buffer.concat([
    Buffer.from([el.tag, 0x80]),
    ...berChildren(buf, el).map((c) => indefinite(buf, c)),
    Buffer.from([0, 0]),
  ]);
}

/** The PFX with its authenticated safe re-encoded in indefinite form inside too, MAC made anew over it. */
function indefiniteInside(pfx: Buffer, password: string): Buffer {
  const [version, authSafe, macData] = berChildren(pfx, readBer(pfx, 0)) as [
    BerElement,
    BerElement,
    BerElement,
  ];
  const [oid, explicit] = berChildren(pfx, authSafe) as [BerElement, BerElement];
  const [octets] = berChildren(pfx, explicit) as [BerElement];
  const safe = berContent(pfx, octets);
  const inner = indefinite(safe);
  const mac = readMacData(pfx, macData);
  const hash = mac.digestAlgorithm.algorithm === '1.3.14.3.2.26' ? 'sha1' : 'sha256';
  const newMac = makeMacData(hash, bmpPassword(password), mac.macSalt, mac.iterations as number, inner);
  const contentInfo = derTlv(0x30, Buffer.concat([berBytes(pfx, oid), derTlv(0xa0, derTlv(0x04, inner))]));
  return derTlv(0x30, Buffer.concat([berBytes(pfx, version), contentInfo, newMac]));
}

describe('BER indefinite lengths throughout (Windows / Java style)', () => {
  it.each(['legacy Ada ✓ Wi-Fi 2 default', 'modern - 2 1'])('%s opens to the same identity', (name) => {
    const pfx = build(name);
    const der = parsePkcs12(pfx, PASSWORD);
    const ber = indefinite(indefiniteInside(pfx, PASSWORD));
    expect(ber.includes(Buffer.from([0x30, 0x80]))).toBe(true);
    expect(ber.length).not.toBe(pfx.length);
    const opened = parsePkcs12(ber, PASSWORD);
    expect(opened.certificates.map((c) => c.toString('hex'))).toEqual(
      der.certificates.map((c) => c.toString('hex')),
    );
    expect(
      opened.privateKey
        .export({ type: 'pkcs8', format: 'der' })
        .equals(der.privateKey.export({ type: 'pkcs8', format: 'der' })),
    ).toBe(true);
    expect(opened.profile).toBe(der.profile);
    expect(() => parsePkcs12(ber, 'not-it')).toThrow(
      expect.objectContaining({ code: 'PKCS12_BAD_PASSWORD' }),
    );
    for (const cut of [2, 7, 40]) {
      let err: unknown;
      try {
        parsePkcs12(ber.subarray(0, ber.length - cut), PASSWORD);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CertfleetError);
      expect((err as CertfleetError).code).toBe('PKCS12_PARSE');
    }
  });
});
