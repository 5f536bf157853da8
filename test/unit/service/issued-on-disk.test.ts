/**
 * Issue 11 point 3 (memory per device): the PFX issued to each delivery is kept on disk (a SQLite scratch
 * file, stores/issued-identities-db.ts) instead of in memory, and read back only when a re-enrolled device
 * needs its payload compiled again or the service saves its state. The file never holds a password; a
 * re-enrolled device — of the same service or of one resumed from the saved state — gets the very PFX.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { DeviceProfileOutcome } from '../../../simulator/run-model.ts';
import type { ProfileAssignment } from '../../../simulator/service/mdm/assignment.ts';
import type { ServiceDevice } from '../../../simulator/service/mdm/service-types.ts';
import { DeliveryStore, type Delivery } from '../../../simulator/service/mdm/stores/deliveries.ts';
import {
  ISSUED_WRITE_BATCH,
  IssuedOnDisk,
} from '../../../simulator/service/mdm/stores/issued-identities-db.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { FakeDevice, outcomeOf, pkcs, toAll, trusted, world } from './harness.ts';

const opened: IssuedOnDisk[] = [];
function shelf(options: { writeBatch?: number } = {}): IssuedOnDisk {
  const s = IssuedOnDisk.open(undefined, options);
  opened.push(s);
  return s;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

const PASSWORD = 'Pfx-Secret-Not-On-Disk-7';

function delivery(id: string, issued: boolean): Delivery {
  const device = { id } as ServiceDevice;
  return {
    device,
    assignment: { name: 'wifi' } as ProfileAssignment,
    outcome: { device: id, profile: 'wifi', status: 'installed' } as DeviceProfileOutcome,
    ...(issued && {
      issued: {
        pfx: Buffer.from(`pfx-bytes-of-${id}`),
        password: PASSWORD,
        certificateDer: Buffer.from([0x30, 1]),
      },
    }),
    attempt: 1,
    awaiting: false,
    sends: 1,
    removed: false,
  };
}

/** The PFX blob and password of the (only) PFX a SyncML payload installs (password sent in clear). */
function pfxOf(payload: Buffer): { blob: Buffer; password: string | undefined } {
  const xml = decodeSyncml(payload);
  if (!xml.ok) throw new Error('SyncML does not decode');
  const install = decodePfxInstalls(xml.message).installs[0]!.install;
  return { blob: Buffer.from(install.pfxBlob), password: install.password };
}

