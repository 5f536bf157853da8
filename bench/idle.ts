/**
 * `npm run bench -- idle [--agents N] [--key-pool DIR] [--json]`: memory of idle connected agents (issue 11
 * point 3), in three processes measured apart. The broker runs in its own process (`certfleet broker`,
 * embedded aedes, on loopback); the run is the split engine with one agent host (`run --workers 1`,
 * simulator/fleet/run-workers.ts): this process is the coordinator — the service side (MDM service, CA,
 * connector, run records) — and the N agents run in the agent host child (`certfleet agents`), which holds
 * nothing of the service. Each process holds one socket per agent (15,000 agents = 15,000 sockets in the host
 * and in the broker, under the 20,000 open-file limit; this process holds only its own clients).
 *
 * Two moments are read: when the host has joined the coordinator (modules loaded, stores open, no device
 * started) and when every agent is enrolled (management certificate installed) and has installed the trusted
 * root — idle, waiting for its next check-in (at the close of that virtual instant, every side idle). At
 * each, this process collects its garbage (a full GC, `--expose-gc` set at run time) and reads its VmRSS
 * (`/proc/self/status`); it sends the host SIGUSR2, and the host — started with `NODE_OPTIONS=--expose-gc
 * --import bench/idle-probe.mjs` — collects its own garbage and writes its VmRSS, heap in use and external
 * memory to a file; the broker's VmRSS is read as it comes (`/proc/<pid>/status`). The signal reaches the
 * host before the coordinator's next instant does, and the agents stay idle until the run ends (check-ins
 * a day apart, a two-hour run). Each side's figure is its growth between the two moments ÷ N:
 * `kibPerAgent` the agent host's (the agents alone), `serviceKibPerAgent` this process's (the service's
 * per-device state: inventory, deliveries, records), `brokerKibPerAgent` the broker's. The fleet is macOS,
 * iOS and Android (EC P-256 management keys; Windows devices would add one RSA-2048 key each, which only
 * the time pays).
 *
 * Before the split measurement the bench ran the service side and the agents in ONE process
 * (`runFleet`), so its `kibPerAgent` included the service's per-device state — an upper bound for the
 * agent; the figures below up to "Then the split measurement" are of that method.
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
 *
 * Then the split measurement (this method), `--agents 2000` (load average 3–9, other sessions running):
 * before the cuts below, agent side 36.3 KiB per agent (JS heap in use 7.5, external 1.8), service side
 * 16.9, broker side 12.4. Heap snapshots of the agent host at 2,000 agents (joined → idle, growth per
 * agent): 8.2 → 6.4 KB, of which ~1.5 KB is compiled code (not per agent): a timer is its own cancel handle
 * (simulator/clock/virtual-clock.ts), the keyed scheduler and the hosted agent's options are classes
 * (compose/fleet-context.ts, compose/agent-host.ts) — 16 → 11 closures per agent, and none of the five
 * 256-byte property arrays tsx gave the named ones. After, four runs: agent side 20.4, 33.5, 32.8 and 32.9
 * KiB per agent (JS heap in use 5.7–6.0, external 0.9–1.8), service side 11.5–25.4, broker side 13.9–27.6.
 * What moves the agent side's RSS is not what the agents hold: V8's heap as committed grows 21 KiB per
 * agent against 6 in use (old-space pages the enrolments' garbage left part-filled after a full GC; the
 * young generation is at its full 32 MiB at both readings), and ~10 KiB is native memory beside it.
 * `--agents 15000` (load average ~7, 3 min 11 s), before → after the cuts: agent side 19.9 → **14.3 KiB**
 * per agent (JS heap in use 5.5 → 3.8, external 0.2 → 0.1; after: heap committed 9.6, 230 → 439 MiB),
 * service side 8.2 → 9.6, broker side 10.8 → 11.1 (the one-process figure before this session: 25.9,
 * service included).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runWorkers } from '../simulator/fleet/run-workers.ts';
import { poolPassphraseFrom } from '../simulator/tools/key-pool/key-pool.ts';
import type { BenchArgs } from './args.ts';

const BIN = resolve(import.meta.dirname, '../bin/certfleet.mjs');
const PROBE = resolve(import.meta.dirname, 'idle-probe.mjs');

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

/** One reading of a process: VmRSS (KiB) and, after a full GC, the JS heap in use and external memory (bytes). */
export interface ProcessReading {
  rssKiB: number;
  heapUsed: number;
  external: number;
  /** V8's heap as committed (bytes; the agent host's probe reads it): in use and free room. */
  heapTotal?: number;
  /** V8's young generation, committed (bytes; the agent host's probe reads it). */
  youngGeneration?: number;
}

