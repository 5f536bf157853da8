import { describe, expect, it } from 'vitest';
import { parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import { parseCrl } from '../../../pki/crl.ts';
import type { CertificateProfile } from '../../../profiles/model/profile.ts';
import type { DeviceProfileOutcome, RunEvent } from '../../../simulator/run-model.ts';
import { outcomeOf, pkcs, TENANT, toAll, trusted, world } from './harness.ts';

const pkcsRecords = (w: Awaited<ReturnType<typeof world>>) =>
  w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser');

describe('renewal', () => {
  it('a renewal request gets a new certificate; the old one is revoked (superseded, on the CRL); renewals counted', async () => {
    const events: RunEvent[] = [];
    const changes: DeviceProfileOutcome[] = [];
    const w = await world({
      assignments: [toAll('wifi', pkcs('windows'))],
      service: { onEvent: (e) => events.push(e), onOutcome: (o) => changes.push(o) },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'hybrid-joined' });
    await w.run(60_000);
    const [first] = pkcsRecords(w);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 0 });

    await w.run(200 * 86_400_000); // months later, on the virtual clock
    await d.renew('wifi', first!.thumbprint);
    await w.settle();
    await w.run(20 * 60_000); // idle connectors poll every 15 min at most

    const records = pkcsRecords(w);
    expect(records).toHaveLength(2);
    expect(records[1]!.serial).not.toBe(first!.serial);
    expect(d.payloads()).toHaveLength(2);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
    const crl = parseCrl(w.service.latestCrl()!);
    expect(crl.verifySignature(w.ca.issuing.publicKey)).toBe(true);
    expect(crl.find(first!.serial)?.reason).toBe('superseded');
    expect(crl.find(records[1]!.serial)).toBeUndefined();
    expect(w.service.counters()).toMatchObject({ renewals: 1, certificatesIssued: 2 });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['renewal-requested', 'renewed', 'revoked']),
    );
    expect(changes.at(-1)).toMatchObject({ device: d.id, profile: 'wifi', renewals: 1 });
    // the same request again, about the replaced certificate, changes nothing
    await d.renew('wifi', first!.thumbprint);
    await w.run(60_000);
    expect(pkcsRecords(w)).toHaveLength(2);
  });

  it('a renewal request for a trusted-certificate profile is ignored', async () => {
    const w = await world({ assignments: (ca) => [toAll('root', trusted('ios', ca.root.der))] });
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await d.renew('root', 'AB');
    await w.run(60_000);
    expect(w.service.pendingRequests).toBe(0);
    expect(d.payloads()).toHaveLength(1);
  });
});

