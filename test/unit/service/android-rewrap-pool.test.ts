/**
 * The Android Enterprise PKCS re-wrap on the issuance pool (handlers/delivery.ts `compileAndSend`, issue 11
 * point 2): with `pkcs12` given, the service re-wraps the connector's PFX on the pool — and only for Android
 * Enterprise PKCS profiles — and the device gets the very bytes the compile makes in this thread with the
 * same salts (the send's `pkcs12/<device>/<profile>/<n>` stream of the service's random).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rewrapPkcs12 } from '../../../pki/pkcs12.ts';
import {
  Pkcs12Pool,
  type Pkcs12Builder,
  type Pkcs12Job,
  type Pkcs12RewrapJob,
} from '../../../pki/pkcs12-pool.ts';
import { decodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import type { IssuedIdentity } from '../../../profiles/compile/index.ts';
import { createRandom } from '../../../protocol/runtime/random.ts';
import { IssuedInMemory } from '../../../simulator/service/mdm/stores/issued-identities.ts';
import { outcomeOf, pkcs, toAll, world } from './harness.ts';

const pool = new Pkcs12Pool({ size: 1 });
afterAll(() => pool.close());

/** The pool, counting the builds and the re-wraps it is given. */
class CountingBuilder implements Pkcs12Builder {
  builds = 0;
  rewraps = 0;
  build(job: Pkcs12Job): Promise<Buffer> {
    this.builds += 1;
    return pool.build(job);
  }
  rewrap(job: Pkcs12RewrapJob): Promise<Buffer> {
    this.rewraps += 1;
    return pool.rewrap(job);
  }
}

/** The service's shelf of issued identities, remembering the last one kept (the connector's PFX). */
class RecordingShelf extends IssuedInMemory {
  last: IssuedIdentity | undefined;
  override keep(key: string, identity: IssuedIdentity): void {
    this.last = identity;
    super.keep(key, identity);
  }
}

describe('Android PKCS re-wrap on the issuance pool', () => {
  it.each([
    ['android-work-profile', 'work-profile-personal'],
    ['android-device-owner', 'fully-managed'],
  ] as const)(
    '%s: built on the pool, the same bytes as the compile makes in this thread, installed',
    async (family, kind) => {
      const builder = new CountingBuilder();
      const issued = new RecordingShelf();
      const w = await world({
        assignments: [toAll('wifi', pkcs(family))],
        service: { pkcs12: builder, issued },
      });
      const d = await w.enrol({
        platform: 'android',
        kind,
        overrides: { osVersion: '11', enrolledOsVersion: '11' },
      });
      await w.run(60_000); // a connector poll
      expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({ status: 'installed', code: 'OK' });
      // one re-wrap, opened and built on the pool: no separate build goes through the builder
      expect([builder.rewraps, builder.builds]).toEqual([1, 0]);
      const payload = d.payloads().find((p) => p.topic.includes('/wifi/'));
      if (!payload) throw new Error('no wifi payload');
      const r = decodeAndroidPolicy(payload.payload);
      if (!r.ok) throw new Error('policy does not decode');
      const sent = Buffer.from(
        r.policy.openNetworkConfiguration!.Certificates!.find((c) => c.Type === 'Client')!
          .PKCS12 as Uint8Array,
      );
      const identity = issued.last;
      if (!identity) throw new Error('no issued identity kept');
      const salts = createRandom('service-test').fork(`pkcs12/${d.id}/wifi/1`);
      const inThread = rewrapPkcs12(identity.pfx, identity.password, '', 'modern', {
        random: (n) => Buffer.from(salts.bytes(n)),
      });
      expect(sent.equals(inThread)).toBe(true);
    },
  );

  it('an Apple or Windows PKCS profile does not use the pool (their compile opens no PFX to re-wrap)', async () => {
    const builder = new CountingBuilder();
    const w = await world({
      assignments: [toAll('mac', pkcs('macos')), toAll('win', pkcs('windows'))],
      service: { pkcs12: builder },
    });
    await w.enrol({ platform: 'macos', kind: 'device' });
    await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(60_000);
    expect(w.service.outcomes().filter((o) => o.status === 'installed')).toHaveLength(2);
    expect([builder.rewraps, builder.builds]).toEqual([0, 0]);
  });
});
