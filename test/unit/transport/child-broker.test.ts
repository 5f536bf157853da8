/**
 * `run --broker child` (issue 11): the embedded broker in a child process, its accounts mirrored from the
 * run's credential table over IPC. An account added in the run logs in once `synced()` resolves, and a
 * removed one no longer does; closing stops the child; a child that dies before it listens is BROKER_START;
 * `certfleet broker --child` started by hand (no IPC channel) is a USAGE error. The ACL and isolation
 * behaviour is checked on the child broker by the shared broker table (brokers.ts).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { startChildBroker, type ChildBroker } from '../../../simulator/broker/child-broker.ts';
import { checkBrokerOptions } from '../../../simulator/fleet/compose/broker.ts';
import { brokerChoice, runCommand } from '../../../simulator/fleet/run-command.ts';
import { BIN } from '../../e2e/fixtures/certfleet-cli.ts';
import { alive } from '../../e2e/fixtures/cli-process.ts';
import { TENANT } from './brokers.ts';

let broker: ChildBroker | undefined;
const open: Transport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close().catch(() => undefined);
  await broker?.close();
  broker = undefined;
});

/** Logs in as `name` with `password`: 'connected', or the error code. */
async function login(name: string, password: string): Promise<string> {
  return connectMqtt({
    url: broker!.url,
    clientId: name,
    username: name,
    password,
    ackTimeoutMs: 5000,
    reconnectPeriodMs: 50,
  }).then(
    (t) => {
      open.push(t);
      return 'connected';
    },
    (err: unknown) => (isCertfleetError(err) ? err.code : String(err)),
  );
}

describe('the child broker', () => {
  it('mirrors the run’s accounts: added after start logs in once synced, removed no longer does', async () => {
    broker = await startChildBroker({
      tenant: TENANT,
      credentials: [{ role: 'service', name: 'svc', password: 'svc-secret' }],
    });
    expect(broker.kind).toBe('child');
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(broker.pid).not.toBe(process.pid);
    expect(alive(broker.pid)).toBe(true);
    expect(await login('svc', 'svc-secret')).toBe('connected');
    expect(await login('dev-1', 'dev-1-secret')).toBe('TRANSPORT_NOT_AUTHORIZED');

    broker.credentials.set({ role: 'device', name: 'dev-1', password: 'dev-1-secret' });
    await broker.synced();
    expect(await login('dev-1', 'wrong-password')).toBe('TRANSPORT_NOT_AUTHORIZED');
    expect(await login('dev-1', 'dev-1-secret')).toBe('connected');

    broker.credentials.remove('dev-1');
    await broker.synced();
    expect(await login('dev-1', 'dev-1-secret')).toBe('TRANSPORT_NOT_AUTHORIZED');
  }, 60_000);

  it('close stops the child process (twice is harmless)', async () => {
    const b = await startChildBroker({ tenant: TENANT });
    const pid = b.pid;
    expect(alive(pid)).toBe(true);
    await b.close();
    expect(alive(pid)).toBe(false);
    await b.close();
  }, 60_000);

  it('a child that exits before it listens is BROKER_START, with how it ended', async () => {
    const failed = await startChildBroker({
      tenant: TENANT,
      command: { file: process.execPath, args: ['-e', 'process.exit(3)'] },
    }).catch((err: unknown) => err);
    expect(isCertfleetError(failed, 'BROKER_START')).toBe(true);
    expect((failed as Error).message).toMatch(/exited before it listened \(exit 3\)/);
  });

  it('`certfleet broker --child` without a run behind it is a USAGE error (exit 2)', () => {
    const r = spawnSync(process.execPath, [BIN, 'broker', '--child'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/run --broker child/);
  }, 60_000);
});

describe('run --broker child: options it cannot carry are refused before anything starts', () => {
  it('parses as its own choice', () => {
    expect(brokerChoice('child')).toEqual({ type: 'child' });
  });
  it('--tls and --mqtt-version 5 are USAGE errors naming what to do', () => {
    const refused = (f: () => void): unknown => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const tls = refused(() => checkBrokerOptions({ choice: { type: 'child' }, tls: true }));
    expect(isCertfleetError(tls, 'USAGE')).toBe(true);
    expect((tls as Error).message).toMatch(/--broker embedded or mosquitto with --tls/);
    const v5 = refused(() => checkBrokerOptions({ choice: { type: 'child' }, mqttVersion: 5 }));
    expect(isCertfleetError(v5, 'USAGE')).toBe(true);
    expect((v5 as Error).message).toMatch(/child broker \(aedes\) speaks MQTT 3\.1\.1 only/);
    expect(refused(() => checkBrokerOptions({ choice: { type: 'child' }, mqttVersion: 4 }))).toBeUndefined();
  });
  it('--workers N with it is a USAGE error (the hosts run their own loopback broker)', async () => {
    const err = await runCommand({
      scenario: 'scenarios/default.yaml',
      broker: 'child',
      workers: 2,
      out: '/nonexistent/never-made',
    }).catch((e: unknown) => e);
    expect(isCertfleetError(err, 'USAGE')).toBe(true);
  });
});