describe('retire and remove', () => {
  it('retiring a device revokes its PKCS and management certificates, publishes a CRL and removes its profiles', async () => {
    const w = await world({
      assignments: (ca) => [
        toAll('root', trusted('android-device-owner', ca.root.der)),
        toAll('wifi', pkcs('android-device-owner')),
      ],
    });
    const d = await w.enrol({ platform: 'android', kind: 'dedicated' });
    // a dedicated device has no user: the user PKCS profile is not applicable there (issue 12 point 4; it
    // used to fail VARIABLE_MISSING); use a second, user-ful device for PKCS
    const e = await w.enrol({ platform: 'android', kind: 'fully-managed' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({
      status: 'not-applicable',
      code: 'NOT_APPLICABLE',
    });
    const serial = pkcsRecords(w)[0]!.serial;
    await w.service.retireDevice(e.id);
    await w.settle();
    const crl = parseCrl(w.service.latestCrl()!);
    expect(crl.find(serial)?.reason).toBe('cessationOfOperation');
    expect(crl.find(e.certificate!.serialNumber)?.reason).toBe('cessationOfOperation');
    const removals = e.received
      .map((r) => parseDeviceTopic(TENANT, r.topic))
      .filter((t) => t?.kind === 'remove');
    expect(removals.map((t) => t?.kind === 'remove' && t.profileId).sort()).toEqual(['root', 'wifi']);
    expect(w.service.devices().find((x) => x.id === e.id)?.state).toBe('retired');
    // the other device is untouched
    expect(crl.entries).toHaveLength(2);
  });

  it('regression: a retired device\u2019s rows leave the outcomes (they stayed installed), as a removed assignment\u2019s do', async () => {
    const w = await world({
      assignments: (ca) => [toAll('root', trusted('ios', ca.root.der)), toAll('wifi', pkcs('ios'))],
    });
    const a = await w.enrol({ platform: 'ios', kind: 'device' });
    const b = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    expect(outcomeOf(w.service, a.id, 'wifi')).toMatchObject({ status: 'installed' });
    await w.service.retireDevice(a.id);
    await w.settle();
    const rows = (): string[] =>
      w.service
        .outcomes()
        .map(
          (o) => `${o.device === a.id ? 'a' : o.device === b.id ? 'b' : o.device}/${o.profile}/${o.status}`,
        )
        .sort();
    // the retired device has no row left: none says installed while its certificate is revoked
    expect(rows()).toEqual(['b/root/installed', 'b/wifi/installed']);
    // a late answer from it changes nothing
    await a.reportInstalled('wifi');
    await w.settle();
    expect(rows()).toEqual(['b/root/installed', 'b/wifi/installed']);
    // its deliveries are withdrawn once: removing the assignment later neither sends it a second removal
    // nor records a second `removed` event for it
    await w.service.removeAssignment('wifi');
    await w.settle();
    expect(a.received.filter((r) => r.topic.endsWith('/in/remove/wifi'))).toHaveLength(1);
    expect(
      w.service.events().filter((e) => e.type === 'removed' && e.device === a.id && e.profile === 'wifi'),
    ).toHaveLength(1);
    expect(rows()).toEqual(['b/root/installed']);
  });

  it('removing an assignment revokes its certificates on every device and drops it from the outcomes', async () => {
    const w = await world({
      assignments: (ca) => [toAll('root', trusted('ios', ca.root.der)), toAll('wifi', pkcs('ios'))],
    });
    const a = await w.enrol({ platform: 'ios', kind: 'device' });
    const b = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(60_000);
    const serials = pkcsRecords(w).map((r) => r.serial);
    expect(serials).toHaveLength(2);
    await w.service.removeAssignment('wifi');
    await w.settle();
    const crl = parseCrl(w.service.latestCrl()!);
    expect(serials.map((s) => crl.find(s)?.reason)).toEqual(['cessationOfOperation', 'cessationOfOperation']);
    for (const d of [a, b]) {
      expect(d.received.some((r) => r.topic.endsWith('/in/remove/wifi'))).toBe(true);
      expect(d.received.some((r) => r.topic.endsWith('/in/remove/root'))).toBe(false);
    }
    expect(
      w.service
        .outcomes()
        .map((o) => o.profile)
        .sort(),
    ).toEqual(['root', 'root']);
    // a device enrolling now does not get the removed profile
    const c = await w.enrol({ platform: 'ios', kind: 'device' });
    expect(c.payloads().map((p) => p.topic.split('/')[6])).toEqual(['root']);
  });
});

describe('assignment groups', () => {
  it.each([
    ['include all', [{}], [], { platform: 'ios', kind: 'device' }, true],
    ['include by platform', [{ platforms: ['ios'] }], [], { platform: 'ios', kind: 'device' }, true],
    ['include another platform', [{ platforms: ['macos'] }], [], { platform: 'ios', kind: 'device' }, false],
    ['include by kind', [{ kinds: ['user'] }], [], { platform: 'ios', kind: 'device' }, false],
    [
      'include by tag',
      [{ tags: ['finance'] }],
      [],
      { platform: 'ios', kind: 'device', tags: ['finance', 'eu'] },
      true,
    ],
    [
      'regression issue 5: a tag list is any of (one listed tag is enough)',
      [{ tags: ['finance', 'us'] }],
      [],
      { platform: 'ios', kind: 'device', tags: ['finance'] },
      true,
    ],
    [
      'a tag list: none of the tags',
      [{ tags: ['finance', 'us'] }],
      [],
      { platform: 'ios', kind: 'device', tags: ['eu'] },
      false,
    ],
    [
      'exclude wins over include',
      [{}],
      [{ tags: ['kiosk'] }],
      { platform: 'ios', kind: 'device', tags: ['kiosk'] },
      false,
    ],
    [
      'exclude not matching',
      [{}],
      [{ tags: ['kiosk'] }],
      { platform: 'ios', kind: 'device', tags: [] },
      true,
    ],
    [
      'exclude by ownership',
      [{}],
      [{ ownership: 'personal' }],
      { platform: 'ios', kind: 'device', ownership: 'personal' },
      false,
    ],
    [
      'include by ownership',
      [{ ownership: 'corporate' }],
      [],
      { platform: 'ios', kind: 'device', ownership: 'corporate' },
      true,
    ],
    [
      'one of two includes',
      [{ platforms: ['windows'] }, { kinds: ['device'] }],
      [],
      { platform: 'ios', kind: 'device' },
      true,
    ],
  ] as const)('%s', async (_label, include, exclude, target, applies) => {
    const { assignmentApplies } = await import('../../../simulator/service/mdm/assignment.ts');
    const a = {
      name: 'root',
      profile: { kind: 'trusted-certificate', family: 'ios' } as CertificateProfile,
      include: include as never,
      exclude: exclude as never,
    };
    expect(
      assignmentApplies(a, {
        platform: target.platform,
        kind: target.kind,
        ownership: 'ownership' in target ? target.ownership : 'corporate',
        tags: 'tags' in target ? target.tags : [],
      }),
    ).toBe(applies);
  });
});

describe('assignment in the service', () => {
  it('tags from the directory select the devices; exclusion wins', async () => {
    const w = await world({
      assignments: (ca) => [
        {
          name: 'finance',
          profile: trusted('windows', ca.root.der),
          include: [{ tags: ['finance'] }],
          exclude: [{ tags: ['kiosk'] }],
        },
        { name: 'all', profile: trusted('windows', ca.root.der), include: [{}] },
      ],
    });
    const fin = await w.enrol({ platform: 'windows', kind: 'entra-joined', tags: ['finance'] });
    const kiosk = await w.enrol({ platform: 'windows', kind: 'entra-joined', tags: ['finance', 'kiosk'] });
    const other = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    const profiles = (id: string) =>
      w.service
        .outcomes()
        .filter((o) => o.device === id)
        .map((o) => o.profile)
        .sort();
    expect(profiles(fin.id)).toEqual(['all', 'finance']);
    expect(profiles(kiosk.id)).toEqual(['all']);
    expect(profiles(other.id)).toEqual(['all']);
  });
});
