import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptPfxPassword } from '../../../profiles/windows/pfx-password.ts';
import { parseDeviceTopic, payloadTopic } from '../../../protocol/wire/topics.ts';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import { readDeviceAdminMessage } from '../../../profiles/android/device-admin-syncml.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import type { EnrollmentKind, Platform, ProfileFamily } from '../../../profiles/model/platform.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeTrustedCertOperations } from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { DEFAULT_RETRY_POLICY, answerTimeout } from '../../../simulator/service/mdm/retry-policy.ts';
import { outcomeOf, pkcs, TENANT, toAll, trusted, world } from './harness.ts';

const CASES: [ProfileFamily, Platform, EnrollmentKind, string][] = [
  ['windows', 'windows', 'entra-joined', 'syncml'],
  ['macos', 'macos', 'device', 'mobileconfig'],
  ['ios', 'ios', 'device', 'mobileconfig'],
  ['android-work-profile', 'android', 'work-profile-personal', 'android-policy'],
  ['android-device-owner', 'android', 'fully-managed', 'android-policy'],
  // device administrator is not AMAPI-managed: OMA-DM SyncML for the Company Portal (issue 12 point 6)
  ['android-device-admin', 'android', 'device-admin', 'syncml'],
];

/** The PFX inside a native payload, and the password the device would use to open it. */
function pfxOf(
  format: string,
  payload: Buffer,
  platform: Platform,
  identity: { certificate: ReturnType<typeof parseCertificate>; privateKey: KeyObject },
): { pfx: Buffer; password: string } {
  if (format === 'syncml' && platform === 'android') {
    const m = decodeSyncml(payload);
    if (!m.ok) throw new Error('SyncML does not decode');
    const { installs, unknown } = readDeviceAdminMessage(m.message);
    expect(unknown).toEqual([]);
    const install = installs.find((i) => i.kind === 'pkcs');
    if (install?.kind !== 'pkcs') throw new Error('no PKCS install in the device-admin SyncML');
    expect(payload.toString('utf8')).not.toMatch(/certificateCommands|openNetworkConfiguration/);
    return { pfx: Buffer.from(install.encoded, 'base64'), password: install.password ?? '' };
  }
  if (format === 'syncml') {
    const m = decodeSyncml(payload);
    if (!m.ok) throw new Error('SyncML does not decode');
    const ops = decodePfxInstalls(m.message);
    expect(ops.problems).toEqual([]);
    const install = ops.installs[0]!.install;
    expect(install.passwordEncryptionType).toBe(1); // encrypted to the management certificate
    return { pfx: install.pfxBlob, password: decryptPfxPassword(install.password!, [identity]) };
  }
  if (format === 'mobileconfig') {
    const r = decodeMobileconfig(payload, { platform: platform as 'macos' | 'ios' });
    if (!r.ok) throw new Error(`mobileconfig: ${JSON.stringify(r.problems)}`);
    const p = r.profile.PayloadContent.find(
      (c) => c.PayloadType === 'com.apple.security.pkcs12',
    ) as unknown as {
      PayloadContent: Uint8Array;
      Password: string;
    };
    return { pfx: Buffer.from(p.PayloadContent), password: p.Password };
  }
  const r = decodeAndroidPolicy(payload);
  if (!r.ok) throw new Error('policy does not decode');
  const cert = r.policy.openNetworkConfiguration!.Certificates!.find((c) => c.Type === 'Client')!;
  return { pfx: Buffer.from(cert.PKCS12 as Uint8Array), password: '' };
}

