/**
 * `npm run bench -- idle [--agents N] [--key-pool DIR] [--json]`: memory of idle connected agents (issue 11
 * point 3). The broker runs in its own process (`certfleet broker`, embedded aedes, on loopback), so that its
 * memory is measured apart and each process holds one socket per agent (15,000 agents = 15,000 sockets per
 * process, under a 20,000 open-file limit). This process runs the service side and N agents (`certfleet run`
 * against that broker); once every agent is enrolled (management certificate installed) and has installed the
 * trusted root — idle, waiting for its next check-in — both processes' RSS is read (`/proc/<pid>/status`
 * VmRSS), against each one's RSS just before the run. This process collects its garbage before both
 * readings (a full GC, `--expose-gc` set at run time), so that the figure counts what the agents hold,
 * not what the enrolment left for the collector; the broker's readings are as they come.
 *
 * `kibPerAgent` is this process's growth ÷ N: it includes the service side's per-device state (inventory,
 * deliveries, run records), so it is an upper bound for the agent alone. The fleet is macOS, iOS and Android
 * (EC P-256 management keys; Windows devices would add one RSA-2048 key each, which only the time pays).
 *
 * Measured on a shared 2-core machine, `npm run bench -- idle --agents 15000` (issue 11 point 3): 79.7 KiB
 * per agent before the memory work, 38.1 KiB after (JS heap in use 24.7 KiB, external 3.1 KiB); the
 * broker 9.5 → 9.6 KiB per agent. At 1,000 agents RSS moves by ±15 KiB per agent from run to run (the
 * young generation alone is 16–32 MiB): read the 15,000 figure, or the heap figures. `--agents 2000`
 * (load average ~20), before and after a delivery stopped keeping its payload once answered: JS heap in
 * use 31.8 → 31.3 KiB per agent, external 4.0 → 1.8 KiB (RSS 69.1 → 72.0 KiB: within that noise); then
 * `--agents 15000` twice: 50.7 and 34.4 KiB per agent (JS heap in use 24.3 and 24.2 KiB, external 1.0 and
 * 0.9 KiB), the broker 10.9 and 9.9 KiB — the same heap, RSS as far apart as the young generation allows.
 * Then the agents on the lean MQTT client (protocol/transport/lean-mqtt-client.ts, in place of mqtt.js:
 * ~10.6 → ~2.6 KiB per client with its socket, heap snapshots at 1,000 agents): `--agents 2000` JS heap
 * in use 31.6 → 21.6 KiB per agent (RSS 72.7 → 54.5 KiB); `--agents 15000` twice: 21.8 and 30.6 KiB per
 * agent (JS heap in use 15.0 and 15.1 KiB, external 1.0 and 1.0 KiB), the broker 17.3 and 15.4 KiB.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runFleet } from '../simulator/fleet/run-fleet.ts';
import { poolPassphraseFrom } from '../simulator/tools/key-pool/key-pool.ts';
import type { BenchArgs } from './args.ts';

const BIN = resolve(import.meta.dirname, '../bin/certfleet.mjs');

/** The idle suite's scenario: `agents` agents, a trusted root, check-ins a day apart. */
export function idleScenarioYaml(agents: number): string {
  return `name: bench-idle
description: Idle agents — enrolled, trusted root installed, waiting for the next check-in
seed: bench-idle-1
duration: 2h
checkInInterval: 1d
fleet:
  devices: ${agents}
  ramp: 30m
  mix:
    - { platform: macos, kind: device, weight: 1 }
    - { platform: ios, kind: device, weight: 2 }
    - { platform: android, kind: fully-managed, weight: 1 }
connectors: 1
profiles:
  - name: Root
    type: trusted-certificate
    platforms: all
    certificate: root
`;
}

/** The idle suite's result (`--json`). */
export interface IdleBench {
  agents: number;
  kibPerAgent: number;
  brokerKibPerAgent: number;
  /** Agents enrolled with the root installed when measured (should be `agents`). */
  idleAgents: number;
  rssKiB: { before: number; idle: number };
  brokerRssKiB: { before: number; idle: number };
  /**
   * Of `kibPerAgent`, the growth of the JavaScript heap in use and of memory outside it (buffers, native
   * objects: `process.memoryUsage()` heapUsed and external) ÷ N; the rest is the heap's free room, the
   * sockets and what native code allocates.
   */
  heapKibPerAgent: number;
  externalKibPerAgent: number;
}

