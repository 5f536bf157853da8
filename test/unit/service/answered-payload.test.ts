/**
 * Issue 11 point 3 (memory per device): a delivery keeps its compiled payload's bytes only while it awaits
 * the device's answer (re-sends publish the same bytes); once the device answered they go, and what is
 * sent later is compiled again — a re-enrolled device still gets every profile, its PKCS certificate packed
 * from the PFX the service kept. The saved records (issue 10 checkpoints) follow the same state.
 */
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../pki/index.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FakeDevice, outcomeOf, pkcs, toAll, trusted, world } from './harness.ts';

interface SavedSent {
  topic: string;
  format: string;
  id: string;
  payload?: string;
}

/** The saved `sent` of each delivery of `device`, by profile. */
function savedSent(records: { key: string; value: Buffer }[], device: string): Map<string, SavedSent> {
  const out = new Map<string, SavedSent>();
  for (const r of records) {
    const [id, profile] = JSON.parse(r.key) as [string, string];
    const saved = JSON.parse(r.value.toString('utf8')) as { sent?: SavedSent };
    if (id === device && saved.sent !== undefined) out.set(profile, saved.sent);
  }
  return out;
}

/** The thumbprint of the leaf in the (only) PFX a SyncML payload installs. */
function pfxThumbprint(payload: Buffer, password: string | undefined): string {
  const xml = decodeSyncml(payload);
  if (!xml.ok) throw new Error('SyncML does not decode');
  const install = decodePfxInstalls(xml.message).installs[0]!.install;
  return parseCertificate(parsePkcs12(install.pfxBlob, password ?? install.password ?? '').certificates[0]!)
    .sha1Thumbprint;
}

describe('issue 11: payload bytes are kept while a delivery awaits its answer, not after', () => {
  it('a silent device gets the same bytes again; once it answered the delivery keeps no payload', async () => {
    const w = await world({
      assignments: (ca) => [toAll('root', trusted('windows', ca.root.der)), toAll('wifi', pkcs('windows'))],
      service: { encryptPassword: false },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined', answer: 'silent' });
    await w.run(5 * 60_000);
    const first = d.payloads().filter((p) => p.topic.includes('/wifi'));
    expect(first.length).toBeGreaterThanOrEqual(1);
    const awaiting = savedSent(w.service.saveState().deliveries, d.id);
    expect([...awaiting.keys()].sort()).toEqual(['root', 'wifi']);
    for (const s of awaiting.values()) expect(s.payload).toBeDefined(); // still awaiting: kept for re-sends

    // no answer: the re-send is the same bytes, from the kept payload
    await w.run(60 * 60_000);
    const sends = d.payloads().filter((p) => p.topic.includes('/wifi'));
    expect(sends.length).toBeGreaterThan(first.length);
    for (const s of sends) expect(s.payload.equals(first[0]!.payload)).toBe(true);

    await d.reportInstalled('wifi');
    await d.reportInstalled('root');
    await w.settle();
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    const after = savedSent(w.service.saveState().deliveries, d.id);
    expect([...after.keys()].sort()).toEqual(['root', 'wifi']);
    for (const [profile, s] of after) {
      expect(s.payload, profile).toBeUndefined();
      expect(s.topic).toBe(awaiting.get(profile)!.topic);
      expect(s.id).toBe(awaiting.get(profile)!.id);
      expect(s.id.length).toBeGreaterThan(0);
    }
    // answered: nothing is sent again, however long the device stays quiet
    const count = d.payloads().length;
    await w.run(6 * 3_600_000);
    expect(d.payloads()).toHaveLength(count);
  });

  it('a device that re-enrols after answering gets every profile compiled again, the same certificate in it', async () => {
    const w = await world({
      assignments: (ca) => [toAll('root', trusted('windows', ca.root.der)), toAll('wifi', pkcs('windows'))],
      service: { encryptPassword: false },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(5 * 60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    for (const s of savedSent(w.service.saveState().deliveries, d.id).values())
      expect(s.payload).toBeUndefined();
    const installed = pfxThumbprint(d.payloads().find((p) => p.topic.includes('/wifi'))!.payload, undefined);

    // the agent lost its state: a new key, a new management certificate, every delivery sent again
    const lost = new FakeDevice(d.device, w.bus, poolKey('rsa2048', 3));
    await lost.enrol();
    await w.run(5 * 60_000);
    const again = lost.payloads();
    expect(again.map((p) => p.topic.split('/').at(-2)).sort()).toEqual(['root', 'wifi']);
    const wifi = again.find((p) => p.topic.includes('/wifi'))!;
    expect(pfxThumbprint(wifi.payload, undefined)).toBe(installed);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
  });
});
