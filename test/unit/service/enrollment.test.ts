import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../pki/index.ts';
import { MDM_DEVICE_TEMPLATE } from '../../../simulator/service/mdm/mdm-device-template.ts';
import type { EnrollmentRestrictions } from '../../../simulator/service/mdm/enrollment-restrictions.ts';
import { checkEnrollment, compareVersions } from '../../../simulator/service/mdm/enrollment-restrictions.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FakeDevice, outcomeOf, pkcs, TENANT, toAll, world } from './harness.ts';

describe('enrollment', () => {
  it('issues a management certificate CN=<device id> from CertfleetMdmDevice and records the device', async () => {
    const w = await world({ assignments: [] });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    expect(d.refusal).toBeUndefined();
    expect(d.certificate?.subjectText).toBe(`CN=${d.id}`);
    expect(d.certificate?.publicKey.equals(d.key.publicKey)).toBe(true);
    expect(d.certificate?.issuerText).toBe(w.ca.issuing.subjectText);
    expect(w.ca.templates().find((t) => t.template.name === MDM_DEVICE_TEMPLATE)?.published).toBe(true);
    const record = w.ca.issuedRecords().find((r) => r.subject === `CN=${d.id}`);
    expect(record?.template).toBe(MDM_DEVICE_TEMPLATE);
    const dev = w.service.devices().find((x) => x.id === d.id);
    expect(dev?.state).toBe('enrolled');
    expect(dev?.facts?.platform).toBe('windows');
    // its inventory was read for the facts and is not kept (run.db's inventories table keeps it)
    expect(dev && 'inventory' in dev).toBe(false);
    expect(w.service.events().map((e) => e.type)).toContain('enrolled');
    expect(w.service.counters().managementCertificates).toBe(1);
    expect(w.bus.errors).toEqual([]);
  });

  it.each([
    [
      'platform blocked',
      { blockedPlatforms: ['android'] },
      { platform: 'android', kind: 'fully-managed' },
      'ENROLL_PLATFORM_BLOCKED',
    ],
    [
      'enrollment kind blocked',
      { blockedKinds: ['device-admin'] },
      { platform: 'android', kind: 'device-admin' },
      'ENROLL_PLATFORM_BLOCKED',
    ],
    [
      'OS version too old',
      { minOsVersion: { ios: '99.0' } },
      { platform: 'ios', kind: 'device' },
      'ENROLL_OS_TOO_OLD',
    ],
  ] as const)('refuses when the %s (%j)', async (_label, restrictions, device, code) => {
    const w = await world({ assignments: [], restrictions: restrictions as EnrollmentRestrictions });
    const d = await w.enrol(device);
    expect(d.certificate).toBeUndefined();
    expect(d.refusal?.code).toBe(code);
    const refused = w.service.devices().find((x) => x.id === d.id);
    expect(refused?.state).toBe('refused');
    // a refused device's record keeps the inventory it reported (run.db records only enrolled ones')
    expect(refused?.inventory).toMatchObject({ shape: expect.any(String) as unknown });
    expect(w.ca.issuedRecords()).toHaveLength(0);
  });

  it('allows what the restrictions do not name', async () => {
    const w = await world({
      assignments: [],
      restrictions: { blockedPlatforms: ['android'], minOsVersion: { windows: '10.0.19041' } },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'hybrid-joined' });
    expect(d.refusal).toBeUndefined();
    expect(d.certificate).toBeDefined();
  });

  it('refuses the device past the per-user device limit (ENROLL_DEVICE_LIMIT)', async () => {
    const same = 'ada@contoso.com';
    const w = await world({ assignments: [], restrictions: { deviceLimit: 2 } });
    const results = [];
    for (let i = 0; i < 3; i++) {
      const d = await enrolAs(w, same);
      results.push(d.refusal?.code);
    }
    expect(results).toEqual([undefined, undefined, 'ENROLL_DEVICE_LIMIT']);
    // another user is not affected
    expect((await enrolAs(w, 'bob@contoso.com')).refusal).toBeUndefined();
  });

  it.each([
    { key: 'p256' as const, refused: undefined },
    { key: 'rsa1024' as const, refused: 'CA_KEY_LENGTH' },
  ])(
    'management key $key: the MDM template takes ECDSA P-256 and RSA ≥ 2048 (refused: $refused)',
    async ({ key, refused }) => {
      const w = await world({ assignments: [] });
      const { generateDevice } = await import('../../../agent/device/generate.ts');
      const { generateKeyPairSync } = await import('node:crypto');
      const device = generateDevice({ seed: 'ec', index: 0, platform: 'macos', kind: 'device' });
      const pair = key === 'p256' ? poolKey('p256') : generateKeyPairSync('rsa', { modulusLength: 1024 });
      const fake = new FakeDevice(device, w.bus, pair);
      await fake.enrol();
      await w.settle();
      expect(fake.refusal?.code).toBe(refused);
      if (refused) expect(fake.refusal?.message).toContain('0x80094811');
    },
  );

  it('issue 10: a repeated enrolment (same device, same key) gets the same certificate, nothing issued or recorded again', async () => {
    const w = await world({ assignments: [toAll('wifi', pkcs('windows'))] });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(5 * 60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    const first = d.certificate!;
    const issued = w.ca.issuedRecords().map((r) => r.serial);
    expect(issued).toHaveLength(2); // the management certificate and the PKCS one
    const payloads = d.payloads().length;
    const answers = () => d.received.filter((r) => r.topic.endsWith('/in/enrolled')).length;
    expect(answers()).toBe(1);

    await d.repeatEnrol(); // its answer was lost, or the agent retried
    await d.repeatEnrol();
    await w.run(5 * 60_000);
    expect(answers()).toBe(3);
    expect(d.certificate?.serialNumber).toBe(first.serialNumber);
    expect(d.certificate?.der.equals(first.der)).toBe(true);
    expect(w.ca.issuedRecords().map((r) => r.serial)).toEqual(issued);
    expect(w.ca.issuedRecords().filter((r) => r.revoked !== undefined)).toEqual([]);
    expect(w.service.counters().managementCertificates).toBe(1);
    expect(w.service.devices().filter((x) => x.id === d.id)).toHaveLength(1);
    expect(d.payloads()).toHaveLength(payloads);
    const types = w.service.events().map((e) => e.type);
    expect(types.filter((t) => t === 'enroll-repeated')).toHaveLength(2);
    expect(types).not.toContain('re-enrolled');
    expect(types.filter((t) => t === 'enrolled')).toHaveLength(1);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 0 });

    // a new key is an agent that lost its state: that one re-enrols (new certificate, the old one superseded)
    const lost = new FakeDevice(d.device, w.bus, poolKey('rsa2048', 3));
    await lost.enrol();
    await w.settle();
    expect(lost.certificate?.serialNumber).not.toBe(first.serialNumber);
    expect(w.service.counters().managementCertificates).toBe(2);
    expect(w.service.events().map((e) => e.type)).toContain('re-enrolled');
  });

  it('answers on device/{id}/in/enrolled only', async () => {
    const w = await world({ assignments: [] });
    const d = await w.enrol({ platform: 'android', kind: 'fully-managed' });
    const answers = w.bus.published.filter((p) => p.from === 'mdm-service');
    expect(answers.map((p) => p.topic)).toEqual([`certfleet/${TENANT}/device/${d.id}/in/enrolled`]);
    const body = JSON.parse(answers[0]!.payload.toString('utf8')) as { chain: string[] };
    expect(body.chain.map((pem) => parseCertificate(pem).subjectText)).toEqual([
      w.ca.issuing.subjectText,
      w.ca.root.subjectText,
    ]);
  });
});

