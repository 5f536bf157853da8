/**
 * The embedded aedes broker (embedded-broker.ts) in a CHILD PROCESS of the run (`certfleet run --broker
 * child`): the service, the connectors and every device stay in the run's process, on its local control
 * channel, while the broker's side of every MQTT socket — and the broker's CPU — moves to a process of its
 * own. A process may hold at most 20,000 open files here (`ulimit -Hn`): with the embedded broker a run
 * holds two sockets per device (the device's and the broker's end), with this one one per device in each
 * process (README "At scale").
 *
 * Both ends of that split live here:
 * - {@link startChildBroker} (the run): spawns `certfleet broker --child --tenant T` (detached: a Ctrl-C on
 *   the terminal reaches the run, which stops the broker itself once its reports are written), waits for
 *   the port it listens on (127.0.0.1, a free port), and mirrors the run's {@link CredentialTable} into it:
 *   every account added or removed is sent over the IPC channel as its `$7$` hash (never the password),
 *   and {@link BrokerHandle.synced} resolves once the child has applied every change sent — as the
 *   Mosquitto the run starts does with its password file and SIGHUP, without any file: the accounts and
 *   the topic ACL live in the child's memory only, so nothing secret is written to disk and nothing is left
 *   behind, whether the run ends, fails, is interrupted (SIGINT/SIGTERM) or is killed (the child exits when
 *   its IPC channel closes).
 * - {@link serveChildBroker} (the child): the embedded broker with exactly the accounts and the topic ACL
 *   (protocol/wire/topic-acl.ts) of `run`'s embedded broker, until the run says `close` or goes away.
 *
 * MQTT 3.1.1 only (aedes), no TLS: the embedded broker checks device certificates at the run's virtual time,
 * which lives in the run's process (compose/broker.ts refuses `--tls` and `--mqtt-version 5` with it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CertfleetError } from '../../pki/errors.ts';
import type { BrokerRole } from '../../protocol/wire/topic-acl.ts';
import type { BrokerHandle } from './broker-handle.ts';
import { CredentialTable, toCredentialTable, type BrokerAccountInit } from './credential-table.ts';
import { startEmbeddedBroker } from './embedded-broker.ts';

const BIN = fileURLToPath(new URL('../../bin/certfleet.mjs', import.meta.url));

/** A message from the run to the child broker. */
export type ToChildBroker =
  | { type: 'set'; seq: number; role: BrokerRole; name: string; passwordHash: string }
  | { type: 'remove'; seq: number; name: string }
  | { type: 'close' };

/** A message from the child broker to the run. */
export type FromChildBroker =
  { type: 'ready'; port: number } | { type: 'synced'; seq: number } | { type: 'error'; message: string };

/** Options of {@link startChildBroker}. */
export interface ChildBrokerOptions {
  /** The tenant whose topic tree the ACL protects. */
  tenant: string;
  /** The run's accounts (kept in step with the child as they change). */
  credentials?: CredentialTable | Iterable<BrokerAccountInit>;
  /** How long the child has to start listening (wall clock, before the run starts; default 60 s). */
  startTimeoutMs?: number;
  /** The command that starts the child (tests); default `node bin/certfleet.mjs broker --child`. */
  command?: { file: string; args: string[] };
}

/** A running child broker. */
export interface ChildBroker extends BrokerHandle {
  kind: 'child';
  credentials: CredentialTable;
  /** The child's process id. */
  pid: number;
  /** The child's stderr so far (diagnostics). */
  log(): string;
}

/**
 * Starts the embedded broker in a child process and resolves once it listens.
 * @throws CertfleetError BROKER_START when the child exits, fails or does not listen within the start timeout.
 */