describe('issue 11 point 3: the issued PFX kept on disk', () => {
  it('gives back the same bytes and password; the file holds the PFX, never the password; close deletes it', () => {
    const s = shelf();
    const pfx = Buffer.from('a PKCS#12 file, encrypted under its password');
    s.keep('d-1\u0000wifi', { pfx, password: PASSWORD });
    // held until a batch is full, then written in one transaction
    for (let i = 2; i <= ISSUED_WRITE_BATCH; i++) {
      expect(s.unwritten).toBe(i - 1);
      s.keep(`d-${i}\u0000wifi`, { pfx: Buffer.from(`pfx of d-${i}`), password: PASSWORD });
    }
    expect(s.unwritten).toBe(0);
    const back = s.get('d-1\u0000wifi')!;
    expect(back.pfx.equals(pfx)).toBe(true);
    expect(back.password).toBe(PASSWORD);
    expect(back.certificateDer).toBeUndefined();
    expect(s.get(`d-${ISSUED_WRITE_BATCH + 1}\u0000wifi`)).toBeUndefined();
    const file = readFileSync(s.file);
    expect(file.includes(pfx)).toBe(true);
    expect(file.includes(Buffer.from(PASSWORD))).toBe(false);
    s.drop('d-1\u0000wifi');
    expect(s.get('d-1\u0000wifi')).toBeUndefined();
    s.close();
    expect(existsSync(dirname(s.file))).toBe(false);
  });

  it('held and written identities alike: the newest kept wins, a drop forgets both, a key never kept is not looked up', () => {
    const s = shelf();
    const rows = () => {
      const db = new Database(s.file, { readonly: true });
      try {
        return db.prepare('SELECT key, pfx FROM issued ORDER BY key').all() as { key: string; pfx: Buffer }[];
      } finally {
        db.close();
      }
    };
    const id = (n: string) => ({ pfx: Buffer.from(n), password: PASSWORD });
    for (let i = 0; i < ISSUED_WRITE_BATCH; i++) s.keep(`k${String(i).padStart(2, '0')}`, id(`first ${i}`));
    expect(rows()).toHaveLength(ISSUED_WRITE_BATCH);
    // k00 written, then kept again: the held one is read, and replaces the row when written
    s.keep('k00', id('second 0'));
    s.keep('new', id('held only'));
    expect(s.unwritten).toBe(2);
    expect(s.get('k00')!.pfx.toString()).toBe('second 0');
    expect(s.get('new')!.pfx.toString()).toBe('held only');
    expect(rows()[0]).toMatchObject({ key: 'k00' });
    expect(rows()[0]!.pfx.toString()).toBe('first 0');
    // dropped: written (k01), held (new) and both (k00)
    s.drop('k01');
    s.drop('new');
    s.drop('k00');
    s.drop('never kept');
    expect(s.unwritten).toBe(0);
    for (const k of ['k00', 'k01', 'new', 'never kept']) expect(s.get(k)).toBeUndefined();
    expect(rows().map((r) => r.key)).not.toContain('k00');
    expect(rows().map((r) => r.key)).not.toContain('k01');
    expect(rows()).toHaveLength(ISSUED_WRITE_BATCH - 2);
    // kept again after a drop: back, with the new bytes
    s.keep('k01', id('third 1'));
    expect(s.get('k01')!.pfx.toString()).toBe('third 1');
  });

  it('removes the scratch folders of processes no longer running, keeps those of running ones', () => {
    const parent = mkdtempSync(join(tmpdir(), 'certfleet-issued-test-'));
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      for (const name of [
        `certfleet-issued-${dead}-AbC123`,
        `certfleet-issued-${process.pid}-XyZ789`,
        'other',
      ])
        mkdirSync(join(parent, name));
      const s = IssuedOnDisk.open(parent);
      expect(readdirSync(parent).sort()).toEqual(
        [`certfleet-issued-${process.pid}-XyZ789`, 'other', basename(dirname(s.file))].sort(),
      );
      expect(basename(dirname(s.file)).startsWith(`certfleet-issued-${process.pid}-`)).toBe(true);
      s.close();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('a store on it: the delivery object holds no PFX, reads give it back, saved records are those of memory', () => {
    const onDisk = new DeliveryStore(shelf());
    const inMemory = new DeliveryStore();
    for (const store of [onDisk, inMemory]) {
      store.put(delivery('d-1', true));
      store.put(delivery('d-2', false));
    }
    const raw = delivery('d-3', true);
    const stored = onDisk.put(raw);
    inMemory.put(delivery('d-3', true));
    expect('issued' in stored).toBe(false); // the object the store holds: its PFX went to the shelf
    expect(raw.issued?.pfx.toString()).toBe('pfx-bytes-of-d-3'); // and the caller's object is left as it was
    expect(stored.issued?.pfx.toString()).toBe('pfx-bytes-of-d-3');
    expect(stored.issued?.password).toBe(PASSWORD);
    expect(onDisk.get('d-2', 'wifi')?.issued).toBeUndefined();
    // a new identity written through the stored delivery replaces the kept one
    stored.issued = { pfx: Buffer.from('renewed'), password: 'Other-Secret-2' };
    expect(onDisk.get('d-3', 'wifi')?.issued?.pfx.toString()).toBe('renewed');
    inMemory.get('d-3', 'wifi')!.issued = { pfx: Buffer.from('renewed'), password: 'Other-Secret-2' };
    expect(onDisk.save()).toEqual(inMemory.save());
    expect(onDisk.saveChanged()).toEqual(inMemory.saveChanged());
    // a delivery put again without one (started anew) has none
    onDisk.put(delivery('d-1', false));
    expect(onDisk.get('d-1', 'wifi')?.issued).toBeUndefined();
    // restored from the saved records into a store on another shelf: the same identities
    const back = new DeliveryStore(shelf());
    back.restore(new Map(inMemory.save().map((r) => [r.key, r.value])), {
      device: (id) => ({ id }) as ServiceDevice,
      assignment: (name) => ({ name }) as ProfileAssignment,
    });
    expect(back.get('d-1', 'wifi')?.issued?.pfx.toString()).toBe('pfx-bytes-of-d-1');
    expect(back.get('d-3', 'wifi')?.issued?.password).toBe('Other-Secret-2');
    expect(back.save()).toEqual(inMemory.save());
  });

  it('a re-enrolled device gets the very PFX again, from the same service and from one resumed from its saved state', async () => {
    const assignments = (root: Uint8Array) => [
      toAll('root', trusted('windows', root)),
      toAll('wifi', pkcs('windows')),
    ];
    const first = shelf({ writeBatch: 1 }); // each identity written as it is kept: the file is read below
    const w = await world({
      assignments: (ca) => assignments(ca.root.der),
      service: { encryptPassword: false, issued: first },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'entra-joined' });
    await w.run(5 * 60_000);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');
    const installed = pfxOf(d.payloads().find((p) => p.topic.includes('/wifi'))!.payload);
    const onDisk = new Database(first.file, { readonly: true });
    const rows = onDisk.prepare('SELECT key, pfx FROM issued').all() as { key: string; pfx: Buffer }[];
    onDisk.close();
    expect(rows.map((r) => [r.key, r.pfx.equals(installed.blob)])).toEqual([[`${d.id}\u0000wifi`, true]]);

    // the agent lost its state: re-enrols; the payload is compiled again from the PFX read back from disk
    const lost = new FakeDevice(d.device, w.bus, poolKey('rsa2048', 3));
    await lost.enrol();
    await w.run(5 * 60_000);
    const again = pfxOf(lost.payloads().find((p) => p.topic.includes('/wifi'))!.payload);
    expect(again.blob.equals(installed.blob)).toBe(true);
    expect(again.password).toBe(installed.password);
    expect(outcomeOf(w.service, d.id, 'wifi')?.status).toBe('installed');

    // the process dies (its scratch file with it); a resumed service, on a shelf of its own
    const saved = w.service.saveState();
    await w.service.stop();
    first.close();
    const restarted = w.restartedService(assignments(w.ca.root.der), {
      encryptPassword: false,
      issued: shelf(),
    });
    restarted.restoreState((s) => new Map(saved[s].map((r) => [r.key, r.value] as const)));
    await restarted.start();
    const lostAgain = new FakeDevice(d.device, w.bus, poolKey('rsa2048', 4));
    await lostAgain.enrol();
    await w.run(5 * 60_000);
    const resumed = pfxOf(lostAgain.payloads().find((p) => p.topic.includes('/wifi'))!.payload);
    expect(resumed.blob.equals(installed.blob)).toBe(true);
    expect(outcomeOf(restarted, d.id, 'wifi')?.status).toBe('installed');
    await restarted.stop();
  });
});
