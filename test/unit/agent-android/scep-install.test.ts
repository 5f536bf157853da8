/**
 * Issue 14 point 2 (Android Enterprise device side): the adapter's deliverAsync takes a policy with an
 * ENROLL_SCEP command (docs/formats.md §3.5), makes the key in the device's store, enrols with a real SCEP
 * server over HTTP using the one-time challenge, installs the key pair under its alias — in the work profile
 * on a personally-owned work profile, device-wide in KeyChain on a fully managed device — and answers a
 * compliant AMAPI-style report; the key pair comes up for renewal at the profile's threshold, and the
 * renewal payload (a new challenge) re-enrols with a new key that replaces it under the alias; the same bytes
 * again are UNCHANGED without a second enrolment; a spent or expired challenge fails with the enrolment's code
 * and an INVALID_VALUE detail and leaves the installed key pair as it was; a plain-http URL off loopback is
 * refused (SCEPDOC: HTTPS); SILENT access on a work profile is refused before the challenge is spent; the
 * synchronous deliver refuses the command as not simulated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { androidAdapter } from '../../../agent/platforms/android/index.ts';
import type { DeliveryResult, DeviceContext } from '../../../agent/platform-adapter.ts';
import { checkRenewals } from '../../../agent/renewal/renewal.ts';
import {
  decodeComplianceReport,
  type AndroidComplianceReport,
} from '../../../profiles/android/non-compliance.ts';
import { encodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import type { EnrollScepCommand } from '../../../profiles/android/scep-command.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FACTS } from '../compile/fixtures.ts';
import { androidDevice, contextFor } from './fixtures.ts';

const T0 = '2026-03-01T10:00:00Z';
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let server: RunningScepServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-android-scep-install-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: new Date(Date.parse(T0) - 86_400_000),
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: new Date(T0), key: poolKey('rsa2048', 2) });
  store = new ChallengeStore();
  const responder = new ScepResponder({ ca, ra, challenges: store, now: () => new Date(T0) });
  server = await startScepServer({ responder, port: 0 });
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

type Family = 'android-work-profile' | 'android-device-owner';

function profile(family: Family, extra: Record<string, unknown> = {}): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family,
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    subjectAlternativeNameType: ['userPrincipalName'],
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
    ...extra,
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

function payload(family: Family, challenge: string, url = server.ndesUrl, extra = {}): Buffer {
  const c = compileProfile(profile(family, extra), FACTS[family], {
    ids: seededIds('a'),
    scep: { url, challenge },
  });
  if (!c.ok) throw new Error(c.outcome.message);
  return c.payload.bytes;
}

function report(r: DeliveryResult): AndroidComplianceReport {
  const d = decodeComplianceReport(r.reply);
  if (!d.ok) throw new Error('the reply is not a compliance report');
  return d.report;
}

const ctxOf = (kind: 'work-profile-personal' | 'fully-managed', key: number): DeviceContext => ({
  ...contextFor(androidDevice(kind), new Date(T0)),
  scepKey: async () => poolKey('rsa2048', key),
});
const challengeFor = (ctx: DeviceContext, now = new Date(T0)): string =>
  store.issue({ deviceId: ctx.device.id, profileId: 'wifi', now });
const identities = (ctx: DeviceContext) => ctx.db.items(ctx.device.id, { kind: 'identity' });

describe('a personally-owned work profile enrols an ENROLL_SCEP command', () => {
  let ctx: DeviceContext;
  let first: Buffer;
  let challenge: string;
  beforeAll(() => {
    ctx = ctxOf('work-profile-personal', 9);
    challenge = challengeFor(ctx);
    first = payload('android-work-profile', challenge);
  });

  it('makes the key on the device, installs the key pair in the work profile, answers compliant', async () => {
    const r = await androidAdapter.deliverAsync!(ctx, first, { profileId: 'wifi', renewalThreshold: 25 });
    expect(r.outcomes).toEqual([
      expect.objectContaining({ status: 'installed', payload: 'certfleet-wi-fi-scep' }),
    ]);
    expect(r.outcomes[0]!.message).toMatch(/^Enrolled over SCEP with http:\/\/127\.0\.0\.1:\d+\/certsrv/);
    expect(report(r)).toMatchObject({ policyCompliant: true, nonComplianceDetails: [] });
    const ids = identities(ctx);
    expect(ids).toHaveLength(1);
    const id = ids[0]!;
    expect([
      id.store,
      id.attrs.alias,
      id.attrs.keyOrigin,
      id.attrs.exportable,
      id.attrs.visibleToUser,
    ]).toEqual(['android/work-profile', 'certfleet-wi-fi-scep', 'device', false, false]);
    const key = poolKey('rsa2048', 9).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(Buffer.from(id.privateKey!).equals(key)).toBe(true);
    expect(id.issuer).toBe(ca.issuing.subjectText);
    expect(id.subject).toBe('CN=ada.lovelace,O=Contoso');
    // neither the key nor the challenge leaves the device in its answer
    expect(r.reply.includes(key)).toBe(false);
    expect(r.reply.includes(key.toString('base64').slice(0, 64))).toBe(false);
    expect(JSON.stringify(r.outcomes) + r.reply.toString('utf8')).not.toContain(challenge);
  });

  it('the key pair comes up for renewal at the profile threshold (the agent then asks the service)', () => {
    const id = identities(ctx)[0]!;
    const start = Date.parse(id.notBefore);
    const life = Date.parse(id.notAfter) - start;
    const at = (share: number) =>
      checkRenewals(
        { ...ctx, clock: new FixedClock(new Date(start + share * life).toISOString()) },
        { locked: false },
      );
    expect(at(0.5).map((d) => [d.thumbprint, d.action, d.threshold])).toEqual([[id.thumbprint, 'none', 25]]);
    expect(at(0.8).map((d) => [d.thumbprint, d.action])).toEqual([[id.thumbprint, 'renew']]);
  });

  it('the same bytes again are UNCHANGED: no second enrolment (the challenge would be refused)', async () => {
    const r = await androidAdapter.deliverAsync!(ctx, first, { profileId: 'wifi' });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'installed', code: 'UNCHANGED' })]);
  });

  it('a spent challenge fails with the enrolment code and INVALID_VALUE; the key pair stays as it was', async () => {
    const before = ctx.db.items(ctx.device.id);
    // other bytes (the plain /scep path of the same server) with the spent challenge
    const other = { ...ctx, scepKey: async () => poolKey('rsa2048', 10) };
    const r = await androidAdapter.deliverAsync!(
      other,
      payload('android-work-profile', challenge, server.url),
      {
        profileId: 'wifi',
      },
    );
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'SCEP_REQUEST_FAILED' })]);
    expect(r.outcomes[0]!.message).toMatch(
      /SCEP enrolment of key pair "certfleet-wi-fi-scep" failed: .*badRequest/,
    );
    expect(report(r)).toMatchObject({
      policyCompliant: false,
      nonComplianceDetails: [
        {
          settingName: 'certificateCommands',
          nonComplianceReason: 'INVALID_VALUE',
          fieldPath: 'certificateCommands[0]',
        },
      ],
    });
    expect(ctx.db.items(ctx.device.id)).toEqual(before);
  });
  it('a renewal (the profile again with a new challenge) re-enrols with a new key and replaces the key pair', async () => {
    const [old] = identities(ctx);
    const renewed = { ...ctx, scepKey: async () => poolKey('rsa2048', 7) };
    const bytes = payload('android-work-profile', challengeFor(ctx));
    const r = await androidAdapter.deliverAsync!(renewed, bytes, { profileId: 'wifi', renewalThreshold: 25 });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'installed' })]);
    const now = identities(ctx);
    expect(now).toHaveLength(1);
    expect(now[0]!.attrs.alias).toBe('certfleet-wi-fi-scep');
    expect(now[0]!.thumbprint).not.toBe(old!.thumbprint);
    const key = poolKey('rsa2048', 7).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(Buffer.from(now[0]!.privateKey!).equals(key)).toBe(true);
  });
});

describe('a fully managed device', () => {
  it('installs the enrolled key pair device-wide in KeyChain, granted silently, trusted under the root', async () => {
    const ctx = ctxOf('fully-managed', 11);
    const root = encodeAndroidPolicy({
      openNetworkConfiguration: { Certificates: [{ GUID: 'root', Type: 'Authority', X509: ca.root.der }] },
      certificateCommands: [{ type: 'INSTALL_CA_CERT', certificateGuid: 'root' }],
    });
    androidAdapter.deliver(ctx, root, { profileId: 'root' });
    const bytes = payload('android-device-owner', challengeFor(ctx), server.ndesUrl, {
      certificateAccess: { type: 'specificApps', packageIds: ['com.contoso.vpn'] },
    });
    const r = await androidAdapter.deliverAsync!(ctx, bytes, { profileId: 'wifi' });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'installed', code: 'OK' })]);
    expect(r.outcomes[0]!.message).toMatch(/granted silently to com\.contoso\.vpn/);
    const [id] = identities(ctx);
    expect([id?.store, id?.attrs.access, id?.attrs.visibleToUser]).toEqual([
      'android/keychain',
      { type: 'SILENT', packages: ['com.contoso.vpn'] },
      true,
    ]);
  });

  it('an expired challenge fails SCEP_REQUEST_FAILED (badRequest) and installs nothing', async () => {
    const ctx = ctxOf('fully-managed', 3);
    const late = challengeFor(ctx, new Date(Date.parse(T0) - 2 * 3_600_000)); // 60 min validity, 2 h ago
    const r = await androidAdapter.deliverAsync!(ctx, payload('android-device-owner', late), {
      profileId: 'wifi',
    });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'SCEP_REQUEST_FAILED' })]);
    expect(r.outcomes[0]!.message).toMatch(/badRequest/);
    expect(identities(ctx)).toEqual([]);
  });
});

describe('what the device refuses before it enrols', () => {
  it('a plain-http SCEP URL off loopback: SCEP_HTTP naming the HTTPS rule, nothing installed', async () => {
    const ctx = ctxOf('work-profile-personal', 4);
    const bytes = payload(
      'android-work-profile',
      'unused',
      'http://ndes.contoso.com/certsrv/mscep/mscep.dll',
    );
    const r = await androidAdapter.deliverAsync!(ctx, bytes, { profileId: 'wifi' });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'SCEP_HTTP' })]);
    expect(r.outcomes[0]!.message).toMatch(/only with an HTTPS URL \(Intune's SCEP profile rules\)/);
    expect(identities(ctx)).toEqual([]);
  });

  it('SILENT access on a work profile: INSTALL_NOT_ALLOWED, and the challenge is not spent', async () => {
    const ctx = ctxOf('work-profile-personal', 5);
    const challenge = challengeFor(ctx);
    const good = JSON.parse(payload('android-work-profile', challenge).toString('utf8')) as {
      certificateCommands: EnrollScepCommand[];
    };
    const silent = encodeAndroidPolicy({
      certificateCommands: [
        { ...good.certificateCommands[0]!, access: { type: 'SILENT', packages: ['com.contoso.vpn'] } },
      ],
    });
    const r = await androidAdapter.deliverAsync!(ctx, silent, { profileId: 'wifi' });
    expect(r.outcomes).toEqual([expect.objectContaining({ status: 'failed', code: 'INSTALL_NOT_ALLOWED' })]);
    expect(report(r).nonComplianceDetails[0]?.nonComplianceReason).toBe('MANAGEMENT_MODE');
    // the same challenge still enrols: the refused command never reached the server
    const ok = await androidAdapter.deliverAsync!(ctx, payload('android-work-profile', challenge), {
      profileId: 'wifi',
    });
    // installed; without the root profile on this device its chain is reported untrusted, as for PKCS
    expect(ok.outcomes).toEqual([
      expect.objectContaining({ status: 'installed', code: 'INSTALL_UNTRUSTED_CHAIN' }),
    ]);
  });

  it('the synchronous deliver (no network) skips the command as not simulated', () => {
    const ctx = ctxOf('work-profile-personal', 6);
    const r = androidAdapter.deliver(ctx, payload('android-work-profile', 'c'), { profileId: 'wifi' });
    expect(r.outcomes).toEqual([
      expect.objectContaining({ status: 'skipped', code: 'INSTALL_NOT_SIMULATED' }),
    ]);
    expect(identities(ctx)).toEqual([]);
  });
});
