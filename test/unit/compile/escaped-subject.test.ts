/**
 * The escaped-special-character known issue (docs/formats.md §5.2; SCEPDOC "Avoid certificate signing requests
 * with escaped special characters"): a subject with `\+ \, \; \=` fails issuance with SUBJECT_ESCAPED_CHARS,
 * the quoted workaround issues a certificate with the intended subject, plain subjects work.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDn } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { issueForDevice } from '../../../simulator/service/compile/issue-for-device.ts';
import {
  buildRequestSubject,
  describeDn,
  escapedSpecialsOf,
  quotedWorkaround,
} from '../../../simulator/service/compile/request-subject.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { openssl } from '../pki/openssl.ts';
import { decodeApple, payloadOf } from './decode.ts';
import { FACTS, pkcsProfile } from './fixtures.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const requester = { identity: 'connector-01', groups: [CONNECTOR_GROUP] };
let work: string;
let ca: EnterpriseCa;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-compile-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: NOW,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const issue = (subject: string, keyIndex = 2) =>
  issueForDevice(ca, pkcsProfile('ios', { subjectNameFormatString: subject }), FACTS.ios, {
    requester,
    password: 'Pw-1',
    now: NOW,
    keyPair: poolKey('rsa2048', keyIndex),
  });

describe('regression issue 3: escaped special characters are refused before the CA (SUBJECT_ESCAPED_CHARS)', () => {
  it.each([
    ['\\,', 'CN=Test user\\, LLC', 'CRYPT_E_INVALID_X500_STRING', 'CN="Test user, LLC"', undefined],
    ['\\+', 'CN=Test user\\+LLC', 'CRYPT_E_INVALID_X500_STRING', 'CN="Test user+LLC"', undefined],
    ['\\;', 'CN=Test user\\; LLC', 'CRYPT_E_INVALID_X500_STRING', 'CN="Test user; LLC"', undefined],
    ['\\=', 'CN=Test user\\=LLC', 'SUBJECT_MISMATCH', 'CN="Test user=LLC"', 'CN = "Test user\\=LLC"'],
    // CertStrToName can read these, into a wrong subject: the CSR-with-an-incorrect-subject path for , + ;
    ['\\,', 'CN=Test user\\,O=Contoso', 'SUBJECT_MISMATCH', 'CN="Test user,O=Contoso"', 'CN = "Test user\\"'],
    ['\\+', 'CN=a\\+E=b@c.d', 'SUBJECT_MISMATCH', 'CN="a+E=b@c.d"', 'E = b@c.d'],
    ['\\;', 'CN=a\\;O=b', 'SUBJECT_MISMATCH', 'CN="a;O=b"', 'CN = "a\\"'],
  ] as const)(
    '%s in %s → %s, and the CA issues nothing',
    async (chars, subject, symbolic, workaround, shown) => {
      const before = ca.issuedRecords().length;
      const r = await issue(subject);
      // the request never reached the CA: no certificate issued (docs/formats.md §5.2 "no certificate is issued")
      expect(ca.issuedRecords().length).toBe(before);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      const o = r.outcome;
      expect(o.kind).toBe('SubjectEscapedChars');
      if (o.kind !== 'SubjectEscapedChars') return;
      expect(o.code).toBe('SUBJECT_ESCAPED_CHARS');
      expect(o.escaped).toEqual([chars.slice(1)]);
      expect(o.native.symbolic).toBe(symbolic);
      expect(o.workaround).toBe(workaround);
      // the message quotes both subjects, names the escaped character and says nothing was issued
      expect(o.message).toContain(`"${subject}"`);
      expect(o.message).toContain(`The profile meant ${describeDn(parseDn(o.intendedSubject))}`);
      expect(o.message).toContain(chars);
      expect(o.message).toContain('No certificate is issued');
      expect(o.message).toContain(`(${workaround})`);
      if (symbolic === 'CRYPT_E_INVALID_X500_STRING') {
        expect(o.requestSubject).toBeUndefined();
        expect(o.message).toContain('0x80092023');
      } else {
        // what the request would have carried is named in the outcome and the message
        expect(o.requestSubject).toBeDefined();
        expect(o.message).toContain(`the request would go out as `);
        expect(o.message).toContain(shown);
        expect(o.message).toContain('refuses that request before the CA sees it');
      }
    },
  );

  it('CN=Test user\\=LLC: the request would have carried CN=`Test user\\=LLC`, not CN=`Test user=LLC`', async () => {
    const r = await issue('CN=Test user\\=LLC');
    const o = r.ok ? undefined : r.outcome;
    expect(o?.kind === 'SubjectEscapedChars' ? o.requestSubject : undefined).toBe('CN=Test user\\\\=LLC');
  });

  it('the same subject escaped in the middle of an O value is caught too', async () => {
    const before = ca.issuedRecords().length;
    const r = await issue('CN=Ada,O=Contoso\\, Ltd');
    expect(r.ok ? undefined : r.outcome.code).toBe('SUBJECT_ESCAPED_CHARS');
    expect(ca.issuedRecords().length).toBe(before);
  });

  it.each(['CN="Test user, LLC"', 'CN="Test user+LLC"', 'CN="Test user; LLC"', 'CN="Test user=LLC"'])(
    'the quoted workaround %s issues one certificate',
    async (subject) => {
      const before = ca.issuedRecords().length;
      const r = await issue(subject, 3);
      if (!r.ok) throw new Error(r.outcome.message);
      expect(ca.issuedRecords().length).toBe(before + 1);
    },
  );
});

describe('the quoted workaround and plain subjects issue the intended subject', () => {
  it.each([
    ['CN="Test user (TestCompany, LLC)"', 'CN = "Test user (TestCompany, LLC)"'],
    ['CN="Test user; A+B=C"', 'CN = "Test user; A+B=C"'],
    ['CN={{UserName}}', 'CN = ada.lovelace'],
    ['CN=Test user (TestCompany LLC)', 'CN = Test user (TestCompany LLC)'],
  ] as const)('%s → OpenSSL shows subject=%s', async (subject, shown) => {
    const r = await issue(subject, 3);
    if (!r.ok) throw new Error(r.outcome.message);
    const file = join(work, 'leaf.pem');
    writeFileSync(file, r.issued.certificate.pem);
    const out = openssl(['x509', '-in', file, '-noout', '-subject', '-nameopt', 'oneline']);
    expect(out.stdout.trim()).toBe(`subject=${shown}`);
    expect(parsePkcs12(r.issued.pfx, 'Pw-1').certificates[0]?.equals(r.issued.certificate.der)).toBe(true);
    // …and the issued identity compiles into the device's payload
    const decoded = decodeApple(
      payloadOf(
        compileProfile(pkcsProfile('ios', { subjectNameFormatString: subject }), FACTS.ios, {
          ids: seededIds(1),
          issued: r.issued,
        }),
      ),
      'ios',
    );
    expect(decoded.PayloadContent[0]?.PayloadType).toBe('com.apple.security.pkcs12');
  });

  it('SANs and validity from the profile reach the certificate', async () => {
    const r = await issueForDevice(
      ca,
      pkcsProfile('windows', { validity: { value: 6, unit: 'months' } }),
      FACTS.windows,
      { requester, password: 'pw', now: NOW, keyPair: poolKey('rsa2048', 4) },
    );
    if (!r.ok) throw new Error(r.outcome.message);
    expect(r.issued.certificate.subjectAltName).toEqual(
      expect.arrayContaining([
        { type: 'email', value: 'Ada.Lovelace@contoso.com' },
        { type: 'upn', value: 'ada@contoso.com' },
      ]),
    );
    expect(r.issued.certificate.notAfter.toISOString()).toBe('2026-12-01T12:00:00.000Z');
  });
});

describe('CA denials and resolve failures come back as outcomes', () => {
  it.each([
    [
      'a template the CA does not publish',
      { certificateTemplateName: 'NoSuchTemplate' },
      'CA_TEMPLATE_NOT_SUPPORTED',
    ],
    ['{{IMEI}} on a device without one', { subjectNameFormatString: 'CN={{IMEI}}' }, 'VARIABLE_MISSING'],
  ] as const)('%s → %s', async (_n, extra, code) => {
    const r = await issueForDevice(ca, pkcsProfile('macos', extra), FACTS.macos, {
      requester,
      password: 'pw',
      now: NOW,
      keyPair: poolKey('rsa2048', 5),
    });
    expect(r.ok ? undefined : r.outcome.code).toBe(code);
  });
});

describe('buildRequestSubject and its helpers', () => {
  it.each([
    ['CN="Test user (TestCompany, LLC)",O=Contoso', true, 'CN=Test user (TestCompany\\, LLC),O=Contoso'],
    ['CN=Plain,O=Contoso', true, 'CN=Plain,O=Contoso'],
    ['CN=a\\=b', true, 'CN=a\\\\=b'],
    ['CN=Test\\, LLC', false, undefined],
  ] as const)('%s → ok %s %s', (text, ok, subject) => {
    const r = buildRequestSubject(text);
    expect(r.ok).toBe(ok);
    if (r.ok) expect(r.subject).toBe(subject);
    else expect([r.hresult, r.error.code]).toEqual(['0x80092023', 'DN_SYNTAX']);
  });

  it.each([
    ['CN=a\\,b\\+c,O=x\\;y', [',', '+', ';']],
    ['CN="a,b"', []],
    ['CN=a\\#b', []],
  ] as const)('escapedSpecialsOf(%s) = %j', (text, chars) => {
    expect(escapedSpecialsOf(text)).toEqual(chars);
  });

  it.each([
    ['CN=Test user\\, LLC,O=Contoso', 'CN = "Test user, LLC", O = Contoso'],
    ['CN=a+E=b@c.d', 'CN = a + E = b@c.d'],
  ] as const)('describeDn(%s) = %s', (text, shown) => {
    expect(describeDn(parseDn(text))).toBe(shown);
  });

  it('quotedWorkaround quotes only the values that had escapes, doubling quotes', () => {
    expect(quotedWorkaround('CN=say \\"hi\\"\\, bye,O=Contoso')).toBe('CN="say ""hi"", bye",O=Contoso');
  });
});
