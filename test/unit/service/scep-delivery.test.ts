/**
 * SCEP profiles through the MDM service (issue 14 point 2, service side): for each device × profile the
 * service issues a one-time challenge on the virtual clock, into the store the run's SCEP server redeems
 * from, and sends the payload with the server's URL, the challenge and the CA fingerprint; the device
 * (the Apple enrolment function, over real HTTP) enrols once with it; a second use is refused, and a
 * challenge used after its validity on the virtual clock is expired; a renewal request re-sends the profile
 * with a new challenge, and its install counts as a renewal. With strong mapping on, the SID URI SAN
 * is added, and a user without an on-premises SID fails CONNECTOR_SID_UNAVAILABLE. The challenge appears in
 * no event or outcome.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolAppleScep } from '../../../agent/platforms/apple/scep-enrol.ts';
import { sha1Thumbprint } from '../../../pki/index.ts';
import type { ScepPayload, ScepPayloadContent } from '../../../profiles/apple/mobileconfig-types.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import type { RunEvent } from '../../../simulator/run-model.ts';
import type { DirectoryEntry } from '../../../simulator/service/mdm/directory.ts';
import type { ServiceScep } from '../../../simulator/service/mdm/service-types.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { ScepIssuedCertificates } from '../../../simulator/service/scep/issued-certificates.ts';
import { parseCrl } from '../../../pki/crl.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { generateDevice } from '../../../agent/device/generate.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { outcomeOf, profileOf, toAll, world, type FakeDevice } from './harness.ts';

const scepProfile = (extra: Record<string, unknown> = {}) =>
  profileOf({
    kind: 'scep-certificate',
    family: 'ios',
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    scepServerUrls: ['http://scep.certfleet.invalid/certsrv/mscep/mscep.dll'],
    ...extra,
  });

/** A service world with a real SCEP server over the world's CA; `sid` = the strong-mapping setting. */
async function scepWorld(sid: boolean, directory = new Map<string, DirectoryEntry>()) {
  const events: RunEvent[] = [];
  const crls: Buffer[] = [];
  const challenges = new ChallengeStore({ random: (n) => Buffer.alloc(n, 7 + events.length) });
  const issued = new ScepIssuedCertificates();
  // filled in once the world's CA exists (the service reads it when a delivery starts)
  const scep: ServiceScep = {
    url: '',
    challenges,
    caFingerprint: Buffer.alloc(0),
    caThumbprint: '',
    sidSecurityExtension: sid,
    issued,
  };
  const w = await world({
    assignments: [toAll('wifi', scepProfile())],
    directory,
    service: { scep, onEvent: (e) => events.push(e), onCrl: (c) => crls.push(c) },
  });
  const ra = await loadOrIssueRa(w.ca, { now: w.clock.now(), key: poolKey('rsa2048', 2) });
  const responder = new ScepResponder({ ca: w.ca, ra, challenges, issued, now: () => w.clock.now() });
  const server = await startScepServer({ responder, port: 0 });
  scep.url = server.ndesUrl;
  scep.caFingerprint = createHash('sha256').update(w.ca.issuing.der).digest();
  scep.caThumbprint = sha1Thumbprint(w.ca.root.der);
  return { w, events, server, responder, issued, crls };
}

/** The SCEP payload a device received last. */
function scepPayloadOf(d: FakeDevice): ScepPayloadContent {
  const p = d.payloads().at(-1);
  if (p === undefined) throw new Error(`${d.id} received no payload`);
  const mc = decodeMobileconfig(p.payload, { platform: 'ios' });
  if (!mc.ok) throw new Error(JSON.stringify(mc.problems));
  const payload = mc.profile.PayloadContent[0] as ScepPayload;
  expect(payload.PayloadType).toBe('com.apple.security.scep');
  return payload.PayloadContent;
}

