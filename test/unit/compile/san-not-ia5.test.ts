/**
 * A DNS, e-mail or URI SAN is an IA5String (RFC 5280 §4.2.1.6): a request whose SAN resolves to a value
 * outside 7-bit ASCII — `{{DeviceName}}` of a Mac or an iPhone is "Tim’s iPhone", with U+2019 — fails at the
 * connector with CONNECTOR_SAN_NOT_IA5 (CRYPT_E_INVALID_IA5_STRING 0x80092022), before the CA; a UPN SAN
 * (a UTF8String in an otherName) takes the same value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import { issueForDevice } from '../../../simulator/service/compile/issue-for-device.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
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

const iphone = { ...FACTS.ios, attributes: { ...FACTS.ios.attributes, deviceName: 'Ada’s iPhone' } };

const issue = (sans: { sanType: string; name: string }[]) =>
  issueForDevice(
    ca,
    pkcsProfile('ios', {
      subjectNameFormatString: 'CN={{DeviceName}}',
      subjectAlternativeNameType: [],
      customSubjectAlternativeNames: sans,
    }),
    iphone,
    { requester, password: 'Pw-1', now: NOW, keyPair: poolKey('rsa2048', 2) },
  );

describe('a SAN that is no IA5String fails at the connector (CONNECTOR_SAN_NOT_IA5)', () => {
  it.each([
    ['DNS', 'domainNameService', '{{DeviceName}}', /request's DNS SAN/],
    ['e-mail', 'emailAddress', '{{DeviceName}}@contoso.com', /request's e-mail SAN/],
    ['URI', 'universalResourceIdentifier', 'https://contoso.com/{{DeviceName}}', /request's URI SAN/],
  ])('%s', async (_what, sanType, name, says) => {
    const r = await issue([{ sanType, name }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.outcome).toMatchObject({ kind: 'CaDenied', code: 'CONNECTOR_SAN_NOT_IA5' });
    expect(r.outcome.message).toMatch(says);
    expect(r.outcome.message).toContain('"’" (U+2019)');
    expect(r.outcome.message).toMatch(/0x80092022 .*CRYPT_E_INVALID_IA5_STRING/);
    // the first sentence names no device, so the failure summary groups every device under one cause
    expect(r.outcome.message.split('. ')[0]).not.toContain('Ada');
  });

  it('a UPN SAN and the subject take the same value: the certificate is issued', async () => {
    const r = await issue([{ sanType: 'userPrincipalName', name: '{{DeviceName}}@contoso.com' }]);
    expect(r.ok, JSON.stringify(r.ok ? '' : r.outcome)).toBe(true);
  });
});