describe.each(CASES)('%s: trusted + PKCS', (family, platform, kind, format) => {
  it(`publishes ${format} payloads on device/{id}/in/${format}/{profile}/{threshold} and records installed`, async () => {
    const w = await world({
      assignments: (ca) => [
        toAll('root', trusted(family, ca.root.der)),
        toAll('wifi', pkcs(family, { renewalThresholdPercentage: 25 })),
      ],
    });
    const d = await w.enrol({
      platform,
      kind,
      overrides: {
        osVersion: platform === 'android' ? '11' : undefined,
        enrolledOsVersion: platform === 'android' ? '11' : undefined,
      },
    });
    await w.run(60_000); // a connector poll
    const got = d.payloads();
    expect(got.map((p) => p.topic).sort()).toEqual(
      [
        payloadTopic({
          tenant: TENANT,
          deviceId: d.id,
          format: format as never,
          profileId: 'root',
          threshold: 0,
        }),
        payloadTopic({
          tenant: TENANT,
          deviceId: d.id,
          format: format as never,
          profileId: 'wifi',
          threshold: 25,
        }),
      ].sort(),
    );
    const wifi = got.find(
      (p) => parseDeviceTopic(TENANT, p.topic)?.kind === 'payload' && p.topic.includes('/wifi/'),
    )!;
    const { pfx, password } = pfxOf(format, wifi.payload, platform, {
      certificate: d.certificate!,
      privateKey: d.key.privateKey,
    });
    const opened = parsePkcs12(pfx, password);
    const leaf = parseCertificate(opened.certificates[0]!);
    expect(leaf.issuerText).toBe(w.ca.issuing.subjectText);
    const record = w.ca.issuedRecords().find((r) => r.template === 'CertfleetUser');
    expect(record?.thumbprint).toBe(leaf.sha1Thumbprint);
    if (family === 'windows') {
      const m = decodeSyncml(got.find((p) => p.topic.includes('/root/'))!.payload);
      if (!m.ok) throw new Error('root SyncML');
      expect(decodeTrustedCertOperations(m.message).operations).toHaveLength(1);
    }
    for (const profile of ['root', 'wifi']) {
      expect(outcomeOf(w.service, d.id, profile)).toMatchObject({
        status: 'installed',
        code: 'OK',
        platform,
        kind,
      });
    }
    expect(w.service.counters().certificatesIssued).toBe(1);
    expect(w.bus.errors).toEqual([]);
  });
});

describe('assignment by family', () => {
  it('a device receives only the profiles of its own family; one of another family its groups reach is not applicable', async () => {
    const w = await world({
      assignments: (ca) => [
        toAll('win-root', trusted('windows', ca.root.der)),
        toAll('ios-root', trusted('ios', ca.root.der)),
        // assigned to Windows devices only: an iPhone is not in its group, so it has no row at all
        { name: 'win-only', profile: trusted('windows', ca.root.der), include: [{ platforms: ['windows'] }] },
      ],
    });
    const d = await w.enrol({ platform: 'ios', kind: 'user' });
    expect(
      d
        .payloads()
        .map((p) => parseDeviceTopic(TENANT, p.topic))
        .map((t) => t?.kind === 'payload' && t.profileId),
    ).toEqual(['ios-root']);
    // issue 12 point 4: "All devices" holds the iPhone, which cannot receive a Windows profile
    expect(w.service.outcomes().map((o) => [o.profile, o.status, o.code])).toEqual([
      ['ios-root', 'installed', 'OK'],
      ['win-root', 'not-applicable', 'NOT_APPLICABLE'],
    ]);
  });
});

