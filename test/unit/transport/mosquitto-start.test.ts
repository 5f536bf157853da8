/**
 * How the project starts Mosquitto (simulator/broker/mosquitto.ts): a broker counts as started only when
 * its own log says it is running — not when something answers on its port — and it ends with the process
 * that started it, even one killed with SIGKILL. Before both, a `certfleet broker --mosquitto` killed and
 * started again on its port "started" while the killed one's Mosquitto, left running, still held the port
 * (the new one had failed with "Address already in use"), and every later client talked to the old broker.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findMosquitto,
  mosquittoCommand,
  mosquittoRunning,
  startMosquitto,
} from '../../../simulator/broker/mosquitto.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { alive, childrenOf, waitForState } from '../../e2e/fixtures/cli-process.ts';

const MOSQUITTO = findMosquitto();
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('mosquittoRunning: the log line that proves the listeners are bound', () => {
  it('is the "running" line, not the start or a failed bind', () => {
    const start = '1: mosquitto version 2.0.11 starting\n1: Opening ipv4 listen socket on port 41999.\n';
    expect(mosquittoRunning(start)).toBe(false);
    expect(mosquittoRunning(`${start}1: Error: Address already in use\n`)).toBe(false);
    expect(mosquittoRunning(`${start}1: mosquitto version 2.0.11 running\n`)).toBe(true);
  });
});

describe('mosquittoCommand', () => {
  it('starts the binary itself (setpriv execs it) with the config file', () => {
    const { file, args } = mosquittoCommand('/usr/sbin/mosquitto', '/tmp/x/mosquitto.conf');
    expect(args.slice(-3)).toEqual(['/usr/sbin/mosquitto', '-c', '/tmp/x/mosquitto.conf']);
    if (file === 'setpriv') expect(args.slice(0, 3)).toEqual(['--pdeathsig', 'KILL', '--']);
    else expect(file).toBe('/usr/sbin/mosquitto');
  });
});

describe.skipIf(!MOSQUITTO)('starting Mosquitto', () => {
  it('on a port another process holds: BROKER_START with the broker log, and the other process keeps it', async () => {
    const holder: Server = createServer((s) => s.end());
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const err = await startMosquitto({ tenant: 'acme', port, startTimeoutMs: 5000 }).then(
        (b) => b.close().then(() => 'started'),
        (e: unknown) => e,
      );
      expect(isCertfleetError(err, 'BROKER_START')).toBe(true);
      expect((err as Error).message).toMatch(/Address already in use/);
      expect(holder.listening).toBe(true);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it.skipIf(mosquittoCommand('mosquitto', 'c').file !== 'setpriv')(
    'ends with the process that started it, even one killed with SIGKILL',
    async () => {
      // a process that starts Mosquitto (as `certfleet broker --mosquitto` does), prints its pid, and waits
      const script = `
        import { startMosquitto } from './simulator/broker/mosquitto.ts';
        const b = await startMosquitto({ tenant: 'acme' });
        console.log('port ' + b.port);
        setInterval(() => undefined, 1000);
      `;
      const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let dir: string | undefined; // the Mosquitto's folder: the killed parent cannot remove it
      try {
        let out = '';
        parent.stdout.on('data', (b: Buffer) => (out += b.toString()));
        await waitForState('the parent to start Mosquitto', () => /port \d+/.test(out), 20_000);
        const port = /port (\d+)/.exec(out)![1]!;
        const mosquitto = childrenOf(parent.pid!).find((c) => c.dir !== undefined);
        dir = mosquitto?.dir;
        const mosquittoPid = mosquitto?.pid;
        expect(mosquittoPid).toBeGreaterThan(0);
        expect(alive(mosquittoPid!)).toBe(true);
        parent.kill('SIGKILL');
        await waitForState(
          `Mosquitto (pid ${mosquittoPid}, port ${port}) to end with its parent`,
          () => !alive(mosquittoPid!),
          10_000,
        );
      } finally {
        parent.kill('SIGKILL');
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