/** The idle suite's result (`--json`). */
export interface IdleBench {
  agents: number;
  /** Agent side: the agent host process's growth ÷ N (it holds the agents and nothing of the service). */
  kibPerAgent: number;
  /** Service side: this process's growth ÷ N (MDM service, CA, connector, run records: the coordinator). */
  serviceKibPerAgent: number;
  /** Broker side: the broker process's growth ÷ N. */
  brokerKibPerAgent: number;
  /** Agents enrolled with the root installed when measured (should be `agents`). */
  idleAgents: number;
  /** The agent host's RSS (KiB) just before its devices started, and with every agent idle. */
  rssKiB: { before: number; idle: number };
  serviceRssKiB: { before: number; idle: number };
  brokerRssKiB: { before: number; idle: number };
  /**
   * Of `kibPerAgent`, the growth of the agent host's JavaScript heap in use and of memory outside it (buffers,
   * native objects: `process.memoryUsage()` heapUsed and external) ÷ N; the rest is the heap's free room,
   * the sockets and what native code allocates.
   */
  heapKibPerAgent: number;
  externalKibPerAgent: number;
  /** Of `kibPerAgent`, the growth of the agent host's V8 heap as committed (in use and free room) ÷ N. */
  heapCommittedKibPerAgent: number;
  /**
   * Of `kibPerAgent`, the growth of the agent host's young generation ÷ N: V8 grows its semi-spaces with
   * the allocation rate (the enrolments), to tens of MiB whatever the agents hold — at 2,000 agents that
   * alone can be 10 KiB per agent, at 15,000 about 2.
   */
  youngGenerationKibPerAgent: number;
  /** The same for the service side (this process). */
  serviceHeapKibPerAgent: number;
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

function readSelf(): ProcessReading {
  collectGarbage();
  const u = process.memoryUsage();
  return { rssKiB: vmRssKiB('self'), heapUsed: u.heapUsed, external: u.external };
}

/** The probe's readings of the agent host so far (bench/idle-probe.mjs: one JSON line per SIGUSR2). */
function probeReadings(file: string): ProcessReading[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ProcessReading);
}

