/**
 * `npm run bench -- checkpoint [--devices N] [--json]`: the cost of the checkpoint a coordinated `serve`
 * writes at the close of each virtual instant (issue 10 point 3; simulator/fleet/service-checkpoint.ts):
 * the MDM service's enrolments and deliveries for N devices (three deliveries each: a 3 KB payload, a
 * 2.5 KB PKCS#12 and its password) saved as records (stores/saved-records.ts), compared with the last
 * checkpoint (record-diff.ts), and the changed ones sealed and written to service-state.db in one
 * transaction. Figures: the first checkpoint (everything new), one where nothing changed (listing and
 * comparing only), one where 1 % of the deliveries changed; then the same through the stores' dirty sets
 * (only what was changed or handed out is listed: MdmService.saveChangedState), and one device's
 * deliveries changed — what one handled message writes. Timing only; no pass/fail (docs/architecture.md
 * house rule 12).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceProfileOutcome } from '../simulator/run-model.ts';
import { RecordDiff } from '../simulator/fleet/record-diff.ts';
import { SERVICE_STATE_FILE, ServiceCheckpoint } from '../simulator/fleet/service-checkpoint.ts';
import { EnterpriseCa } from '../simulator/service/ca/enterprise-ca.ts';
import type { ProfileAssignment } from '../simulator/service/mdm/assignment.ts';
import { DeliveryStore } from '../simulator/service/mdm/stores/deliveries.ts';
import { EnrollmentStore } from '../simulator/service/mdm/stores/enrollments.ts';
import type { BenchArgs } from './args.ts';

/** The checkpoint suite's result (`--json`). */
export interface CheckpointBench {
  devices: number;
  records: number;
  /** Milliseconds of each checkpoint, and the records it wrote. */
  first: { ms: number; written: number };
  unchanged: { ms: number; written: number };
  onePercent: { ms: number; written: number };
  /** The same through the stores' dirty sets (saveChanged, RecordDiff.changesOf). */
  unchangedDirty: { ms: number; written: number };
  onePercentDirty: { ms: number; written: number };
  /** One device's three deliveries changed (what one handled message writes), through the dirty sets. */
  oneDeviceDirty: { ms: number; written: number };
  fileKiB: number;
}

/** Builds the stores, then times the three checkpoints. */
export async function measureCheckpoint(devices: number): Promise<CheckpointBench> {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-bench-checkpoint-'));
  try {
    const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ca = await EnterpriseCa.init(join(work, 'ca'), {
      now: new Date(),
      rootKey: key(),
      issuingKey: key(),
    });
    const enrollments = new EnrollmentStore();
    const deliveries = new DeliveryStore();
    const profiles = ['root', 'wifi', 'vpn'].map((name) => ({ name }) as ProfileAssignment);
    for (let i = 0; i < devices; i++) {
      const id = `device-${String(i).padStart(6, '0')}`;
      const device = {
        id,
        platform: 'windows' as const,
        kind: 'entra-joined' as const,
        osVersion: '10.0.22631',
        ownership: 'corporate' as const,
        state: 'refused' as const,
        tags: [],
      };
      enrollments.enrolled(device, ca.issuing, `user${i}@contoso.com`);
      for (const assignment of profiles) {
        const outcome: DeviceProfileOutcome = {
          device: id,
          platform: 'windows',
          kind: 'entra-joined',
          profile: assignment.name,
          status: 'installed',
          code: 'OK',
          message: 'Installed.',
          renewals: 0,
          at: new Date().toISOString(),
        };
        deliveries.put({
          device: enrollments.device(id)!,
          assignment,
          outcome,
          ...(assignment.name !== 'root' && {
            issued: { pfx: randomBytes(2500), password: randomBytes(12).toString('base64') },
            current: { serial: randomBytes(16).toString('hex'), thumbprint: 'AB', notAfter: '2027-01-01' },
          }),
          sent: {
            topic: `t/${id}/${assignment.name}`,
            payload: randomBytes(3000),
            format: 'syncml',
            id: 'x',
          },
          attempt: 1,
          awaiting: false,
          sends: 1,
          removed: false,
        });
      }
    }
    const cp = ServiceCheckpoint.open(work, { digest: 'bench', secret: randomBytes(32).toString('hex') });
    const diff = new RecordDiff();
    let instants = 0;
    const checkpoint = (dirty = false): { ms: number; written: number } => {
      const start = performance.now();
      const changes = dirty
        ? [
            ...diff.changesOf('enrollments', enrollments.saveChanged()),
            ...diff.changesOf('deliveries', deliveries.saveChanged()),
          ]
        : [
            ...diff.changes('enrollments', enrollments.save()),
            ...diff.changes('deliveries', deliveries.save()),
          ];
      instants += 1;
      cp.checkpoint({ at: instants, instants, ledger: [], records: changes });
      diff.commit(changes);
      return { ms: performance.now() - start, written: changes.length };
    };
    const drain = (): void => void (enrollments.saveChanged(), deliveries.saveChanged());
    const first = checkpoint();
    drain(); // the dirty sets start with everything: it was just saved
    const unchanged = checkpoint();
    const unchangedDirty = checkpoint(true);
    const all = [...deliveries.all()];
    all.forEach((d, i) => {
      if (i % 100 === 0) d.attempt += 1;
    });
    const onePercent = checkpoint();
    drain();
    all.forEach((d, i) => {
      if (i % 100 === 1) d.attempt += 1;
    });
    const onePercentDirty = checkpoint(true);
    for (const d of deliveries.ofDevice('device-000007')) d.sends += 1;
    const oneDeviceDirty = checkpoint(true);
    cp.close();
    return {
      devices,
      records: devices * (1 + profiles.length),
      first,
      unchanged,
      onePercent,
      unchangedDirty,
      onePercentDirty,
      oneDeviceDirty,
      fileKiB: Math.round(
        (statSync(join(work, SERVICE_STATE_FILE)).size +
          (() => {
            try {
              return statSync(join(work, `${SERVICE_STATE_FILE}-wal`)).size;
            } catch {
              return 0;
            }
          })()) /
          1024,
      ),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The `checkpoint` suite. */
export async function benchCheckpoint(args: BenchArgs): Promise<void> {
  const r = await measureCheckpoint(args.devices);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ suite: 'checkpoint', ...r })}\n`);
    return;
  }
  const line = (label: string, x: { ms: number; written: number }): void => {
    process.stdout.write(
      `  ${label.padEnd(52)} ${x.ms.toFixed(1).padStart(9)} ms  (${x.written} records written)\n`,
    );
  };
  process.stdout.write(
    `checkpoint: ${r.devices} devices, ${r.records} records (service-state.db ${r.fileKiB} KiB)\n`,
  );
  line('first checkpoint (every record new)', r.first);
  line('checkpoint, nothing changed', r.unchanged);
  line('checkpoint, 1 % of the deliveries changed', r.onePercent);
  line('nothing changed, through the dirty sets', r.unchangedDirty);
  line('1 % of the deliveries changed, through the dirty sets', r.onePercentDirty);
  line('one device changed (one message), dirty sets', r.oneDeviceDirty);
}
