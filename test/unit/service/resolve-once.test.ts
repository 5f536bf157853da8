/**
 * Issue 9 point 5: "a request is resolved once and carried". resolveRequest is spied on for every importer
 * (the service, compileProfile, the connector's issue path), and each PKCS delivery must resolve exactly once
 * — through issuance, compilation, re-sends and a renewal. Only a re-enrolment, which brings the device's facts
 * anew, resolves it once more.
 */
import { describe, expect, it, vi } from 'vitest';
import type * as ResolveModule from '../../../profiles/compile/resolve-request.ts';
import type { PkcsCertificateProfile } from '../../../profiles/model/profile.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import type { BatchMessage } from '../../../simulator/service/connector/protocol.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FakeDevice, outcomeOf, pkcs, TENANT, toAll, trusted, world } from './harness.ts';

const calls = vi.hoisted(() => [] as { profile: unknown; facts: unknown }[]);

vi.mock('../../../profiles/compile/resolve-request.ts', async (importOriginal) => {
  const real = await importOriginal<typeof ResolveModule>();
  return {
    ...real,
    resolveRequest: (profile: PkcsCertificateProfile, facts: DeviceFacts) => {
      calls.push({ profile, facts });
      return real.resolveRequest(profile, facts);
    },
  };
});

/** How many times each (profile, device facts) pair was resolved. */
function callsPerDelivery(): number[] {
  const counts = new Map<unknown, Map<unknown, number>>();
  for (const c of calls) {
    const perProfile = counts.get(c.facts) ?? new Map<unknown, number>();
    perProfile.set(c.profile, (perProfile.get(c.profile) ?? 0) + 1);
    counts.set(c.facts, perProfile);
  }
  return [...counts.values()].flatMap((m) => [...m.values()]);
}

describe('issue 9: a PKCS request is resolved once per delivery and carried to the connector and the compiler', () => {
  it('each device × PKCS profile calls resolveRequest exactly once, renewal included', async () => {
    calls.length = 0;
    const w = await world({
      assignments: (ca) => [
        toAll('root', trusted('windows', ca.root.der)),
        toAll('wifi', pkcs('windows')),
        toAll('vpn', pkcs('windows', { displayName: 'VPN (windows)' })),
      ],
    });
    const devices = [];
    for (let i = 0; i < 3; i++) devices.push(await w.enrol({ platform: 'windows', kind: 'hybrid-joined' }));
    await w.run(5 * 60_000);
    for (const d of devices) {
      expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
      expect(outcomeOf(w.service, d.id, 'vpn')?.status).toBe('installed');
    }
    expect(calls).toHaveLength(6); // 3 devices × 2 PKCS profiles; the trusted profile resolves nothing
    expect(callsPerDelivery()).toEqual([1, 1, 1, 1, 1, 1]);

    // A renewal issues and compiles again from the same resolved request.
    const renewing = devices[0]!;
    await renewing.renew('wifi', ''); // no thumbprint: whatever certificate the device holds
    await w.settle();
    await w.run(20 * 60_000);
    expect(outcomeOf(w.service, renewing.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
    expect(calls).toHaveLength(6);
  });

  it('a missing variable fails at the delivery start, resolved once, and never reaches a connector', async () => {
    calls.length = 0;
    const w = await world({
      assignments: [
        toAll(
          'wifi',
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
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'failed', code: 'VARIABLE_MISSING' });
    expect(calls).toHaveLength(1);
    expect(w.service.pendingRequests).toBe(0);
    expect(w.bus.on(`certfleet/${TENANT}/service/to-connector/+/batch`)).toSatisfy(
      (batches: { payload: Buffer }[]) =>
        batches.every((b) => (JSON.parse(b.payload.toString('utf8')) as BatchMessage).leases.length === 0),
    );
  });

  it('the work item a connector receives carries the resolved request, not the profile and the device facts', async () => {
    calls.length = 0;
    const w = await world({ assignments: [toAll('wifi', pkcs('macos'))] });
    const d = await w.enrol({ platform: 'macos', kind: 'user' });
    await w.run(5 * 60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    const leases = w.bus
      .on(`certfleet/${TENANT}/service/to-connector/+/batch`)
      .flatMap((b) => (JSON.parse(b.payload.toString('utf8')) as BatchMessage).leases);
    expect(leases).toHaveLength(1);
    const work = leases[0]!.work as unknown as Record<string, unknown>;
    expect(Object.keys(work).sort()).toEqual(['deviceId', 'profile', 'reason', 'request']);
    expect(work).toMatchObject({
      deviceId: d.id,
      profile: 'wifi',
      reason: 'initial',
      request: { subject: `CN=${d.device.attributes.userName},O=Contoso`, template: 'CertfleetUser' },
    });
    expect(calls).toHaveLength(1);
  });

  it('a re-enrolled device resolves its request once more, against its new facts, and is sent the payload again', async () => {
    calls.length = 0;
    const w = await world({ assignments: [toAll('wifi', pkcs('windows'))] });
    const first = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(5 * 60_000);
    expect(outcomeOf(w.service, first.id, 'wifi')?.status).toBe('installed');
    expect(calls).toHaveLength(1);
    first.answer = 'silent';
    const again = new FakeDevice(first.device, w.bus, poolKey('rsa2048', 10)); // a new key
    await again.enrol(); // an agent that lost its state
    await w.settle();
    expect(w.service.events().some((e) => e.type === 're-enrolled' && e.device === first.id)).toBe(true);
    expect(again.payloads()).toHaveLength(1);
    expect(outcomeOf(w.service, first.id, 'wifi')?.status).toBe('installed');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.facts).not.toBe(calls[0]!.facts);
    expect(calls[1]!.facts).toEqual(calls[0]!.facts);
  });
});