/** Enrols a new iOS device whose directory entry counts against `user`. */
async function enrolAs(w: Awaited<ReturnType<typeof world>>, user: string): Promise<FakeDevice> {
  const { generateDevice } = await import('../../../agent/device/generate.ts');
  const { directoryEntryOf } = await import('../../../simulator/fleet/directory-entry.ts');
  const n = w.devices.length + w.directory.size;
  const device = generateDevice({ seed: 'limit', index: n, platform: 'ios', kind: 'device' });
  w.directory.set(device.id, { ...directoryEntryOf(device), limitKey: user });
  const fake = new FakeDevice(device, w.bus, poolKey('rsa2048', 9));
  await fake.enrol();
  await w.settle();
  return fake;
}

describe('checkEnrollment', () => {
  const base = {
    platform: 'windows',
    kind: 'entra-joined',
    osVersion: '10.0.22631.4037',
    ownership: 'personal',
    enrolledByUser: 0,
    hasUser: true,
  } as const;
  it.each([
    [{}, {}, undefined],
    [{ blockPersonal: ['windows'] }, {}, 'ENROLL_PLATFORM_BLOCKED'],
    [{ blockPersonal: ['windows'] }, { ownership: 'corporate' }, undefined],
    [{ minOsVersion: { windows: '10.0.22631.4038' } }, {}, 'ENROLL_OS_TOO_OLD'],
    [{ minOsVersion: { windows: '10.0.22631' } }, {}, undefined],
    [{ deviceLimit: 3 }, { enrolledByUser: 3 }, 'ENROLL_DEVICE_LIMIT'],
    [{ deviceLimit: 3 }, { enrolledByUser: 2 }, undefined],
    [{ deviceLimit: 0 }, { hasUser: false }, undefined],
    [{ blockedPlatforms: ['windows'], minOsVersion: { windows: '11' } }, {}, 'ENROLL_PLATFORM_BLOCKED'],
  ] as const)('%j on %j → %s', (restrictions, over, code) => {
    const r = checkEnrollment(restrictions as EnrollmentRestrictions, { ...base, ...over });
    expect(r?.code).toBe(code);
  });

  it.each([
    ['9', '12', -1],
    ['12', '12.0', 0],
    ['10.0.19045', '10.0.22631', -1],
    ['17.5.1', '17.5', 1],
  ] as const)('compareVersions(%s, %s) = %d', (a, b, r) => {
    expect(compareVersions(a, b)).toBe(r);
  });
});