function vmRssKiB(pid: number | 'self'): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** A full garbage collection (`--expose-gc` set at run time; a new context then has `gc`). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Holds `agents` connected idle agents against a broker in its own process and measures both sides. */
export async function measureIdle(o: {
  agents: number;
  keyPool?: { dir: string; passphrase: string };
}): Promise<IdleBench> {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-bench-idle-'));
  const secret = randomBytes(32).toString('hex');
  const broker = spawn(process.execPath, [BIN, 'broker', '--host', '127.0.0.1', '--port', '0'], {
    env: { ...process.env, CERTFLEET_FLEET_SECRET: secret, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      broker.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (mqtt:\/\/\S+)/.exec(out);
        if (m) ok(m[1] as string);
      });
      broker.once('exit', (code) => fail(new Error(`certfleet broker exited (${String(code)}): ${out}`)));
    });
    collectGarbage();
    const before = vmRssKiB('self');
    const usageBefore = process.memoryUsage();
    const brokerBefore = vmRssKiB(broker.pid as number);
    let idle: { self: number; broker: number; agents: number; usage: NodeJS.MemoryUsage } | undefined;
    await runFleet({
      scenario: { text: idleScenarioYaml(o.agents), file: 'bench-idle.yaml', baseDir: work },
      out: join(work, 'run'),
      broker: { type: 'external', url },
      fleetSecret: Buffer.from(secret, 'utf8'),
      ...(o.keyPool ? { keyPool: o.keyPool } : {}),
      onProgress: (p) => {
        if (idle || p.answered < o.agents) return;
        collectGarbage();
        idle = {
          self: vmRssKiB('self'),
          broker: vmRssKiB(broker.pid as number),
          agents: p.enrolled,
          usage: process.memoryUsage(),
        };
      },
    });
    if (!idle) throw new Error('the agents never all installed the root: no idle moment to measure');
    return {
      agents: o.agents,
      kibPerAgent: (idle.self - before) / o.agents,
      brokerKibPerAgent: (idle.broker - brokerBefore) / o.agents,
      idleAgents: idle.agents,
      rssKiB: { before, idle: idle.self },
      brokerRssKiB: { before: brokerBefore, idle: idle.broker },
      heapKibPerAgent: (idle.usage.heapUsed - usageBefore.heapUsed) / 1024 / o.agents,
      externalKibPerAgent: (idle.usage.external - usageBefore.external) / 1024 / o.agents,
    };
  } finally {
    broker.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run bench -- idle`. */
export async function benchIdle(args: BenchArgs): Promise<void> {
  const b = await measureIdle({
    agents: args.agents,
    ...(args.keyPool !== undefined
      ? { keyPool: { dir: args.keyPool, passphrase: poolPassphraseFrom(process.env) } }
      : {}),
  });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(b, null, 2)}\n`);
    return;
  }
  const row = (label: string, value: string): string => `  ${label.padEnd(56)} ${value}\n`;
  process.stdout.write(
    row('idle connected agents (enrolled, root installed)', `${b.idleAgents} of ${b.agents}`) +
      row(
        'memory per agent, agent side (this process, incl. service)',
        `${b.kibPerAgent.toFixed(1)} KiB  (${(b.rssKiB.before / 1024).toFixed(0)} → ${(b.rssKiB.idle / 1024).toFixed(0)} MiB)`,
      ) +
      row(
        '  of which JS heap in use / buffers and native objects',
        `${b.heapKibPerAgent.toFixed(1)} KiB / ${b.externalKibPerAgent.toFixed(1)} KiB`,
      ) +
      row(
        'memory per agent, broker side (its own process)',
        `${b.brokerKibPerAgent.toFixed(1)} KiB  (${(b.brokerRssKiB.before / 1024).toFixed(0)} → ${(b.brokerRssKiB.idle / 1024).toFixed(0)} MiB)`,
      ),
  );
}