export async function startChildBroker(o: ChildBrokerOptions): Promise<ChildBroker> {
  const credentials = toCredentialTable(o.credentials);
  const command = o.command ?? {
    file: process.execPath,
    args: [BIN, 'broker', '--child', '--tenant', o.tenant],
  };
  const child = spawn(command.file, command.args, {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // its own process group: the terminal's Ctrl-C goes to the run, which closes the broker after its reports
    detached: true,
  });
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log = (log + chunk).slice(-64_000);
  });
  const send = (m: ToChildBroker): void => {
    if (child.connected) child.send(m);
  };

  // every account sent in order; `synced` waits for the child's acknowledgement of the last one
  let sent = 0;
  let acked = 0;
  let waiters: { seq: number; resolve: () => void }[] = [];
  const push = (name: string): void => {
    const account = credentials.get(name);
    sent += 1;
    if (account) send({ type: 'set', seq: sent, ...account.identity, passwordHash: account.passwordHash });
    else send({ type: 'remove', seq: sent, name });
  };
  for (const a of credentials.accounts()) push(a.identity.name);
  const stopListening = credentials.onChange(push);

  let exited = false;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      // a broker that is gone applies nothing more: nobody waits on it
      for (const w of waiters) w.resolve();
      waiters = [];
      resolve();
    });
  });
  const timeoutMs = o.startTimeoutMs ?? 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      if (!exited) child.kill('SIGKILL');
      reject(
        new CertfleetError(
          'BROKER_START',
          `The child broker (${command.file} ${command.args.slice(1).join(' ')}) ${why}. Its log:\n${log.trim().slice(-2000)}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (e) => fail(`could not be started: ${e.message}`));
    child.once('exit', (code, signal) => fail(`exited before it listened (${signal ?? `exit ${code}`})`));
    child.on('message', (m: FromChildBroker) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.port);
      } else if (m.type === 'error') fail(`failed: ${m.message}`);
      else if (m.type === 'synced') {
        acked = Math.max(acked, m.seq);
        const done = waiters.filter((w) => w.seq <= acked);
        waiters = waiters.filter((w) => w.seq > acked);
        for (const w of done) w.resolve();
      }
    });
  }).catch(async (err: unknown) => {
    stopListening();
    await gone;
    throw err;
  });

  let closed = false;
  return {
    kind: 'child',
    url: `mqtt://127.0.0.1:${port}`,
    port,
    credentials,
    pid: child.pid ?? 0,
    log: () => log,
    synced: () =>
      exited || acked >= sent
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ seq: sent, resolve })),
    async close() {
      if (closed) return;
      closed = true;
      stopListening();
      if (exited) return;
      // asked to close (its clients and server), then killed if it does not exit within 5 s
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      send({ type: 'close' });
      if (!child.connected) child.kill('SIGTERM');
      await gone;
      clearTimeout(kill);
    },
  };
}

/**
 * The child's side (`certfleet broker --child`): the embedded broker on 127.0.0.1 and a free port, with the
 * accounts the run sends; resolves once the run has said `close` or gone away and the broker is closed.
 * @throws CertfleetError USAGE when this process was not started with an IPC channel (by `run --broker child`).
 */
export async function serveChildBroker(tenant: string): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    throw new CertfleetError(
      'USAGE',
      '`certfleet broker --child` is started by `certfleet run --broker child`, which sends it its accounts; run `certfleet broker` without --child for a broker of your own.',
    );
  }
  const credentials = new CredentialTable();
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.on('message', (m: ToChildBroker) => {
    if (m.type === 'close') return stop();
    if (m.type === 'set') credentials.set({ role: m.role, name: m.name, passwordHash: m.passwordHash });
    else credentials.remove(m.name);
    send({ type: 'synced', seq: m.seq } satisfies FromChildBroker);
  });
  process.once('disconnect', () => stop());
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  try {
    broker = await startEmbeddedBroker({ tenant, credentials });
  } catch (err) {
    send({ type: 'error', message: (err as Error).message } satisfies FromChildBroker);
    throw err;
  }
  send({ type: 'ready', port: broker.port } satisfies FromChildBroker);
  await stopped;
  await broker.close();
  process.removeAllListeners('message');
  if (process.connected) process.disconnect();
}
