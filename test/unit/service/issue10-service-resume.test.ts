/**
 * Issue 10 point 3 — the MDM service saved at the close of an instant and rebuilt in a new service (what a
 * killed `serve` started again does): the state goes through service-state.db (sealed, only changed
 * records), the new service knows the enrolled device, re-sends the very payload the first one sent
 * (the same certificate: nothing issued again) at the instant the first one would have, and the delivery
 * completes. The loopback bus, a real CA (pool keys), real connectors, the virtual clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { parseDeviceTopic } from '../../../protocol/wire/topics.ts';
import { RecordDiff } from '../../../simulator/fleet/record-diff.ts';
import { ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { SAVED_STORES, type SavedStoreName } from '../../../simulator/service/mdm/mdm-service.ts';
import type { PublishedPayload } from '../../../simulator/service/mdm/service-types.ts';
import { DEFAULT_RETRY_POLICY, answerTimeout } from '../../../simulator/service/mdm/retry-policy.ts';
import { outcomeOf, pkcs, START, TENANT, toAll, trusted, world } from './harness.ts';

const SECRET = 'issue10-service-resume-secret-0123456789';

/** The profile id of a payload topic (undefined for other topics). */
function profileOf(topic: string): string | undefined {
  const t = parseDeviceTopic(TENANT, topic);
  return t && 'profileId' in t ? t.profileId : undefined;
}
let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-resume-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('issue 10 point 3: the MDM service saved and restored in a new service', () => {
  it('knows the device, re-sends the same bytes when the saved timer is due, issues nothing twice', async () => {
    const w = await world({
      assignments: (ca) => [
        toAll('root', trusted('android-work-profile', ca.root.der)),
        toAll('wifi', pkcs('android-work-profile')),
      ],
    });
    const device = await w.enrol({ platform: 'android', kind: 'work-profile-personal', answer: 'silent' });
    await w.run(60_000); // the connectors issue; both payloads are sent, unanswered
    const firstSends = device.payloads();
    expect(firstSends.map((p) => profileOf(p.topic)).sort()).toEqual(['root', 'wifi']);
    const issuedBefore = w.ca.issuedRecords().map((r) => r.serial);
    expect(issuedBefore).toHaveLength(2); // the management certificate and the wifi certificate
    const countersBefore = w.service.counters();

    // the close of an instant: saved through service-state.db, only what changed
    const cp = ServiceCheckpoint.open(base, { digest: 'resume-test', secret: SECRET });
    const diff = new RecordDiff();
    const state = w.service.saveState();
    const changes = SAVED_STORES.flatMap((s) => diff.changes(s, state[s]));
    cp.checkpoint({ at: w.clock.now().getTime(), instants: 1, ledger: [], records: changes });
    diff.commit(changes);
    expect(SAVED_STORES.flatMap((s) => diff.changes(s, w.service.saveState()[s]))).toEqual([]);
    cp.close();

    // the process dies: its service is gone (its timers with it)
    await w.service.stop();
    const again = ServiceCheckpoint.open(base, { digest: 'resume-test', secret: SECRET });
    const saved = new Map(SAVED_STORES.map((s) => [s, again.records(s)] as const));
    again.close();

    const resent: PublishedPayload[] = [];
    const restarted = w.restartedService(
      [
        toAll('root', trusted('android-work-profile', w.ca.root.der)),
        toAll('wifi', pkcs('android-work-profile')),
      ],
      { onDelivery: (p) => resent.push(p) },
    );
    const { timers } = restarted.restoreState((s: SavedStoreName) => saved.get(s) ?? new Map());
    expect(timers).toBe(2); // the no-answer timers of both payloads
    await restarted.start();
    expect(restarted.devices().map((d) => [d.id, d.state])).toEqual([[device.id, 'enrolled']]);
    expect(restarted.counters()).toEqual(countersBefore);
    expect(outcomeOf(restarted, device.id, 'wifi')?.status).toBe('pending');

    device.answer = 'install';
    const due = answerTimeout(DEFAULT_RETRY_POLICY, 1);
    await w.run(due + 60_000);
    // the re-sends came from the saved timers, at the instant the first service would have sent them
    expect(resent.map((p) => [p.profile, p.attempt]).sort()).toEqual([
      ['root', 2],
      ['wifi', 2],
    ]);
    const savedDue = new Map(
      [...saved.get('deliveries')!.values()].map((v) => {
        const r = JSON.parse(v.toString('utf8')) as { assignment: string; timerAt: number };
        return [r.assignment, new Date(r.timerAt).toISOString()] as const;
      }),
    );
    for (const p of resent) expect(p.at).toBe(savedDue.get(p.profile));
    // the same bytes: the certificate issued before the kill, not a second one
    const wifiBytes = (ps: { topic: string; payload: Buffer }[]) =>
      ps.filter((p) => profileOf(p.topic) === 'wifi').map((p) => p.payload);
    const [firstWifi, secondWifi] = wifiBytes(device.payloads());
    expect(secondWifi?.equals(firstWifi!)).toBe(true);
    expect(w.ca.issuedRecords().map((r) => r.serial)).toEqual(issuedBefore);
    expect(outcomeOf(restarted, device.id, 'root')?.status).toBe('installed');
    expect(outcomeOf(restarted, device.id, 'wifi')?.status).toBe('installed');
    expect(restarted.counters().certificatesIssued).toBe(countersBefore.certificatesIssued);
    await restarted.stop();
  });

  it('links each restored delivery to its device’s family of an assignment name that spans families', async () => {
    // a scenario profile for several platforms is one assignment name with one profile per family; the
    // restore once took the name's last for every device, so a Windows PC's renewal after a resume was
    // compiled as Android policy JSON (SYNCML_PARSE on the device)
    const assignments = () => [toAll('wifi', pkcs('windows')), toAll('wifi', pkcs('android-work-profile'))];
    const w = await world({ assignments });
    const pc = await w.enrol({ platform: 'windows', kind: 'hybrid-joined' });
    const phone = await w.enrol({ platform: 'android', kind: 'work-profile-personal' });
    await w.run(60_000);
    expect(outcomeOf(w.service, pc.id, 'wifi')?.status).toBe('installed');
    const saved = w.service.saveState();
    const read = (store: SavedStoreName) => new Map(saved[store].map((r) => [r.key, r.value] as const));
    await w.service.stop();
    const restarted = w.restartedService(assignments(), {}, 'mdm-service-restarted-families');
    restarted.restoreState(read);
    await restarted.start();
    for (const device of [pc, phone]) {
      const before = device.payloads().length;
      await device.renew('wifi', ''); // no thumbprint: about the current certificate
      await w.settle();
      await w.run(20 * 60_000);
      const [first] = device.payloads();
      const renewed = device.payloads()[before];
      expect(renewed, device.id).toBeDefined();
      // compiled for the device's own family: the topic of its first payload
      expect(renewed?.topic).toBe(first?.topic);
      expect(outcomeOf(restarted, device.id, 'wifi')).toMatchObject({ status: 'installed', renewals: 1 });
    }
    await restarted.stop();
  });

  it('keeps the certificate an uploadIssuingCa put into a trusted profile: a resumed service delivers it', async () => {
    const assignments = (issuing: Uint8Array) => [toAll('issuing', trusted('windows', issuing))];
    const w = await world({ assignments: (ca) => assignments(ca.issuing.der) });
    const scenarioDer = w.ca.issuing.der;
    const first = await w.enrol({ platform: 'windows', kind: 'hybrid-joined' });
    await w.run(60_000);
    const renewed = await w.ca.renewIssuing(new Date(START.getTime() + 86_400_000));
    expect(await w.service.updateTrustedCertificate('issuing', renewed.der)).toBe(1);
    await w.settle();
    const saved = w.service.saveState();
    expect(saved.assignments.map((r) => r.key).sort()).toEqual(['certificate/issuing', 'names']);
    const read = (store: SavedStoreName) => new Map(saved[store].map((r) => [r.key, r.value] as const));
    await w.service.stop();
    // the scenario's certificate, as a restarted serve makes it
    const restarted = w.restartedService(assignments(scenarioDer), {}, 'mdm-service-restarted-upload');
    restarted.restoreState(read);
    await restarted.start();
    // a device enrolling after the resume gets the uploaded certificate, not the scenario's
    const later = await w.enrol({ platform: 'windows', kind: 'hybrid-joined' });
    await w.run(60_000);
    const [payload] = later.payloads().filter((p) => p.topic.includes('/issuing'));
    expect(payload?.payload.toString('utf8')).toContain(renewed.sha1Thumbprint);
    expect(outcomeOf(restarted, later.id, 'issuing')).toMatchObject({ status: 'installed' });
    expect(outcomeOf(restarted, first.id, 'issuing')).toMatchObject({ status: 'installed' });
    // and what it saves is what was saved: the upload is still there
    expect(restarted.saveState().assignments).toEqual(saved.assignments);
    await restarted.stop();
  });

  it('refuses to restore into a service that started', async () => {
    const w = await world({ assignments: [] });
    let code: string | undefined;
    try {
      w.service.restoreState(() => new Map());
    } catch (e) {
      code = isCertfleetError(e) ? e.code : String(e);
    }
    expect(code).toBe('INTERNAL');
  });
});