/** Waits (wall clock, up to `ms`) until the probe file holds `count` readings. */
async function awaitReadings(file: string, count: number, ms: number): Promise<ProcessReading[]> {
  const until = Date.now() + ms;
  for (;;) {
    const r = probeReadings(file);
    if (r.length >= count || Date.now() > until) return r;
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** Holds `agents` connected idle agents in an agent host process against a broker in its own process, and measures the three sides. */
export async function measureIdle(o: {
  agents: number;
  keyPool?: { dir: string; passphrase: string };
}): Promise<IdleBench> {
  const work = mkdtempSync(join(tmpdir(), 'certfleet-bench-idle-'));
  const secret = randomBytes(32).toString('hex');
  const probeFile = join(work, 'agent-host-probe.jsonl');
  const scenarioFile = join(work, 'bench-idle.yaml');
  writeFileSync(scenarioFile, idleScenarioYaml(o.agents));
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
    let hostPid: number | undefined;
    let service: { before: ProcessReading; idle?: ProcessReading } | undefined;
    let brokerBefore = Number.NaN;
    let idle: { broker: number; agents: number } | undefined;
    const signalHost = (): void => {
      if (hostPid !== undefined) process.kill(hostPid, 'SIGUSR2');
    };
    await runWorkers({
      scenario: scenarioFile,
      workers: 1,
      out: join(work, 'run'),
      broker: { url, secret: Buffer.from(secret, 'utf8') },
      hostEnv: {
        CERTFLEET_IDLE_PROBE_OUT: probeFile,
        NODE_OPTIONS:
          `${process.env.NODE_OPTIONS ?? ''} --expose-gc --import ${pathToFileURL(PROBE).href}`.trim(),
      },
      onHostsStarted: (pids) => (hostPid = pids[0]),
      ...(o.keyPool ? { keyPool: o.keyPool } : {}),
      // the host has loaded, opened its stores and joined; its devices start with the first instant
      onHostJoined: () => {
        if (service) return;
        signalHost();
        service = { before: readSelf() };
        brokerBefore = vmRssKiB(broker.pid as number);
      },
      // every side idle at the close of an instant: the host reads itself before the next one begins
      onProgress: (p) => {
        if (idle || !service || p.answered < o.agents) return;
        signalHost();
        service.idle = readSelf();
        idle = { broker: vmRssKiB(broker.pid as number), agents: p.enrolled };
      },
    });
    if (!idle || !service?.idle) {
      throw new Error('the agents never all installed the root: no idle moment to measure');
    }
    const [hostBefore, hostIdle] = await awaitReadings(probeFile, 2, 10_000);
    if (!hostBefore || !hostIdle) {
      throw new Error(`the agent host's memory probe wrote no reading for both moments (${probeFile})`);
    }
    const n = o.agents;
    return {
      agents: n,
      kibPerAgent: (hostIdle.rssKiB - hostBefore.rssKiB) / n,
      serviceKibPerAgent: (service.idle.rssKiB - service.before.rssKiB) / n,
      brokerKibPerAgent: (idle.broker - brokerBefore) / n,
      idleAgents: idle.agents,
      rssKiB: { before: hostBefore.rssKiB, idle: hostIdle.rssKiB },
      serviceRssKiB: { before: service.before.rssKiB, idle: service.idle.rssKiB },
      brokerRssKiB: { before: brokerBefore, idle: idle.broker },
      heapKibPerAgent: (hostIdle.heapUsed - hostBefore.heapUsed) / 1024 / n,
      externalKibPerAgent: (hostIdle.external - hostBefore.external) / 1024 / n,
      heapCommittedKibPerAgent: ((hostIdle.heapTotal ?? 0) - (hostBefore.heapTotal ?? 0)) / 1024 / n,
      youngGenerationKibPerAgent:
        ((hostIdle.youngGeneration ?? 0) - (hostBefore.youngGeneration ?? 0)) / 1024 / n,
      serviceHeapKibPerAgent: (service.idle.heapUsed - service.before.heapUsed) / 1024 / n,
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
        'memory per agent, agent side (the agent host process)',
        `${b.kibPerAgent.toFixed(1)} KiB  (${(b.rssKiB.before / 1024).toFixed(0)} → ${(b.rssKiB.idle / 1024).toFixed(0)} MiB)`,
      ) +
      row(
        '  of which JS heap in use / buffers and native objects',
        `${b.heapKibPerAgent.toFixed(1)} KiB / ${b.externalKibPerAgent.toFixed(1)} KiB`,
      ) +
      row(
        '  of which V8 heap committed (in use and free room)',
        `${b.heapCommittedKibPerAgent.toFixed(1)} KiB`,
      ) +
      row(
        '  of which V8 young generation (grows with allocation rate)',
        `${b.youngGenerationKibPerAgent.toFixed(1)} KiB`,
      ) +
      row(
        'memory per agent, service side (this process)',
        `${b.serviceKibPerAgent.toFixed(1)} KiB  (${(b.serviceRssKiB.before / 1024).toFixed(0)} → ${(b.serviceRssKiB.idle / 1024).toFixed(0)} MiB; JS heap in use ${b.serviceHeapKibPerAgent.toFixed(1)} KiB)`,
      ) +
      row(
        'memory per agent, broker side (its own process)',
        `${b.brokerKibPerAgent.toFixed(1)} KiB  (${(b.brokerRssKiB.before / 1024).toFixed(0)} → ${(b.brokerRssKiB.idle / 1024).toFixed(0)} MiB)`,
      ),
  );
}