describe('SCEP delivery through the MDM service', () => {
  let s: Awaited<ReturnType<typeof scepWorld>>;
  let server: RunningScepServer;
  beforeAll(async () => {
    s = await scepWorld(false);
    server = s.server;
    await s.w.enrol({ platform: 'ios', kind: 'device' });
    await s.w.enrol({ platform: 'ios', kind: 'device' });
  });
  afterAll(async () => {
    await server?.close();
    await s?.w.service.stop();
  });

  it('sends each device its own challenge and the run server URL; the device enrols once with it', async () => {
    const [a, b] = s.w.devices;
    const pa = scepPayloadOf(a!);
    const pb = scepPayloadOf(b!);
    expect(pa.URL).toBe(server.ndesUrl);
    expect(pa.Challenge).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pb.Challenge).not.toBe(pa.Challenge);
    expect(Buffer.from(pa.CAFingerprint!).toString('hex')).toBe(
      createHash('sha256').update(s.w.ca.issuing.der).digest('hex'),
    );
    const deps = { keyPair: () => poolKey('rsa2048', 9), now: () => s.w.clock.now() };
    const r = await enrolAppleScep(pa, deps);
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.certificate.issuerText).toBe(s.w.ca.issuing.subjectText);
    expect(r.certificate.verifySignature(s.w.ca.issuing.publicKey)).toBe(true);
    // another key: a new transaction (the same request again would be a retransmission, answered alike)
    const again = await enrolAppleScep(pa, { ...deps, keyPair: () => poolKey('rsa2048', 10) });
    expect(again).toMatchObject({ ok: false, code: 'SCEP_REQUEST_FAILED' });
    expect(s.responder.failures.at(-1)).toMatchObject({ code: 'SCEP_CHALLENGE_REUSED' });
  });

  it('a challenge used after its validity on the virtual clock is expired', async () => {
    const b = s.w.devices[1]!;
    await s.w.run(61 * 60_000);
    const r = await enrolAppleScep(scepPayloadOf(b), {
      keyPair: () => poolKey('rsa2048', 11),
      now: () => s.w.clock.now(),
    });
    expect(r).toMatchObject({ ok: false });
    expect(s.responder.failures.at(-1)).toMatchObject({ code: 'SCEP_CHALLENGE_EXPIRED' });
  });

  it('a renewal request re-sends the profile with a new challenge; the re-enrolment counts as a renewal', async () => {
    const a = s.w.devices[0]!;
    const before = scepPayloadOf(a);
    const sends = a.payloads().length;
    await a.renew('wifi', 'AB'.repeat(20));
    await s.w.settle();
    expect(a.payloads()).toHaveLength(sends + 1);
    const after = scepPayloadOf(a);
    expect(after.Challenge).not.toBe(before.Challenge);
    expect(after.URL).toBe(before.URL);
    expect(outcomeOf(s.w.service, a.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
    expect(s.events.filter((e) => e.type === 'renewed' && e.device === a.id)).toHaveLength(1);
  });

  it('no event or outcome carries a challenge', () => {
    const secrets = s.w.devices.flatMap((d) =>
      d.payloads().map((p) => {
        const mc = decodeMobileconfig(p.payload, { platform: 'ios' });
        if (!mc.ok) throw new Error('mobileconfig does not decode');
        return (mc.profile.PayloadContent[0] as ScepPayload).PayloadContent.Challenge!;
      }),
    );
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const text = JSON.stringify([s.events, s.w.service.outcomes()]);
    expect(s.events.filter((e) => e.type === 'scep-challenge-issued')).toHaveLength(secrets.length);
    for (const c of secrets) expect(text).not.toContain(c);
  });
});

