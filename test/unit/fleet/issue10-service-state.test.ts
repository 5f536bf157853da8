/**
 * Issue 10 point 3 — the saved service state of a coordinated `serve` (simulator/fleet/compose/service-state.ts):
 * the instant's checkpoint writes only what changed (records and ledger counts), and `restore` reads it back
 * into a new service and ledger and takes it as saved, so the first checkpoint after a resume writes nothing
 * that did not change. The loopback bus, a real CA, the virtual clock.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceLedger } from '../../../protocol/transport/device-ledger.ts';
import { deviceOutTopic } from '../../../protocol/wire/topics.ts';
import type { CoordinatorSnapshot } from '../../../simulator/engine/coordinator.ts';
import { serviceState } from '../../../simulator/fleet/compose/service-state.ts';
import { ServiceCheckpoint } from '../../../simulator/fleet/service-checkpoint.ts';
import { Teardown } from '../../../simulator/fleet/teardown.ts';
import { TENANT, toAll, trusted, world } from '../service/harness.ts';

const SECRET = Buffer.from('issue10-service-state-secret-0123456789', 'utf8');
const base = mkdtempSync(join(tmpdir(), 'certfleet-i10-state-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const FleetCtx = {} as Parameters<ReturnType<typeof serviceState>['part']['start']>[0];

describe('issue 10 point 3: the service state saved per instant and read back', () => {
  it('writes only what changed, and a restored service is taken as saved', async () => {
    const w = await world({
      assignments: (ca) => [toAll('root', trusted('android-work-profile', ca.root.der))],
    });
    const device = await w.enrol({ platform: 'android', kind: 'work-profile-personal', answer: 'silent' });
    await w.run(60_000); // the payload sent, unanswered: its no-answer timer armed
    const dir = join(base, 'run');
    mkdirSync(dir);
    const counts = { sent: 3, handled: 2 };
    const t = w.clock.now().getTime();

    const first = serviceState({ digest: 'state-test', secret: SECRET, dir, tenant: TENANT });
    const teardown = new Teardown();
    await first.part.start(FleetCtx, teardown);
    first.onService(w.service);
    const saved1 = first.saveInstant({ t, instants: 1 }, [device.id], () => counts);
    expect(saved1.records).toBeGreaterThan(0);
    expect(saved1.devices).toBe(1);
    // nothing changed since: nothing written
    expect(first.saveInstant({ t, instants: 2 }, [device.id], () => counts)).toEqual({
      records: 0,
      devices: 0,
    });
    await teardown.run();
    await w.service.stop();

    // a new process reads it back
    const second = serviceState({ digest: 'state-test', secret: SECRET, dir, tenant: TENANT, resume: true });
    const teardown2 = new Teardown();
    await second.part.start(FleetCtx, teardown2);
    const restarted = w.restartedService([toAll('root', trusted('android-work-profile', w.ca.root.der))]);
    const ledger = new DeviceLedger({ tenant: TENANT, side: 'service' });
    const back = second.restore(restarted, ledger);
    expect(back.position).toEqual({ at: t, instants: 2 });
    expect(back.timers).toBe(1);
    expect(ledger.counts(device.id)).toEqual(counts);
    await restarted.start();
    expect(restarted.devices().map((d) => [d.id, d.state])).toEqual([[device.id, 'enrolled']]);
    // taken as saved: the first checkpoint after the resume writes nothing that did not change
    expect(second.saveInstant({ t, instants: 3 }, [device.id], () => ledger.counts(device.id))).toEqual({
      records: 0,
      devices: 0,
    });
    // and a change is still written
    expect(second.saveInstant({ t, instants: 4 }, [device.id], () => ({ sent: 4, handled: 2 })).devices).toBe(
      1,
    );
    await restarted.stop();
    await teardown2.run();
  });

  it('keeps what the coordinator needs, counts the messages taken in since the checkpoint, and a fresh run starts clean', async () => {
    const dir = join(base, 'engine');
    mkdirSync(dir);
    const o = { digest: 'engine-test', secret: SECRET, dir, tenant: TENANT };
    const snapshot = (t: number, seq: number): CoordinatorSnapshot => ({
      run: 'run-1',
      t,
      instants: 3,
      waves: 9,
      hosts: [{ id: 'fleet-host-0', shard: { index: 0, count: 1 }, incarnation: 'inc-a', lastEventSeq: seq }],
      bases: { 'dev-b': [1, 0, 'fleet-host-0'] },
    });
    const first = serviceState(o);
    const t1 = new Teardown();
    await first.part.start(FleetCtx, t1);
    first.saveEngine(snapshot(1_000, -1));
    first.saveInstant(
      { t: 2_000, instants: 3 },
      ['dev-a'],
      () => ({ sent: 4, handled: 5 }),
      snapshot(2_000, 4),
    );
    // after the checkpoint: host events up to 7 went to run.db; two messages of dev-a handled, one kept,
    // one of a connector handled (not a device's: not counted)
    first.saveHostEvents('fleet-host-0', 'inc-a', 7);
    const side = ServiceCheckpoint.open(dir, { digest: 'engine-test', secret: SECRET });
    side.handle('1:x', [], [], deviceOutTopic(TENANT, 'dev-a', 'status', 'p1'));
    side.handle('2:y', [], [], deviceOutTopic(TENANT, 'dev-a', 'checkin'));
    side.handle('3:z', [], [], `certfleet/${TENANT}/connector/service`);
    side.receive('4:w', deviceOutTopic(TENANT, 'dev-a', 'status', 'p2'), Buffer.from('<kept/>'));
    side.close();
    await t1.run();

    const second = serviceState({ ...o, resume: true });
    const t2 = new Teardown();
    await second.part.start(FleetCtx, t2);
    const engine = second.engine();
    expect(engine?.t).toBe(2_000);
    expect(engine?.run).toBe('run-1');
    expect(engine?.bases).toEqual({ 'dev-b': [1, 0, 'fleet-host-0'] });
    expect(engine?.hosts[0]?.lastEventSeq).toBe(7); // the events recorded after the checkpoint are not taken again
    const w = await world({ assignments: () => [] });
    const service = w.restartedService([], {}, 'mdm-service-resumed');
    const ledger = new DeviceLedger({ tenant: TENANT, side: 'service' });
    second.restore(service, ledger);
    expect(ledger.counts('dev-a')).toEqual({ sent: 4, handled: 5 + 3 });
    await t2.run();
    await w.service.stop();

    // another incarnation of the host since: its saved sequence is not that incarnation's
    const third = serviceState({ ...o, resume: true });
    const t3 = new Teardown();
    await third.part.start(FleetCtx, t3);
    third.saveHostEvents('fleet-host-0', 'inc-b', 2);
    expect(third.engine()?.hosts[0]?.lastEventSeq).toBe(4);
    await t3.run();

    // a fresh run on the folder does not read the state left there
    const fresh = serviceState(o);
    const t4 = new Teardown();
    await fresh.part.start(FleetCtx, t4);
    expect(fresh.engine()).toBeUndefined();
    expect(fresh.position()).toBeUndefined();
    await t4.run();
  });
  it('run --workers keeps no checkpoints: only the start is saved, so a serve can name the engine and refuse', async () => {
    const w = await world({
      assignments: (ca) => [toAll('root', trusted('android-work-profile', ca.root.der))],
    });
    const device = await w.enrol({ platform: 'android', kind: 'work-profile-personal', answer: 'silent' });
    await w.run(60_000);
    const dir = join(base, 'workers');
    mkdirSync(dir);
    const t = w.clock.now().getTime();
    const state = serviceState({
      digest: 'state-test',
      secret: SECRET,
      dir,
      tenant: TENANT,
      checkpoints: false,
    });
    const teardown = new Teardown();
    await state.part.start(FleetCtx, teardown);
    state.onService(w.service);
    // the chain is the gate alone: no message kept below it, none committed above it
    const below = w.bus.transport('workers-below');
    let gated: unknown;
    expect(state.wrap(below, (b) => (gated = b))).toBe(below);
    expect(gated).toBe(below);
    expect(state.connectorKeys()).toBeUndefined();
    expect(state.scepJournal()).toBeUndefined();
    expect(state.heldRequests()).toBeUndefined();
    const snapshot: CoordinatorSnapshot = { run: 'r-1', t, instants: 0, waves: 0, hosts: [], bases: {} };
    state.saveEngine(snapshot);
    // a changed device and changed records: nothing written
    expect(state.saveInstant({ t, instants: 1 }, [device.id], () => ({ sent: 3, handled: 2 }))).toEqual({
      records: 0,
      devices: 0,
    });
    state.saveHostEvents('host-0', 'inc-1', 7);
    expect(state.position()).toBeUndefined();
    expect(state.engine()?.run).toBe('r-1');
    await teardown.run();
    await w.service.stop();
    const cp = ServiceCheckpoint.open(dir, { digest: 'state-test', secret: SECRET });
    try {
      expect(cp.position()).toBeUndefined();
      expect(cp.ledger().size).toBe(0);
      expect(cp.records('enrollments').size).toBe(0);
      expect(cp.records('deliveries').size).toBe(0);
      expect(cp.hostEvents().size).toBe(0);
      expect(cp.engine()).toContain('r-1');
    } finally {
      cp.close();
    }
  });
});
