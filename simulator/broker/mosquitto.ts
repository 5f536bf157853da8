/**
 * A Mosquitto 2.x broker started by the project (CI runs the end-to-end suite against it): writes
 * `mosquitto.conf`, a password file (the `$7$` PBKDF2-SHA512 hashes of password-hash.ts, the format
 * `mosquitto_passwd` writes) and an ACL file rendering the topic ACL of protocol/wire/topic-acl.ts for
 * one tenant, starts `mosquitto -c mosquitto.conf` on a free loopback port (so that it ends with this
 * process, even a killed one: {@link mosquittoCommand}), waits until its log says it is running and it
 * accepts connections, and on close stops it and removes its folder. Credential changes rewrite both files and
 * send SIGHUP (Mosquitto reloads them); {@link BrokerHandle.synced} waits for the reload.
 *
 * Isolation (issue 10): every listener has `use_username_as_clientid true`, so a client's id is its login
 * (on the client-certificate listener, the certificate's CN): a device that connects with another
 * device's client id gets its own session, and cannot take over, or with a clean session destroy, the
 * other's. `retain_available false`: certfleet uses no retained messages, and Mosquitto 2.0 has no
 * per-topic retain ACL, so a client that publishes a retained message is disconnected and nothing is
 * retained for later subscribers (a device could otherwise plant one on its `out/` topic, replayed to
 * every later service subscriber).
 *
 * Sessions live in memory (`persistence false`): QoS 1 messages for an offline persistent session are kept
 * for as long as this broker runs, which is what a run needs — or, with `persistenceDir`
 * (`certfleet broker --mosquitto --data DIR`), in Mosquitto's persistence database there, across restarts.
 *
 * With `tls` (`certfleet run --tls --broker mosquitto`), `per_listener_settings true` and two TLS listeners,
 * both trusting the run CA (root + issuing) and presenting the broker certificate of tls-setup.ts:
 * - the password listener ({@link BrokerHandle.url}): service, connectors, and devices enrolling by
 *   password — these with the enroll-only ACL of topic-acl.ts;
 * - the device listener ({@link BrokerHandle.deviceTlsUrl}): `require_certificate true` and
 *   `use_identity_as_username true`, so the user name is the certificate's subject CN, which is the device
 *   id (the MDM service issues management certificates with `CN={device id}`, mdm-service.ts); only the
 *   device `pattern` lines apply there.
 * Mosquitto (OpenSSL) checks certificate dates against the wall clock, not the run's virtual clock: see
 * simulator/fleet/wall-clock-start.ts.
 * @see https://mosquitto.org/man/mosquitto-conf-5.html (password_file, acl_file, pattern, %u,
 *   use_username_as_clientid, retain_available, per_listener_settings, cafile, certfile, keyfile, require_certificate, use_identity_as_username)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { CertfleetError } from '../../pki/errors.ts';
import { aclPrefix } from '../../protocol/wire/topic-acl.ts';
import { tenantRoot } from '../../protocol/wire/topics.ts';
import { makeScratchDir } from '../scratch-dir.ts';
import type { BrokerHandle } from './broker-handle.ts';
import { toCredentialTable, type BrokerAccountInit, type CredentialTable } from './credential-table.ts';
import { freePort } from './free-port.ts';

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  tenant: string;
  credentials?: CredentialTable | Iterable<BrokerAccountInit>;
  /** The mosquitto binary (default: `mosquitto` on PATH, else /usr/sbin/mosquitto). */
  binary?: string;
  /** How long to wait for the broker to accept connections (default 10 s). */
  startTimeoutMs?: number;
  /** TLS listeners (password and client-certificate), see the file comment. */
  tls?: MosquittoTls;
  /** The interface the (main) listener binds to (default 127.0.0.1; `0.0.0.0` for other machines). */
  host?: string;
  /** The port of the (main) listener (default 0: a free one). */
  port?: number;
  /**
   * A folder for Mosquitto's persistence database (`persistence true`, `persistence_location`): persistent
   * sessions and their queued messages survive a restart on the same folder (kept on close). Mosquitto 2.0
   * writes it whole, as a snapshot: here at the end of every pass of its event loop that changed something
   * (`autosave_on_changes true` with `autosave_interval 1`: a session opened, a subscription, a message
   * queued or acknowledged — mosquitto.conf(5)), and on a clean stop. A SIGKILL therefore loses only what the
   * pass it interrupts changed: once a client has had an answer to a later packet, what it did before is on
   * disk. (Saved every second instead, a device's session opened in the last second before a SIGKILL was
   * gone after the restart, and a message the service then published to that device was acknowledged and
   * dropped for want of a subscriber: a run stalled with RUN_STALLED.) The cost is one write of the whole
   * database per busy pass, growing with the sessions and queued messages it holds.
   */
  persistenceDir?: string;
}