describe('issue 14: a retired device\u2019s SCEP certificates were never revoked (the service did not know the serial)', () => {
  let s: Awaited<ReturnType<typeof scepWorld>>;
  beforeAll(async () => {
    s = await scepWorld(false);
    // devices that act on the payload themselves (enrol over SCEP), then report the install
    await s.w.enrol({ platform: 'ios', kind: 'device', answer: 'silent' });
    await s.w.enrol({ platform: 'ios', kind: 'device', answer: 'silent' });
  });
  afterAll(async () => {
    await s?.server.close();
    await s?.w.service.stop();
  });

  /** Enrols `d` with the SCEP payload it received last (its own key, real HTTP), then reports the install. */
  const enrolAndReport = async (d: FakeDevice, key: number) => {
    const r = await enrolAppleScep(scepPayloadOf(d), {
      keyPair: () => poolKey('rsa2048', key),
      now: () => s.w.clock.now(),
    });
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    await d.reportInstalled('wifi');
    await s.w.settle();
    return r.certificate;
  };
  const record = (serial: string) => s.w.ca.issuedRecords().find((r) => r.serial === serial);

  it('the connector reports each certificate with the device × profile of its challenge', async () => {
    const [a, b] = s.w.devices;
    const ca = await enrolAndReport(a!, 9);
    const cb = await enrolAndReport(b!, 10);
    expect(s.issued.of(a!.id, 'wifi').map((c) => c.serial)).toEqual([ca.serialNumber]);
    expect(s.issued.latest(b!.id, 'wifi')).toMatchObject({
      serial: cb.serialNumber,
      thumbprint: cb.sha1Thumbprint,
      notAfter: cb.notAfter.toISOString(),
    });
    // the service took it as the certificate the device holds, and says so
    expect(s.events.filter((e) => e.type === 'issued' && e.device === a!.id).map((e) => e.detail)).toEqual([
      expect.stringContaining(`certificate ${ca.serialNumber} by the SCEP connector (initial`),
    ]);
    expect(record(ca.serialNumber)?.revoked).toBeUndefined();
  });

  it('a renewal re-enrols; the replaced certificate is revoked (superseded) and listed in the CRL', async () => {
    const a = s.w.devices[0]!;
    const old = s.issued.latest(a.id, 'wifi')!;
    await a.renew('wifi', old.thumbprint);
    await s.w.settle();
    const renewed = await enrolAndReport(a, 11);
    expect(renewed.serialNumber).not.toBe(old.serial);
    expect(outcomeOf(s.w.service, a.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
    expect(record(old.serial)?.revoked?.reason).toBe('superseded');
    expect(record(renewed.serialNumber)?.revoked).toBeUndefined();
    const crl = parseCrl(s.crls.at(-1)!);
    expect(crl.verifySignature(s.w.ca.issuing.publicKey)).toBe(true);
    expect(crl.find(old.serial)).toBeDefined();
    expect(crl.find(renewed.serialNumber)).toBeUndefined();
    // a late request about the replaced certificate sends nothing
    const sends = a.payloads().length;
    await a.renew('wifi', old.thumbprint);
    await s.w.settle();
    expect(a.payloads()).toHaveLength(sends);
  });

  it('retiring a device revokes its SCEP certificate (cessationOfOperation), the other device\u2019s stays valid', async () => {
    const [a, b] = s.w.devices;
    const current = s.issued.latest(a!.id, 'wifi')!;
    const crlsBefore = s.crls.length;
    await s.w.service.retireDevice(a!.id);
    await s.w.settle();
    expect(record(current.serial)?.revoked?.reason).toBe('cessationOfOperation');
    expect(s.crls.length).toBe(crlsBefore + 1);
    const crl = parseCrl(s.crls.at(-1)!);
    expect(crl.find(current.serial)).toBeDefined();
    const other = s.issued.latest(b!.id, 'wifi')!;
    expect(crl.find(other.serial)).toBeUndefined();
    expect(s.events.find((e) => e.type === 'revoked' && e.detail.includes(current.serial))?.detail).toBe(
      `certificate ${current.serial} (cessationOfOperation)`,
    );
  });

  it('removing the assignment revokes the remaining device\u2019s SCEP certificate', async () => {
    const b = s.w.devices[1]!;
    const serial = s.issued.latest(b.id, 'wifi')!.serial;
    await s.w.service.removeAssignment('wifi');
    await s.w.settle();
    expect(record(serial)?.revoked?.reason).toBe('cessationOfOperation');
    expect(parseCrl(s.crls.at(-1)!).find(serial)).toBeDefined();
  });
});

describe('SCEP delivery with strong mapping on', () => {
  let s: Awaited<ReturnType<typeof scepWorld>>;
  let userSid = '';
  beforeAll(async () => {
    const directory = new Map<string, DirectoryEntry>();
    s = await scepWorld(true, directory);
    // device 0: the user has an on-premises SID; device 1: a cloud-only user (none)
    const withSid = generateDevice({ seed: 'service-world', index: 0, platform: 'ios', kind: 'device' });
    const e0 = directoryEntryOf(withSid, []);
    userSid = 'S-1-5-21-1004336348-1177238915-682003330-1105';
    directory.set(withSid.id, {
      ...e0,
      user: { ...e0.user!, onPremises: { ...e0.user!.onPremises, sid: userSid } },
    });
    const cloud = generateDevice({ seed: 'service-world', index: 1, platform: 'ios', kind: 'device' });
    const e1 = directoryEntryOf(cloud, []);
    const { onPremises: _synced, ...user } = e1.user!;
    directory.set(cloud.id, { ...e1, user });
    await s.w.enrol({ platform: 'ios', kind: 'device' });
    await s.w.enrol({ platform: 'ios', kind: 'device' });
  });
  afterAll(async () => {
    await s?.server.close();
    await s?.w.service.stop();
  });

  it('the payload carries the SID URI SAN of the user', () => {
    const p = scepPayloadOf(s.w.devices[0]!);
    expect(userSid).toMatch(/^S-1-5-21-/);
    expect(p.SubjectAltName?.uniformResourceIdentifier).toBe(`tag:microsoft.com,2022-09-14:sid:${userSid}`);
  });

  it('a user without an on-premises SID fails CONNECTOR_SID_UNAVAILABLE; nothing is sent', () => {
    const d = s.w.devices[1]!;
    const o = outcomeOf(s.w.service, d.id, 'wifi');
    expect(o).toMatchObject({ status: 'failed', code: 'CONNECTOR_SID_UNAVAILABLE' });
    expect(o?.message).toMatch(/Entra Connect/);
    expect(d.payloads()).toEqual([]);
  });
});

describe('a service without a SCEP server', () => {
  it('fails a SCEP profile with a message that says why, sending nothing', async () => {
    const w = await world({ assignments: [toAll('wifi', scepProfile())] });
    try {
      const d = await w.enrol({ platform: 'ios', kind: 'device' });
      const o = outcomeOf(w.service, d.id, 'wifi');
      expect(o).toMatchObject({ status: 'failed', code: 'USAGE' });
      expect(o?.message).toMatch(/no SCEP server/);
      expect(d.payloads()).toEqual([]);
    } finally {
      await w.service.stop();
    }
  });
});
