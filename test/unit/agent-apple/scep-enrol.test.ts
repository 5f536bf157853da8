/**
 * Issue 14 point 2 (Apple device side): a compiled `com.apple.security.scep` payload, decoded as the device
 * receives it, enrols over real HTTP with the project's NDES-like server (simulator/service/scep/) using the
 * one-time challenge the service issued: the certificate has the profile's subject and SANs and chains to
 * the CA; an expired challenge (on the virtual clock), a reused one and a wrong CA fingerprint fail with
 * their codes; the private key stays with the device (it is in no message the server saw).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolAppleScep, subjectTextOf } from '../../../agent/platforms/apple/scep-enrol.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import type { ScepPayload, ScepPayloadContent } from '../../../profiles/apple/mobileconfig-types.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS } from '../compile/fixtures.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
let clock = T0;
const now = (): Date => clock;
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let server: RunningScepServer;
let responder: ScepResponder;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-apple-scep-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: new Date(T0.getTime() - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: T0, key: poolKey('rsa2048', 2) });
  store = new ChallengeStore({ validityMs: 60 * 60_000 });
  responder = new ScepResponder({ ca, ra, challenges: store, now });
  server = await startScepServer({ responder, port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function profile(): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family: 'ios',
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    customSubjectAlternativeNames: [{ sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' }],
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

/** What the device receives: the compiled payload for this challenge, decoded strictly. */
function received(challenge: string, caFingerprint?: Buffer): ScepPayloadContent {
  const c = compileProfile(profile(), FACTS.ios, {
    ids: seededIds('a'),
    scep: { url: server.ndesUrl, challenge, ...(caFingerprint !== undefined && { caFingerprint }) },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  const d = decodeMobileconfig(c.payload.bytes, { platform: 'ios' });
  if (!d.ok) throw new Error(JSON.stringify(d.problems));
  return (d.profile.PayloadContent[0] as ScepPayload).PayloadContent;
}

const deps = (index: number) => ({ keyPair: () => poolKey('rsa2048', index), now });

describe('an iOS device enrols from its com.apple.security.scep payload', () => {
  it('with the one-time challenge: the profile’s subject and SANs, chained to the CA, the key kept on the device', async () => {
    const subject = 'CN=ada.lovelace,O=Contoso';
    const challenge = store.issue({ deviceId: 'ios-1', profileId: 'scep', subject, now: clock });
    const fingerprint = createHash('sha256').update(ca.issuing.der).digest();
    const content = received(challenge, fingerprint);
    expect(subjectTextOf(content.Subject)).toBe(subject);
    const r = await enrolAppleScep(content, deps(5));
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.certificate.subjectText).toBe(subject);
    expect(r.certificate.subjectAltName).toEqual([{ type: 'upn', value: 'ada@contoso.com' }]);
    expect(r.certificate.verifySignature(ca.issuing.publicKey)).toBe(true);
    // the certificate is for the device's own key, and the private key is nowhere in what the CA recorded
    const spki = r.keyPair.publicKey.export({ type: 'spki', format: 'der' });
    expect(Buffer.from(r.certificate.publicKey.export({ type: 'spki', format: 'der' }))).toEqual(spki);
    const pkcs8 = r.keyPair.privateKey.export({ type: 'pkcs8', format: 'der' });
    const recorded = JSON.stringify(ca.issuedRecords());
    expect(recorded.includes(pkcs8.toString('base64'))).toBe(false);

    // the same challenge again: spent
    const again = await enrolAppleScep(content, deps(6));
    expect(again.ok).toBe(false);
    if (!again.ok)
      expect([again.code, again.details?.['failInfo']]).toEqual(['SCEP_REQUEST_FAILED', 'badRequest']);
  });

  it('a challenge older than its validity on the virtual clock fails, and nothing is issued', async () => {
    const subject = 'CN=ada.lovelace,O=Contoso';
    const challenge = store.issue({ deviceId: 'ios-2', profileId: 'scep', subject, now: clock });
    const content = received(challenge);
    const before = ca.issuedRecords().length;
    clock = new Date(clock.getTime() + 61 * 60_000); // the device enrols 61 virtual minutes later
    const r = await enrolAppleScep(content, deps(7));
    clock = T0;
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('SCEP_REQUEST_FAILED');
    // the connector side names the cause (CRPSCEPChallenge_Expired)
    expect(responder.failures.at(-1)?.code).toBe('SCEP_CHALLENGE_EXPIRED');
    expect(ca.issuedRecords().length).toBe(before);
  });

  it('a CAFingerprint the server does not match: the device refuses to enrol', async () => {
    const challenge = store.issue({ deviceId: 'ios-3', profileId: 'scep', now: clock });
    const r = await enrolAppleScep(received(challenge, Buffer.alloc(32, 7)), deps(8));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('INSTALL_UNTRUSTED_CHAIN');
      expect(r.message).not.toContain(challenge);
    }
  });
});