/** The TLS material of a Mosquitto started with `tls` (PEM; written to its folder with mode 0600). */
export interface MosquittoTls {
  /** The CA chain clients are checked against (root + issuing). */
  ca: string | Buffer;
  /** The broker certificate (with its chain). */
  cert: string | Buffer;
  /** The broker's private key (never logged). */
  key: string | Buffer;
}

/** A running Mosquitto started by {@link startMosquitto}. */
export interface MosquittoBroker extends BrokerHandle {
  kind: 'mosquitto';
  credentials: CredentialTable;
  /** The folder holding mosquitto.conf, the password and ACL files (removed on close). */
  dir: string;
  /** The broker's log so far (stderr), for diagnostics. */
  log(): string;
}

/** The path of the mosquitto binary, or undefined when it is not installed. */
export function findMosquitto(binary?: string): string | undefined {
  const candidates = binary ? [binary] : ['mosquitto', '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];
  for (const c of candidates) {
    const r = spawnSync(c, ['-h'], { stdio: 'ignore' });
    // `mosquitto -h` prints usage and exits 3; ENOENT when absent
    if (!r.error) return c;
  }
  return undefined;
}

/** Whether util-linux's `setpriv` runs here (looked up once; see {@link mosquittoCommand}). */
let setprivFound: boolean | undefined;

/**
 * The command that starts Mosquitto so that it ends with this process, however this process ends. Under
 * util-linux's `setpriv --pdeathsig KILL` (Linux; `util-linux` is an essential Debian package), the kernel
 * sends Mosquitto SIGKILL when the thread that started it exits: a `certfleet broker --mosquitto` or a
 * `run --broker mosquitto` killed with SIGKILL leaves no Mosquitto behind holding its port, so the same
 * command started again starts a new Mosquitto, which reads the persistence database, as a restarted broker
 * does. setpriv execs Mosquitto, so the child's pid is Mosquitto's (SIGHUP reloads reach it). Without
 * setpriv, Mosquitto is started directly and outlives a killed parent.
 * @see https://man7.org/linux/man-pages/man1/setpriv.1.html (--pdeathsig)
 * @see https://man7.org/linux/man-pages/man2/PR_SET_PDEATHSIG.2const.html
 */
export function mosquittoCommand(binary: string, conf: string): { file: string; args: string[] } {
  setprivFound ??= !spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).error;
  return setprivFound
    ? { file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', binary, '-c', conf] }
    : { file: binary, args: ['-c', conf] };
}

/**
 * Whether a Mosquitto's log says it opened its listeners: `mosquitto version X running` comes after
 * every listener is bound (`Opening ipv4 listen socket on port P.`); one that cannot bind logs `Error:
 * Address already in use` and exits instead. Connecting to the port is not proof: another process may be
 * listening there.
 */
export function mosquittoRunning(log: string): boolean {
  return /mosquitto version \S+ running/.test(log);
}

/** The password file: one `name:$7$…` line per account. */
export function renderPasswordFile(credentials: CredentialTable): string {
  return credentials
    .accounts()
    .map((a) => `${a.identity.name}:${a.passwordHash}\n`)
    .join('');
}

/** Which device rules an ACL file carries (see {@link renderAclFile}). */
export interface AclFileOptions {
  /** Devices get the enroll-only rules (password listener of a TLS broker). */
  devicesEnrollOnly?: boolean;
  /** Only the device `pattern` lines, no user blocks (the client-certificate listener). */
  devicesOnly?: boolean;
}

/**
 * The ACL file: the rules of topic-acl.ts for `tenant` (pattern lines for devices, user blocks else). The
 * device lines are {@link aclPrefix} for the user name `%u` (Mosquitto substitutes it) and each user block
 * is {@link aclPrefix} of its account (write and read), so both brokers apply the same rules; `#` also matches the prefix itself (MQTT 3.1.1 §4.7.1.2), as topic-filter.ts does.
 */
export function renderAclFile(tenant: string, credentials: CredentialTable, o: AclFileOptions = {}): string {
  tenantRoot(tenant); // validates the tenant
  const device = { role: 'device', name: '%u', enrollOnly: o.devicesEnrollOnly === true } as const;
  const lines = [
    '# certfleet topic ACL (protocol/wire/topic-acl.ts), generated: do not edit.',
    o.devicesEnrollOnly
      ? '# Devices by password (user name = device id): enrolment only, their own topics.'
      : '# Devices (user name = device id): publish under out/, subscribe to in/, their own only.',
    `pattern write ${aclPrefix(tenant, device, 'publish')}/#`,
    `pattern read ${aclPrefix(tenant, device, 'subscribe')}/#`,
    '',
  ];
  if (o.devicesOnly) return `${lines.join('\n')}\n`;
  for (const a of credentials.accounts()) {
    if (a.identity.role === 'device') continue;
    const write = aclPrefix(tenant, a.identity, 'publish');
    const read = aclPrefix(tenant, a.identity, 'subscribe');
    lines.push(`user ${a.identity.name}`);
    if (write === read) lines.push(`topic readwrite ${write}/#`);
    else lines.push(`topic write ${write}/#`, `topic read ${read}/#`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** The listener ports of a broker: one, or (TLS) the password and the client-certificate listener. */
interface Ports {
  main: number;
  device?: number;
}

function renderConf(dir: string, ports: Ports, tls: boolean, host: string, persistenceDir?: string): string {
  const auth = [
    'allow_anonymous false',
    // the client id is the login: no device can take another's session (per listener)
    'use_username_as_clientid true',
    `password_file ${join(dir, 'passwd')}`,
    `acl_file ${join(dir, 'acl')}`,
  ];
  const tlsFiles = [
    `cafile ${join(dir, 'ca.pem')}`,
    `certfile ${join(dir, 'broker.pem')}`,
    `keyfile ${join(dir, 'broker.key')}`,
  ];
  const listeners = tls
    ? [
        // per listener: each listener its own authentication and ACL (mosquitto.conf(5), per_listener_settings)
        'per_listener_settings true',
        `listener ${ports.main} ${host}`,
        ...auth,
        ...tlsFiles,
        'require_certificate false',
        `listener ${ports.device} ${host}`,
        // no password file here: the client certificate is the login, its subject CN the user name
        'allow_anonymous false',
        `acl_file ${join(dir, 'acl-devices')}`,
        ...tlsFiles,
        'require_certificate true',
        'use_identity_as_username true',
        'use_username_as_clientid true',
      ]
    : [`listener ${ports.main} ${host}`, ...auth];
  return [
    ...listeners,
    ...(persistenceDir !== undefined
      ? [
          'persistence true',
          `persistence_location ${persistenceDir}/`,
          'autosave_on_changes true',
          'autosave_interval 1',
        ]
      : ['persistence false']),
    // no retained messages: certfleet needs none, and a device must not plant one for later subscribers
    'retain_available false',
    // 0 = no limit on QoS 1 messages queued per offline persistent session (the default 1000 drops)
    'max_queued_messages 0',
    // small MQTT packets that wait on each other: no Nagle delay (~40 ms per round trip on loopback)
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    // run as the current user even as root (Mosquitto otherwise drops to the `mosquitto` user)
    ...(process.getuid?.() === 0 ? [`user ${userInfo().username}`] : []),
    '',
  ].join('\n');
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The name of a started Mosquitto's folder in the temporary folder: this, the process id, a dash, random. */
export const MOSQUITTO_DIR_PREFIX = 'certfleet-mosquitto-';

/**
 * Starts Mosquitto for `tenant` on `host:port` (default: a free loopback port).
 *
 * @example
 * const broker = await startMosquitto({ tenant: 'acme', credentials: [{ role: 'service', name: 'svc', password }] });
 * broker.credentials.set({ role: 'device', name: 'dev-1', password: p });
 * await broker.synced(); // the reload happened: dev-1 can connect
 */
export async function startMosquitto(o: MosquittoOptions): Promise<MosquittoBroker> {
  const binary = findMosquitto(o.binary);
  if (!binary) {
    throw new CertfleetError(
      'BROKER_START',
      'The mosquitto binary was not found. Install it (Debian: apt-get install mosquitto) or use the embedded broker.',
    );
  }
  const credentials = toCredentialTable(o.credentials);
  const persistenceDir = o.persistenceDir !== undefined ? resolve(o.persistenceDir) : undefined;
  if (persistenceDir !== undefined) await mkdir(persistenceDir, { recursive: true, mode: 0o700 });
  // its folder (password file, ACL, TLS key) is named after this process: the next Mosquitto started here
  // removes the folder of a run killed before it could (SIGKILL)
  let dir: string;
  try {
    dir = makeScratchDir(tmpdir(), MOSQUITTO_DIR_PREFIX);
  } catch (cause) {
    throw new CertfleetError(
      'BROKER_START',
      `Cannot make Mosquitto's folder in ${tmpdir()}: ${(cause as Error).message}. Check that the temporary folder (TMPDIR) is writable.`,
      { cause },
    );
  }
  await chmod(dir, 0o700);
  const tls = o.tls;
  const writeAuthFiles = async (): Promise<void> => {
    await writeFile(join(dir, 'passwd'), renderPasswordFile(credentials), { mode: 0o600 });
    await writeFile(
      join(dir, 'acl'),
      renderAclFile(o.tenant, credentials, { devicesEnrollOnly: tls !== undefined }),
      { mode: 0o600 },
    );
    if (tls) {
      await writeFile(join(dir, 'acl-devices'), renderAclFile(o.tenant, credentials, { devicesOnly: true }), {
        mode: 0o600,
      });
    }
  };
  await writeAuthFiles();
  if (tls) {
    await writeFile(join(dir, 'ca.pem'), tls.ca, { mode: 0o600 });
    await writeFile(join(dir, 'broker.pem'), tls.cert, { mode: 0o600 });
    await writeFile(join(dir, 'broker.key'), tls.key, { mode: 0o600 });
  }

  let log = '';
  let child: ChildProcess | undefined;
  let ports: Ports = { main: 0 };
  const timeout = o.startTimeoutMs ?? 10_000;
  const host = o.host ?? '127.0.0.1';
  // where this process reaches the broker: loopback when it listens on every interface
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const fixedPort = o.port !== undefined && o.port !== 0 ? o.port : undefined;
  const allUp = async (): Promise<boolean> =>
    (await canConnect(ports.main, reach)) &&
    (ports.device === undefined || (await canConnect(ports.device, reach)));
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    const main = fixedPort ?? (await freePort());
    let device = tls ? await freePort() : undefined;
    while (device === main) device = await freePort();
    ports = { main, ...(device !== undefined ? { device } : {}) };
    await writeFile(
      join(dir, 'mosquitto.conf'),
      renderConf(dir, ports, tls !== undefined, host, persistenceDir),
      {
        mode: 0o600,
      },
    );
    const command = mosquittoCommand(binary, join(dir, 'mosquitto.conf'));
    const c = spawn(command.file, command.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.setEncoding('utf8');
    let own = ''; // this attempt's log: whether this Mosquitto, not another process, holds the ports
    c.stderr?.on('data', (chunk: string) => {
      log = (log + chunk).slice(-64_000);
      if (own.length < 64_000) own += chunk;
    });
    let exited = false;
    c.once('exit', () => (exited = true));
    c.once('error', () => (exited = true));
    const up = async (): Promise<boolean> => mosquittoRunning(own) && (await allUp());
    const deadline = Date.now() + timeout;
    while (!exited && Date.now() < deadline && !(await up())) await sleep(25);
    if (!exited && (await up())) child = c;
    else {
      c.kill('SIGKILL');
      // not a port race (or a port the caller chose, which another attempt cannot change): stop here
      if (fixedPort !== undefined || !/Address already in use/i.test(log)) break;
    }
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw new CertfleetError(
      'BROKER_START',
      `Mosquitto (${binary}) did not start on ${host}:${ports.main}${ports.device ? ` and :${ports.device}` : ''} within ${timeout} ms. Its log:\n${log.trim().slice(-2000)}`,
    );
  }
  const proc = child;

  // Credential changes: rewrite, then SIGHUP; `synced()` waits for the reload line of each signal.
  let pending: Promise<void> = Promise.resolve();
  const reload = async (): Promise<void> => {
    await writeAuthFiles();
    const before = (log.match(/Reloading config/g) ?? []).length;
    proc.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    while ((log.match(/Reloading config/g) ?? []).length <= before && Date.now() < deadline) await sleep(10);
  };
  const stop = credentials.onChange(() => {
    pending = pending.then(reload, reload);
  });

  let closed = false;
  return {
    kind: 'mosquitto',
    url: `${tls ? 'mqtts' : 'mqtt'}://${host}:${ports.main}`,
    port: ports.main,
    ...(ports.device !== undefined ? { deviceTlsUrl: `mqtts://${host}:${ports.device}` } : {}),
    credentials,
    dir,
    log: () => log,
    synced: () => pending,
    async close() {
      if (closed) return;
      closed = true;
      stop();
      await pending.catch(() => undefined);
      await new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
