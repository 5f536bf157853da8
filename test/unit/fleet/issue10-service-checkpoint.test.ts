/**
 * Issue 10 point 3 — the saved state a resumed `serve` reads (simulator/fleet/service-checkpoint.ts): a
 * checkpoint per closed instant in one transaction, the inbox/outbox of the messages handled between two
 * checkpoints, secrets sealed at rest, and a folder of another run or fleet secret refused with a code.
 * A real SQLite file in a temporary folder; a kill is a process that stops without closing it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  SERVICE_STATE_FILE,
  ServiceCheckpoint,
  inboxKey,
} from '../../../simulator/fleet/service-checkpoint.ts';

const SECRET = 'issue10-checkpoint-secret-0123456789abcdef';
const DIGEST = 'digest-of-the-scenario-0001';
const PFX_PASSWORD = 'Pfx-Pa55word-never-in-clear';
let base: string;
let n = 0;

function folder(): string {
  n += 1;
  const dir = join(base, `run-${n}`);
  mkdirSync(dir);
  return dir;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCertfleetError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'certfleet-i10-checkpoint-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('issue 10 point 3: the saved service state of serve', () => {
  it('keeps the last checkpoint: position, ledger counts merged by maximum, records changed and removed', () => {
    const dir = folder();
    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    expect(cp.position()).toBeUndefined();
    cp.checkpoint({
      at: 1_000,
      instants: 1,
      ledger: [
        ['dev-1', { sent: 2, handled: 1 }],
        ['dev-2', { sent: 1, handled: 0 }],
      ],
      records: [
        { store: 'enrollments', key: 'dev-1', value: Buffer.from('{"state":"enrolled"}') },
        { store: 'deliveries', key: 'dev-1/wifi', value: Buffer.from(`{"password":"${PFX_PASSWORD}"}`) },
      ],
    });
    // only what changed: dev-1's counts (one lower than saved must not lower them), a record removed
    cp.checkpoint({
      at: 2_000,
      instants: 2,
      ledger: [
        ['dev-1', { sent: 3, handled: 0 }],
        ['dev-3', { sent: 1, handled: 1 }],
      ],
      records: [{ store: 'deliveries', key: 'dev-1/wifi' }],
    });
    cp.close();

    const again = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    expect(again.position()).toEqual({ at: 2_000, instants: 2 });
    expect(again.ledger()).toEqual(
      new Map([
        ['dev-1', { sent: 3, handled: 1 }],
        ['dev-2', { sent: 1, handled: 0 }],
        ['dev-3', { sent: 1, handled: 1 }],
      ]),
    );
    expect([...again.records('enrollments')].map(([k, v]) => [k, v.toString()])).toEqual([
      ['dev-1', '{"state":"enrolled"}'],
    ]);
    expect(again.records('deliveries').size).toBe(0);
    again.close();
    expect(statSync(join(dir, SERVICE_STATE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('a checkpoint that fails half-way saves nothing of itself (one transaction)', () => {
    const dir = folder();
    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    cp.checkpoint({ at: 10, instants: 1, ledger: [['dev-1', { sent: 1, handled: 1 }]], records: [] });
    function* records() {
      yield { store: 'enrollments', key: 'dev-9', value: Buffer.from('x') };
      throw new Error('the service failed while listing its changes');
    }
    expect(
      codeOf(() =>
        cp.checkpoint({
          at: 20,
          instants: 2,
          ledger: [['dev-1', { sent: 5, handled: 5 }]],
          records: records(),
        }),
      ),
    ).toBe('IO');
    expect(cp.position()).toEqual({ at: 10, instants: 1 });
    expect(cp.ledger().get('dev-1')).toEqual({ sent: 1, handled: 1 });
    expect(cp.records('enrollments').size).toBe(0);
    cp.close();
  });

  it('handles a message once: a redelivered id runs nothing, its outbox survives a kill until confirmed', () => {
    const dir = folder();
    // a child process handles two messages and is killed before it confirms one publish of the first
    const script = `
      import { ServiceCheckpoint } from ${JSON.stringify(resolve(import.meta.dirname, '../../../simulator/fleet/service-checkpoint.ts'))};
      const cp = ServiceCheckpoint.open(${JSON.stringify(dir)}, { digest: ${JSON.stringify(DIGEST)}, secret: ${JSON.stringify(SECRET)} });
      cp.checkpoint({ at: 1, instants: 1, ledger: [], records: [{ store: 'requests', key: 'queued/dev-1/wifi', value: Buffer.from('csr') }] });
      const a = cp.handle('in-1', [
        { topic: 'certfleet/contoso/devices/dev-1/in/profile', payload: Buffer.from('pfx for dev-1 ${PFX_PASSWORD}') },
        { topic: 'certfleet/contoso/devices/dev-1/in/status', payload: Buffer.from('ack') },
      ], [
        { store: 'deliveries', key: 'dev-1/wifi', value: Buffer.from('sent serial 0a') },
        { store: 'requests', key: 'queued/dev-1/wifi' },
      ]);
      cp.confirm(a[1].seq);
      cp.handle('in-2', []);
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.signal).toBe('SIGKILL');

    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    // no checkpoint ran after in-1: its effect on the stores (a delivery written, the request the
    // checkpoint before it had queued removed) was committed with its inbox id
    expect([...cp.records('deliveries')].map(([k, v]) => [k, v.toString()])).toEqual([
      ['dev-1/wifi', 'sent serial 0a'],
    ]);
    expect(cp.records('requests').size).toBe(0);
    expect(cp.wasHandled('in-1')).toBe(true);
    expect(cp.wasHandled('in-2')).toBe(true);
    expect(cp.wasHandled('in-3')).toBe(false);
    const left = cp.unconfirmed();
    expect(left.map((e) => [e.inboxId, e.topic, e.payload.toString()])).toEqual([
      ['in-1', 'certfleet/contoso/devices/dev-1/in/profile', `pfx for dev-1 ${PFX_PASSWORD}`],
    ]);
    // the broker delivers in-1 again: nothing is handled, recorded or queued a second time
    expect(
      cp.handle(
        'in-1',
        [{ topic: 't', payload: Buffer.from('second answer') }],
        [{ store: 'deliveries', key: 'dev-1/wifi', value: Buffer.from('sent serial 0b') }],
      ),
    ).toBeUndefined();
    expect(cp.unconfirmed()).toHaveLength(1);
    expect(cp.records('deliveries').get('dev-1/wifi')?.toString()).toBe('sent serial 0a');
    cp.confirm(left[0]!.seq);
    expect(cp.unconfirmed()).toEqual([]);
    const fresh = cp.handle('in-3', [{ topic: 't', payload: Buffer.from('p') }]);
    expect(fresh?.map((e) => e.payload.toString())).toEqual(['p']);
    cp.close();
  });

  it('keys the inbox by packet identifier and content: a redelivery matches, a new message or QoS 0 does not', () => {
    const topic = 'certfleet/contoso/device/dev-1/out/status/wifi';
    const m = { topic, payload: Buffer.from('<SyncML>1</SyncML>'), packetId: 7 };
    const key = inboxKey(m);
    expect(key).toMatch(/^7:[A-Za-z0-9_-]{43}$/);
    // the broker's redelivery: same identifier, same bytes (a copy, not the same Buffer)
    expect(inboxKey({ topic, payload: Buffer.from('<SyncML>1</SyncML>'), packetId: 7 })).toBe(key);
    // the identifier given to another message after the PUBACK, or the same bytes under another id
    expect(inboxKey({ ...m, payload: Buffer.from('<SyncML>2</SyncML>') })).not.toBe(key);
    expect(inboxKey({ ...m, topic: `${topic}-2` })).not.toBe(key);
    expect(inboxKey({ ...m, packetId: 8 })).not.toBe(key);
    expect(inboxKey({ topic, payload: m.payload })).toBeUndefined();
  });

  it('keeps a message held before its handling, acknowledged: until handled, in arrival order, once', () => {
    const dir = folder();
    let cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    const t = (n: number): string => `certfleet/contoso/device/dev-${n}/out/status/wifi`;
    expect(cp.receive('9:b', t(2), Buffer.from('second'))).toBe(true);
    expect(cp.receive('4:a', t(1), Buffer.from('first'))).toBe(true);
    // the broker's redelivery of a message held already: nothing kept twice
    expect(cp.receive('9:b', t(2), Buffer.from('second'))).toBe(false);
    cp.close();
    // a new process finds them, in the order they came
    cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    expect(cp.held().map((m) => [m.inboxId, m.topic, m.payload.toString()])).toEqual([
      ['9:b', t(2), 'second'],
      ['4:a', t(1), 'first'],
    ]);
    // handling one removes it with its inbox row, records and outbox in one transaction
    cp.handle(
      '9:b',
      [{ topic: 'answer', payload: Buffer.from('a') }],
      [{ store: 'deliveries', key: 'dev-2/wifi', value: Buffer.from('installed') }],
    );
    expect(cp.held().map((m) => m.inboxId)).toEqual(['4:a']);
    expect(cp.wasHandled('9:b')).toBe(true);
    // a message handled already is not held again when the broker delivers it once more
    expect(cp.receive('9:b', t(2), Buffer.from('second'))).toBe(false);
    expect(cp.held().map((m) => m.inboxId)).toEqual(['4:a']);
    cp.close();
  });

  it('forgets inbox ids only once the instant before the last checkpoint is past', () => {
    const dir = folder();
    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    cp.checkpoint({ at: 1, instants: 1, ledger: [], records: [] });
    cp.handle('m-gen1', []);
    cp.checkpoint({ at: 2, instants: 2, ledger: [], records: [] });
    expect(cp.wasHandled('m-gen1')).toBe(true); // its PUBACK may not have left yet when a kill came
    cp.checkpoint({ at: 3, instants: 3, ledger: [], records: [] });
    expect(cp.wasHandled('m-gen1')).toBe(false);
    cp.close();
  });

  it('keeps secrets sealed: no record or payload byte in clear in the file', () => {
    const dir = folder();
    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    cp.checkpoint({
      at: 1,
      instants: 1,
      ledger: [],
      records: [{ store: 'deliveries', key: 'dev-1/wifi', value: Buffer.from(PFX_PASSWORD) }],
    });
    cp.handle('in-1', [{ topic: 't', payload: Buffer.from(PFX_PASSWORD) }]);
    cp.receive('in-2', 't', Buffer.from(`renew ${PFX_PASSWORD}`));
    cp.close();
    const bytes = Buffer.concat(
      ['', '-wal'].map((s) => {
        try {
          return readFileSync(join(dir, SERVICE_STATE_FILE + s));
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from(PFX_PASSWORD))).toBe(false);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
  });

  it('refuses another scenario or another fleet secret with RUN_STATE_MISMATCH and changes nothing', () => {
    const dir = folder();
    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    cp.checkpoint({ at: 5, instants: 1, ledger: [['dev-1', { sent: 1, handled: 1 }]], records: [] });
    cp.close();
    expect(codeOf(() => ServiceCheckpoint.open(dir, { digest: 'another-scenario', secret: SECRET }))).toBe(
      'RUN_STATE_MISMATCH',
    );
    expect(
      codeOf(() => ServiceCheckpoint.open(dir, { digest: DIGEST, secret: 'another-secret-0123456789' })),
    ).toBe('RUN_STATE_MISMATCH');
    const ok = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    expect(ok.position()).toEqual({ at: 5, instants: 1 });
    ok.close();
  });

  it('refuses a changed record: a byte flipped in the file fails its seal (IO), never garbage', () => {
    const dir = folder();
    const cp = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    cp.checkpoint({
      at: 1,
      instants: 1,
      ledger: [],
      records: [{ store: 'enrollments', key: 'dev-1', value: Buffer.from('enrolled') }],
    });
    cp.close();
    const db = new Database(join(dir, SERVICE_STATE_FILE));
    const row = db.prepare('SELECT value FROM records').get() as { value: Buffer };
    row.value[row.value.length - 1]! ^= 1;
    db.prepare('UPDATE records SET value = ?').run(row.value);
    db.close();
    const again = ServiceCheckpoint.open(dir, { digest: DIGEST, secret: SECRET });
    expect(codeOf(() => again.records('enrollments'))).toBe('IO');
    again.close();
  });
});