describe('missing variable', () => {
  it('fails the device × profile with VARIABLE_MISSING and sends nothing', async () => {
    const w = await world({
      assignments: [
        toAll(
          'imei',
          pkcs('android-work-profile', {
            subjectNameFormatString: 'CN={{IMEI}}',
            certificateType: 'device',
            subjectAlternativeNameType: [],
          }),
        ),
      ],
    });
    const d = await w.enrol({
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { osVersion: '13', enrolledOsVersion: '13' },
    });
    await w.run(5 * 60_000);
    const o = outcomeOf(w.service, d.id, 'imei');
    expect(o).toMatchObject({ status: 'failed', code: 'VARIABLE_MISSING' });
    expect(o?.message).toContain('{{IMEI}}');
    expect(o?.message).toContain('Android 12');
    expect(d.payloads()).toEqual([]);
    expect(w.service.pendingRequests).toBe(0);
    expect(w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser')).toHaveLength(0);
  });
});

describe('pending, by whose turn it is', () => {
  it('a certificate no connector has issued is CERTIFICATE_NOT_ISSUED, not the device failing to answer', async () => {
    const w = await world({
      connectors: 0, // every connector down: the request waits in the queue
      assignments: (ca) => [toAll('root', trusted('windows', ca.root.der)), toAll('wifi', pkcs('windows'))],
    });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(2 * 60 * 60_000);
    expect(outcomeOf(w.service, d.id, 'root')).toMatchObject({ status: 'installed', code: 'OK' });
    const wifi = outcomeOf(w.service, d.id, 'wifi');
    expect(wifi).toMatchObject({ status: 'pending', code: 'CERTIFICATE_NOT_ISSUED' });
    expect(wifi?.message).toContain('certificate connector');
    expect(d.payloads().map((p) => p.topic.includes('/wifi/'))).toEqual([false]);
    expect(w.service.pendingRequests).toBe(1);
  });

  it('a payload sent and not answered is DELIVERY_NO_ANSWER while it waits, before every retry is spent', async () => {
    const w = await world({ assignments: (ca) => [toAll('root', trusted('windows', ca.root.der))] });
    const s = await w.enrol({ platform: 'windows', kind: 'entra-joined', answer: 'silent' });
    await w.run(60_000);
    expect(s.payloads()).toHaveLength(1);
    const o = outcomeOf(w.service, s.id, 'root');
    expect(o).toMatchObject({ status: 'pending', code: 'DELIVERY_NO_ANSWER' });
    expect(o?.message).toMatch(/^Sent \(attempt 1 of \d+\)/);
  });
});

describe('retries', () => {
  it('re-sends with exponential backoff while the device is silent, then leaves it pending', async () => {
    const w = await world({ assignments: (ca) => [toAll('root', trusted('macos', ca.root.der))] });
    const s = await w.enrol({ platform: 'macos', kind: 'device', answer: 'silent' });
    const sends = () => s.payloads().length;
    expect(sends()).toBe(1);
    const start = w.clock.now().getTime();
    const times: number[] = [];
    let prev = sends();
    for (let t = 0; t <= 120; t++) {
      await w.run(60_000);
      if (sends() !== prev) {
        times.push((w.clock.now().getTime() - start) / 60_000);
        prev = sends();
      }
    }
    expect(times).toEqual([5, 15, 35]); // waits of 5, 10, 20 minutes after each send
    expect(sends()).toBe(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(outcomeOf(w.service, s.id, 'root')).toMatchObject({
      status: 'pending',
      code: 'DELIVERY_NO_ANSWER',
    });
    expect(
      w.service
        .events()
        .filter((e) => e.device === s.id)
        .map((e) => e.type),
    ).toEqual(['enrolled', 'delivered', 'retry', 'retry', 'retry', 'no-answer']);
    // a check-in starts a new cycle; this time the device answers
    s.answer = 'install';
    await s.checkIn();
    await w.settle();
    expect(sends()).toBe(DEFAULT_RETRY_POLICY.maxAttempts + 1);
    expect(outcomeOf(w.service, s.id, 'root')).toMatchObject({ status: 'installed', code: 'OK' });
  });

  it.each([
    [1, 5],
    [2, 10],
    [3, 20],
    [4, 40],
    [5, 60],
    [9, 60],
  ])('answerTimeout(attempt %i) = %i min (capped at 1 h)', (attempt, minutes) => {
    expect(answerTimeout(DEFAULT_RETRY_POLICY, attempt)).toBe(minutes * 60_000);
  });
});
