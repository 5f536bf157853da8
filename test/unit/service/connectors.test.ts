import { describe, expect, it } from 'vitest';
import type { KeyPair } from '../../../pki/index.ts';
import type { KeySource } from '../../../pki/key-factory.ts';
import { FixedKeySource } from '../../../pki/key-factory.ts';
import { Limiter } from '../../../simulator/service/connector/limiter.ts';
import type { CertificateWork } from '../../../simulator/service/connector/protocol.ts';
import { CertificateQueue } from '../../../simulator/service/mdm/certificate-queue.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { outcomeOf, pkcs, toAll, world } from './harness.ts';

const pkcsRecords = (w: Awaited<ReturnType<typeof world>>) =>
  w.ca.issuedRecords().filter((r) => r.template === 'CertfleetUser');

/** A key source whose keys come only when the test releases them. */
class GatedKeys implements KeySource {
  readonly #waiting: ((k: KeyPair) => void)[] = [];
  take(): Promise<KeyPair> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  get waiting(): number {
    return this.#waiting.length;
  }
  releaseAll(): void {
    for (const r of this.#waiting.splice(0)) r(poolKey('rsa2048', 2));
  }
}

describe('connectors', () => {
  it('two connectors share the work; every request is issued exactly once', async () => {
    const w = await world({ assignments: [toAll('wifi', pkcs('windows'))], connectors: 2, batchSize: 2 });
    const devices = [];
    for (let i = 0; i < 8; i++) devices.push(await w.enrol({ platform: 'windows', kind: 'hybrid-joined' }));
    expect(w.service.pendingRequests).toBe(8);
    await w.run(5 * 60_000);
    expect(w.service.pendingRequests).toBe(0);
    const load = w.service.counters().connectorLoad;
    expect(Object.keys(load).sort()).toEqual(['connector-1', 'connector-2']);
    expect(load['connector-1']! + load['connector-2']!).toBe(8);
    expect(load['connector-1']).toBeGreaterThan(0);
    expect(load['connector-2']).toBeGreaterThan(0);
    expect(w.connectors.map((c) => c.served)).toEqual([load['connector-1'], load['connector-2']]);
    expect(pkcsRecords(w)).toHaveLength(8);
    expect(new Set(pkcsRecords(w).map((r) => r.subject)).size).toBe(
      new Set(devices.map((d) => d.device.attributes.userName)).size,
    );
    for (const d of devices) expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
  });

  it('a connector stopped mid-request leaves it to another after the lease: issued once', async () => {
    const gated = new GatedKeys();
    const w = await world({
      assignments: [toAll('wifi', pkcs('ios'))],
      connectors: 2,
      connector: { maxIdlePollIntervalMs: 30_000 }, // strict 30 s polls
      connectorKeys: (i) => (i === 0 ? gated : new FixedKeySource([poolKey('rsa2048', 3)])),
    });
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    w.unwaited.add(w.connectors[0]!);
    await w.run(0); // first polls: connector-1 polls first and claims the request
    expect(gated.waiting).toBe(1);
    const [c1, c2] = w.connectors;
    await c1!.stop();
    await w.run(4 * 60_000);
    expect(pkcsRecords(w)).toHaveLength(0); // the lease (5 min) still holds
    await w.run(2 * 60_000);
    expect(pkcsRecords(w)).toHaveLength(1);
    expect(w.service.counters().connectorLoad).toEqual({ 'connector-2': 1 });
    expect(c2!.served).toBe(1);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    expect(w.service.events().map((e) => e.type)).toContain('lease-expired');
    // the stopped connector's key finally arrives: it issues nothing
    gated.releaseAll();
    await new Promise((r) => setImmediate(r));
    await w.settle();
    expect(pkcsRecords(w)).toHaveLength(1);
    expect(c1!.served).toBe(0);
    expect(c1!.abandoned).toBe(1);
  });

  it('a slow connector that lost its lease does not issue', async () => {
    const gated = new GatedKeys();
    const w = await world({
      assignments: [toAll('wifi', pkcs('macos'))],
      connectors: 2,
      connector: { maxIdlePollIntervalMs: 30_000 },
      batchSize: (i) => (i === 0 ? 1 : 5), // a busy connector-1 does not poll again
      connectorKeys: (i) => (i === 0 ? gated : new FixedKeySource([poolKey('rsa2048', 3)])),
    });
    const d = await w.enrol({ platform: 'macos', kind: 'device' });
    w.unwaited.add(w.connectors[0]!);
    await w.run(0);
    expect(gated.waiting).toBe(1);
    await w.run(6 * 60_000); // connector-1 still waits for its key; the lease runs out; connector-2 issues
    expect(pkcsRecords(w)).toHaveLength(1);
    gated.releaseAll();
    await w.connectors[0]!.idle();
    await w.settle();
    expect(pkcsRecords(w)).toHaveLength(1);
    expect(w.connectors[0]!.abandoned).toBe(1);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
  });

  /** The world's CA with CertfleetUser's minimum key size at 4096 (its Cryptography tab). */
  const minimum4096 = (w: Awaited<ReturnType<typeof world>>): void =>
    w.ca.configureTemplates({
      templates: w.ca
        .templates()
        .map((t) =>
          t.template.name === 'CertfleetUser' ? { ...t.template, minimumKeySize: 4096 } : t.template,
        ),
    });

  it('a template whose minimum key size is 4096: the connector makes a 4096-bit key (no profile key size), the CA issues', async () => {
    // An Intune PKCS profile has no key size: the template's Cryptography tab sets it (PFXDOC), and the
    // connector's request follows it. Before, the connector made 2048 bits whatever the template said and the
    // CA denied every request with CA_KEY_LENGTH, which no tenant can get.
    let taken = 0;
    const keys4096: KeySource = {
      take: () => {
        taken++;
        return Promise.resolve(poolKey('rsa4096'));
      },
    };
    const w = await world({
      assignments: [toAll('wifi', pkcs('android-device-owner'))],
      connector: { largerKeys: { 4096: keys4096 } },
    });
    minimum4096(w);
    const d = await w.enrol({ platform: 'android', kind: 'fully-managed' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    // one 4096-bit key made, and the CA (whose policy module denies a key below the template's minimum)
    // issued on it
    expect(taken).toBe(1);
    expect(pkcsRecords(w)).toHaveLength(1);
  });

  it('a CA denial becomes a failed outcome with the CA code and HRESULT (the run asks for 2048 bits, the template wants 4096)', async () => {
    const w = await world({
      assignments: [{ ...toAll('wifi', pkcs('android-device-owner')), keySize: 2048 }],
    });
    minimum4096(w);
    const d = await w.enrol({ platform: 'android', kind: 'fully-managed' });
    await w.run(60_000);
    const o = outcomeOf(w.service, d.id, 'wifi');
    expect(o).toMatchObject({ status: 'failed', code: 'CA_KEY_LENGTH' });
    expect(o?.message).toContain('0x80094811');
    expect((o?.native as { hresult?: string }).hresult).toBe('0x80094811');
    expect(d.payloads()).toEqual([]);
    expect(pkcsRecords(w)).toHaveLength(0);
  });

  it('a template without "Allow private key to be exported": the CA issues, the connector cannot export the key (CONNECTOR_KEY_NOT_EXPORTABLE, NTE_BAD_KEY_STATE); nothing reaches the device', async () => {
    // before, the CA denied it with CERTSRV_E_KEY_ARCHIVAL_NOT_CONFIGURED, a key-archival error that does not apply
    const w = await world({ assignments: [toAll('wifi', pkcs('android-device-owner'))] });
    w.ca.configureTemplates({
      templates: w.ca
        .templates()
        .map((t) =>
          t.template.name === 'CertfleetUser' ? { ...t.template, allowPrivateKeyExport: false } : t.template,
        ),
    });
    const d = await w.enrol({ platform: 'android', kind: 'fully-managed' });
    await w.run(60_000);
    const o = outcomeOf(w.service, d.id, 'wifi');
    expect(o).toMatchObject({ status: 'failed', code: 'CONNECTOR_KEY_NOT_EXPORTABLE' });
    expect(o?.message).toContain("Template 'CertfleetUser' does not allow the private key to be exported");
    expect(o?.native).toMatchObject({
      hresult: '0x8009000B',
      symbolic: 'NTE_BAD_KEY_STATE',
      disposition: 'issued',
    });
    expect(pkcsRecords(w)).toHaveLength(1); // the CA issued it
    expect(d.payloads()).toEqual([]);
  });

  it('an escaped special character in the subject fails with SUBJECT_ESCAPED_CHARS and nothing is delivered', async () => {
    const w = await world({
      assignments: [toAll('wifi', pkcs('windows', { subjectNameFormatString: 'CN=Test user\\, LLC' }))],
    });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')).toMatchObject({
      status: 'failed',
      code: 'SUBJECT_ESCAPED_CHARS',
    });
    expect(d.payloads()).toEqual([]);
  });
});

describe('poll interval', () => {
  it.each([
    ['strict 30 s', 30_000, 241],
    [
      'idle backoff up to 15 min (default): 0, 30 s, 1.5, 3.5, 7.5, 15.5 min, then every 15 min',
      undefined,
      12,
    ],
  ] as const)('%s: polls of one idle connector in 2 h', async (_l, maxIdle, polls) => {
    const w = await world({
      assignments: [],
      connectors: 1,
      ...(maxIdle !== undefined && { connector: { maxIdlePollIntervalMs: maxIdle } }),
    });
    await w.run(2 * 3_600_000);
    expect(w.bus.on('certfleet/+/service/to-service/poll')).toHaveLength(polls);
  });

  it('work resets the backoff: a request queued while idle is served within the idle interval', async () => {
    const w = await world({ assignments: [toAll('wifi', pkcs('ios'))], connectors: 1 });
    await w.run(3_600_000);
    const d = await w.enrol({ platform: 'ios', kind: 'device' });
    await w.run(15 * 60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
  });
});

describe('CertificateQueue leases', () => {
  const work = { deviceId: 'd1', profile: 'p' } as CertificateWork;
  const t = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min));
  const LEASE = 5 * 60_000;

  it.each([
    ['commit within the lease', 1, 'c1', undefined],
    ['commit after the lease ran out', 6, 'c1', 'lease-expired'],
  ] as const)('%s', (_l, at, _who, refusal) => {
    const q = new CertificateQueue();
    const id = q.enqueue(work);
    const [lease] = q.claim('c1', 5, t(0), LEASE);
    expect(q.commit(id, lease!.leaseId, t(at), LEASE)).toBe(refusal);
  });

  it('a re-leased request refuses the old lease and takes the new one; a late result is ignored', () => {
    const q = new CertificateQueue();
    const id = q.enqueue(work);
    const [a] = q.claim('c1', 5, t(0), LEASE);
    expect(q.claim('c2', 5, t(1), LEASE)).toEqual([]); // still leased
    const [b] = q.claim('c2', 5, t(6), LEASE);
    expect(b?.leaseId).not.toBe(a?.leaseId);
    expect(q.commit(id, a!.leaseId, t(6), LEASE)).toBe('lease-moved');
    expect(q.complete(id, a!.leaseId)).toEqual({ ok: false, reason: 'lease-moved' });
    expect(q.complete(id, b!.leaseId)).toEqual({ ok: false, reason: 'not-committed' });
    expect(q.commit(id, b!.leaseId, t(7), LEASE)).toBeUndefined();
    expect(q.claim('c3', 5, t(8), LEASE)).toEqual([]); // committed: nobody else gets it
    expect(q.complete(id, b!.leaseId)).toMatchObject({ ok: true });
    expect(q.size).toBe(0);
  });

  it('a commit that never reports is re-queued after the commit deadline', () => {
    const q = new CertificateQueue();
    const id = q.enqueue(work);
    const [a] = q.claim('c1', 5, t(0), LEASE);
    q.commit(id, a!.leaseId, t(1), 10 * 60_000);
    expect(q.claim('c2', 5, t(10), LEASE)).toEqual([]);
    expect(q.claim('c2', 5, t(11), LEASE).map((l) => l.requestId)).toEqual([id]);
  });

  it('claims oldest first, at most max', () => {
    const q = new CertificateQueue();
    const ids = [1, 2, 3].map(() => q.enqueue(work));
    expect(q.claim('c1', 2, t(0), LEASE).map((l) => l.requestId)).toEqual(ids.slice(0, 2));
    expect(q.claim('c2', 2, t(0), LEASE).map((l) => l.requestId)).toEqual(ids.slice(2));
  });
});

describe('Limiter', () => {
  it('runs at most n jobs at once', async () => {
    const l = new Limiter(2);
    let peak = 0;
    const job = async () => {
      peak = Math.max(peak, l.running);
      await new Promise((r) => setImmediate(r));
    };
    await Promise.all([1, 2, 3, 4, 5].map(() => l.run(job)));
    expect(peak).toBe(2);
    expect(l.running).toBe(0);
  });
});
