/**
 * Imported PKCS through the MDM service (issue 14 point 3): the user's PFX imported into the tenant folder (the
 * CA folder, as `certfleet pfx import --dir` does) reaches every device of that user in its platform's PKCS
 * wrapping — the same certificate (serial, thumbprint) on a Windows PC and an iPhone of one user; the Windows
 * password encrypted to that PC's management certificate. A user without an import for the purpose fails
 * with PFX_NOT_IMPORTED; a userless device is not applicable. The tenant's PFX connector (a client of its own,
 * pfx-connector.ts) answers each device's request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { parseCertificate, type Certificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import type { Pkcs12CertificatePayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { decryptPfxPassword } from '../../../profiles/windows/pfx-password.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import type { DirectoryEntry } from '../../../simulator/service/mdm/directory.ts';
import type { RunEvent } from '../../../simulator/run-model.ts';
import { importedProfile, importSmimeFor } from './imported-pfx-fixture.ts';
import { outcomeOf, START, toAll, world } from './harness.ts';

const PASSWORD = 'Smime-Import-Pw-5521';
const imported = importedProfile;

let w: Awaited<ReturnType<typeof world>>;
const events: RunEvent[] = [];
let smime: Certificate;
const directory = new Map<string, DirectoryEntry>();

beforeAll(async () => {
  w = await world({
    assignments: ['windows', 'ios', 'android-work-profile', 'android-device-owner'].map((f) =>
      toAll(`smime-${f}`, imported(f)),
    ),
    directory,
    service: { onEvent: (e) => events.push(e) },
    pfxConnector: true,
  });
  // device 0 (Windows) and device 1 (iPhone) share one user; the user is imported for S/MIME encryption
  const pc = generateDevice({ seed: 'service-world', index: 0, platform: 'windows', kind: 'entra-joined' });
  const phone = generateDevice({ seed: 'service-world', index: 1, platform: 'ios', kind: 'device' });
  directory.set(pc.id, directoryEntryOf(pc, []));
  directory.set(phone.id, { ...directoryEntryOf(phone, []), user: directory.get(pc.id)!.user });
  const upn = pc.user!.userPrincipalName;
  // the S/MIME certificate comes from the run's CA, as a tenant's would from its own
  smime = await importSmimeFor(w, upn, { password: PASSWORD, subject: `CN=${pc.user!.displayName}` });
  await w.enrol({ platform: 'windows', kind: 'entra-joined' });
  await w.enrol({ platform: 'ios', kind: 'device' });
  await w.enrol({ platform: 'android', kind: 'work-profile-personal' }); // another user, nothing imported
  await w.enrol({ platform: 'android', kind: 'dedicated', overrides: { hasUser: false } });
  // a PC whose user has no UPN in the directory (imports are kept by UPN)
  const noUpn = generateDevice({
    seed: 'service-world',
    index: 4,
    platform: 'windows',
    kind: 'entra-joined',
  });
  const entry = directoryEntryOf(noUpn, []);
  const { userPrincipalName: _upn, ...user } = entry.user!;
  directory.set(noUpn.id, { ...entry, user });
  await w.enrol({ platform: 'windows', kind: 'entra-joined' });
  await w.run(60_000); // the PFX connector polls (virtual time) and answers each device's request
});
afterAll(async () => {
  await w?.service.stop();
});

describe('imported PKCS through the MDM service', () => {
  it('the PC and the iPhone of one user get the same imported certificate, installed', () => {
    const [pc, phone] = w.devices;
    expect(pc!.payloads()).toHaveLength(1);
    const xml = decodeSyncml(pc!.payloads()[0]!.payload);
    if (!xml.ok) throw new Error('SyncML does not decode');
    const install = decodePfxInstalls(xml.message).installs[0]!.install;
    expect([install.scope, install.passwordEncryptionType]).toEqual(['User', 1]);
    expect(install.password).not.toContain(PASSWORD);
    const password = decryptPfxPassword(install.password ?? '', [
      { certificate: pc!.certificate!, privateKey: pc!.key.privateKey },
    ]);
    const onPc = parseCertificate(parsePkcs12(install.pfxBlob, password).certificates[0]!);

    const mc = decodeMobileconfig(phone!.payloads()[0]!.payload, { platform: 'ios' });
    if (!mc.ok) throw new Error('mobileconfig does not decode');
    const p12 = mc.profile.PayloadContent[0] as Pkcs12CertificatePayload;
    expect(p12.PayloadType).toBe('com.apple.security.pkcs12');
    const onPhone = parseCertificate(parsePkcs12(p12.PayloadContent, p12.Password ?? '').certificates[0]!);

    expect([onPc.serialNumber, onPc.sha1Thumbprint]).toEqual([smime.serialNumber, smime.sha1Thumbprint]);
    expect([onPhone.serialNumber, onPhone.sha1Thumbprint]).toEqual([onPc.serialNumber, onPc.sha1Thumbprint]);
    for (const [d, f] of [
      [pc!, 'windows'],
      [phone!, 'ios'],
    ] as const)
      expect(outcomeOf(w.service, d.id, `smime-${f}`)).toMatchObject({ status: 'installed', code: 'OK' });
  });

  it('a user with no imported PFX for the purpose fails with PFX_NOT_IMPORTED, naming the user; nothing is sent', () => {
    const other = w.devices[2]!;
    const o = outcomeOf(w.service, other.id, 'smime-android-work-profile');
    expect(o).toMatchObject({ status: 'failed', code: 'PFX_NOT_IMPORTED' });
    expect(o?.message).toContain(other.device.user?.userPrincipalName ?? '(no user)');
    expect(o?.message).toContain('smimeEncryption');
    expect(other.payloads()).toEqual([]);
  });

  it('a userless device is not applicable, like a user PKCS certificate', () => {
    const kiosk = w.devices[3]!;
    expect(outcomeOf(w.service, kiosk.id, 'smime-android-device-owner')).toMatchObject({
      status: 'not-applicable',
      code: 'NOT_APPLICABLE',
    });
    expect(kiosk.payloads()).toEqual([]);
  });

  it('nothing is issued by the CA for an imported profile (only the S/MIME certificate and MDM identities)', () => {
    const others = w.ca.issuedRecords().filter((r) => r.template !== 'CertfleetMdmDevice');
    expect(others.map((r) => r.serial)).toEqual([smime.serialNumber]);
  });

  it('a renewal request for the imported certificate is answered with an event only: nothing is issued or sent', async () => {
    const pc = w.devices[0]!;
    const before = pc.received.length;
    await pc.renew('smime-windows', smime.sha1Thumbprint);
    await w.settle();
    expect(events.filter((e) => e.type === 'renewal-not-possible' && e.device === pc.id)).toEqual([
      expect.objectContaining({
        profile: 'smime-windows',
        detail: expect.stringMatching(/import the user's new PFX/),
      }),
    ]);
    expect(pc.received.length).toBe(before);
    expect(outcomeOf(w.service, pc.id, 'smime-windows')).toMatchObject({ status: 'installed' });
  });

  it('a user without a UPN in the directory fails with PFX_NOT_IMPORTED, saying why', () => {
    const pc = w.devices[4]!;
    const o = outcomeOf(w.service, pc.id, 'smime-windows');
    expect(o).toMatchObject({ status: 'failed', code: 'PFX_NOT_IMPORTED' });
    expect(o?.message).toMatch(/no user principal name/);
    expect(pc.payloads()).toEqual([]);
  });

  it('after the tenant imports the user a newer PFX, a renewal request gets that one, replacing the old', async () => {
    const pc = w.devices[0]!;
    const newer = await importSmimeFor(w, pc.device.user!.userPrincipalName, {
      password: PASSWORD,
      subject: `CN=${pc.device.user!.displayName}`,
      key: 6,
      importedAt: new Date(START.getTime() + 60_000),
    });
    const before = pc.payloads().length;
    await pc.renew('smime-windows', smime.sha1Thumbprint);
    await w.run(16 * 60_000); // the PFX connector's next poll, its idle backoff at most 15 min
    expect(pc.payloads()).toHaveLength(before + 1);
    const xml = decodeSyncml(pc.payloads().at(-1)!.payload);
    if (!xml.ok) throw new Error('SyncML does not decode');
    const ops = decodePfxInstalls(xml.message).installs;
    expect(ops).toHaveLength(1);
    const install = ops[0]!.install;
    expect(xml.message.body.some((c) => c.kind === 'Delete')).toBe(true);
    const password = decryptPfxPassword(install.password ?? '', [
      { certificate: pc.certificate!, privateKey: pc.key.privateKey },
    ]);
    const sent = parseCertificate(parsePkcs12(install.pfxBlob, password).certificates[0]!);
    expect(sent.sha1Thumbprint).toBe(newer.sha1Thumbprint);
    expect(events.some((e) => e.type === 'imported-pfx-replaced' && e.device === pc.id)).toBe(true);
    expect(outcomeOf(w.service, pc.id, 'smime-windows')).toMatchObject({ status: 'installed' });
  });
});
