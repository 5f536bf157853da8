/**
 * The embedded broker: aedes 1.x in-process, on real TCP (or TLS) on 127.0.0.1, on a free port. It speaks
 * MQTT 3.1.1 only (an MQTT 5 CONNECT gets CONNACK "unacceptable protocol version").
 *
 * - Authentication: by user name + password against a {@link CredentialTable} (updatable while running),
 *   or, with `tls`, by a client certificate signed by the given CA, mapped to an identity (its subject CN by
 *   default). A device must connect with its device id as client id (its persistent session is its own).
 * - Authorization: the topic ACL of protocol/wire/topic-acl.ts. A refused subscription gets SUBACK 0x80;
 *   a refused publish is acknowledged and dropped (MQTT 3.1.1 §3.3.5 allows either that or closing the
 *   connection; Mosquitto drops too, so both brokers behave alike) and recorded in `denials`.
 * - No retained messages (issue 10): certfleet needs none, and a device must not leave one on its `out/`
 *   topic for every later service subscriber. A publish with RETAIN set is refused the same way (dropped,
 *   recorded with reason `retain`), from every client, as Mosquitto's `retain_available false` refuses it
 *   (by closing the connection) on every listener.
 * - A client id is bound to the login: a device must use its device id (CONNACK 2 otherwise), so it
 *   cannot take over another device's session; aedes checks this in `authenticate`.
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { CertfleetError } from '../../pki/errors.ts';
import { aclAllows, type BrokerIdentity } from '../../protocol/wire/topic-acl.ts';
import { tenantRoot } from '../../protocol/wire/topics.ts';
import type { BrokerHandle } from './broker-handle.ts';
import { guardPacketIds, type GuardedPersistence } from './packet-id-guard.ts';
import { memoryPersistence, sqlitePersistence } from './sqlite-persistence.ts';
import { toCredentialTable, type BrokerAccountInit, type CredentialTable } from './credential-table.ts';

/** TLS settings of the embedded broker (PEM). */
export interface EmbeddedBrokerTls {
  /** The CA whose certificates clients must present (the CA that issues management certificates). */
  ca: string | Buffer;
  /** The broker's server certificate and key (its SAN should name 127.0.0.1 / localhost). */
  cert: string | Buffer;
  key: string | Buffer;
  /** The identity name a client certificate stands for; default its subject CN. */
  identityOf?: (cert: PeerCertificate) => string | undefined;
  /**
   * Let clients without a certificate authenticate by password over TLS: devices then may only enrol
   * (publish `out/enroll`, receive `in/enrolled`) and reconnect with their management certificate.
   */
  passwordEnrollment?: boolean;
  /**
   * Judges a client certificate (DER) instead of Node's TLS check, which uses the wall clock: a fleet run
   * on a virtual clock verifies client certificates at virtual time (pki verifyChain).
   */
  verifyClient?: (certificateDer: Buffer) => boolean;
}

/** A refused publish or subscription. */
export interface AclDenial {
  clientId: string;
  identity: BrokerIdentity;
  action: 'publish' | 'subscribe';
  topic: string;
  /** Why: outside the topic ACL, or a retained publish (refused on every topic). */
  reason: 'acl' | 'retain';
}

/** Options of {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** The tenant whose topic tree the ACL protects. */
  tenant: string;
  /** The accounts (a table the caller keeps updating, or a list). */
  credentials?: CredentialTable | Iterable<BrokerAccountInit>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  tls?: EmbeddedBrokerTls;
  /** Called for each refused publish or subscription. */
  onDenied?: (denial: AclDenial) => void;
  /**
   * A folder for the broker's state (sqlite-persistence.ts): persistent sessions and the messages queued
   * for them survive a restart of the broker on the same folder, even a SIGKILL. Default: memory only.
   */
  dataDir?: string;
}

/** A running embedded broker. */
export interface EmbeddedBroker extends BrokerHandle {
  kind: 'embedded';
  credentials: CredentialTable;
  /** Refused publishes and subscriptions, in order. */
  readonly denials: readonly AclDenial[];
  /** The identity a connected client id authenticated as. */
  identityOf(clientId: string): BrokerIdentity | undefined;
}

const DENIED_PREFIX = '$certfleet/denied/';
const DEVICE_ID = /^[A-Za-z0-9._-]+$/;

function refuse(message: string, returnCode: 2 | 4 | 5): AuthenticateError {
  const e = new Error(message) as AuthenticateError;
  (e as { returnCode: number }).returnCode = returnCode;
  return e;
}

/**
 * Starts aedes on `host` and a free port (real TCP, or TLS with `tls`) and returns its URL.
 *
 * @example
 * const broker = await startEmbeddedBroker({ tenant: 'acme', credentials: [{ role: 'service', name: 'svc', password }] });
 * broker.credentials.set({ role: 'device', name: 'dev-1', password: devicePassword }); // enrollment
 * await broker.close();
 */
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  tenantRoot(o.tenant); // validates the tenant
  const credentials = toCredentialTable(o.credentials);
  const identities = new Map<Client, BrokerIdentity>();
  const byClientId = new Map<string, BrokerIdentity>();
  const denials: AclDenial[] = [];
  const deny = (
    client: Client,
    identity: BrokerIdentity,
    action: AclDenial['action'],
    topic: string,
    reason: AclDenial['reason'] = 'acl',
  ): void => {
    const d = { clientId: client.id, identity, action, topic, reason };
    denials.push(d);
    o.onDenied?.(d);
  };

  const persistence = o.dataDir !== undefined ? sqlitePersistence(o.dataDir) : undefined;
  const store = persistence ?? memoryPersistence();
  // new messages never take an identifier the session's queue still holds (packet-id-guard.ts)
  const ids = guardPacketIds(store as unknown as GuardedPersistence);
  /** With a data folder: each QoS 1 publish accepted, by its key in the folder until it is routed. */
  const acceptedKeys = new WeakMap<object, number>();
  const aedes = await Aedes.createBroker({
    persistence: store as never,
    authenticate(client, username, password, done) {
      let identity: BrokerIdentity | undefined;
      if (o.tls) {
        const socket = client.conn as TLSSocket;
        const cert = socket.getPeerCertificate?.();
        const noCert = !cert || Object.keys(cert).length === 0;
        if (noCert && o.tls.passwordEnrollment && password !== undefined) {
          // No client certificate: a password over TLS. A device may only enrol this way (enrollOnly ACL);
          // the service and connectors authenticate by password as on a plain broker.
          const byPassword = credentials.verify(username, password);
          if (!byPassword) return done(refuse('bad user name or password', 4), null);
          identity = byPassword.role === 'device' ? { ...byPassword, enrollOnly: true } : byPassword;
        } else if (
          noCert ||
          !(o.tls.verifyClient ? o.tls.verifyClient(Buffer.from(cert.raw)) : socket.authorized)
        ) {
          return done(
            refuse(
              `client certificate missing or not trusted: ${String(socket.authorizationError ?? 'none')}`,
              5,
            ),
            null,
          );
        } else {
          const name = o.tls.identityOf ? o.tls.identityOf(cert) : (cert.subject?.CN as string | undefined);
          if (!name || (username !== undefined && username !== name)) {
            return done(refuse('the client certificate maps to no identity, or to another user', 5), null);
          }
          identity =
            credentials.get(name)?.identity ?? (DEVICE_ID.test(name) ? { role: 'device', name } : undefined);
          if (!identity) return done(refuse('the certificate name is not a device id', 5), null);
        }
      } else {
        identity = credentials.verify(username, password);
        if (!identity) return done(refuse('bad user name or password', 4), null);
      }
      if (identity.role === 'device' && client.id !== identity.name) {
        return done(refuse('a device must connect with its device id as client id', 2), null);
      }
      identities.set(client, identity);
      byClientId.set(client.id, identity);
      ids.admit(client).then(
        () => done(null, true),
        (err: unknown) => done(err as AuthenticateError, null),
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // a stored will of a gone client: checked when it was set
      const identity = identities.get(client);
      if (!identity) return done(new Error('not authenticated'));
      const allowed = aclAllows(o.tenant, identity, 'publish', packet.topic);
      if (!allowed || packet.retain) {
        deny(client, identity, 'publish', packet.topic, allowed ? 'retain' : 'acl');
        // Acknowledge and drop: divert to a topic no subscription can match (see authorizeForward).
        packet.topic = `${DENIED_PREFIX}${client.id}`;
        packet.retain = false;
      } else if (persistence !== undefined && packet.qos === 1) {
        // down on disk before aedes writes the PUBACK, which it does before it routes (sqlite-persistence.ts)
        acceptedKeys.set(packet, persistence.accepted.accept(client.id, { ...packet }));
      }
      done(null);
    },
    published(packet, _client, done) {
      const key = acceptedKeys.get(packet);
      if (key !== undefined) {
        acceptedKeys.delete(packet);
        persistence?.accepted.routed(key); // queued for every persistent session it is for
      }
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const identity = identities.get(client);
      if (identity && aclAllows(o.tenant, identity, 'subscribe', sub.topic)) return done(null, sub);
      if (identity) deny(client, identity, 'subscribe', sub.topic);
      done(null, null); // SUBACK 0x80
    },
    authorizeForward(_client, packet) {
      return packet.topic.startsWith(DENIED_PREFIX) ? null : packet;
    },
  });
  // what a killed broker had acknowledged and not routed yet is routed before anyone connects
  for (const { key, packet } of persistence?.accepted.unrouted() ?? []) {
    await new Promise<void>((resolve, reject) =>
      aedes.publish(packet as never, (err?: Error | null) => (err ? reject(err) : resolve())),
    );
    persistence?.accepted.routed(key);
  }
  aedes.on('clientDisconnect', (client) => {
    identities.delete(client);
    if (byClientId.get(client.id) !== undefined) byClientId.delete(client.id);
  });

  const sockets = new Set<Socket>();
  const handle = (socket: Socket): void => {
    sockets.add(socket);
    // MQTT exchanges many small packets that wait on each other: Nagle's algorithm with delayed ACKs
    // stalls each round trip ~40 ms on loopback, so send at once.
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    aedes.handle(socket);
  };
  const server: Server = o.tls
    ? createTlsServer(
        { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key, requestCert: true, rejectUnauthorized: false },
        handle,
      )
    : createNetServer(handle);
  server.on('tlsClientError', () => undefined);
  const host = o.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new CertfleetError(
          'BROKER_START',
          `The embedded broker cannot listen on ${host}:${o.port ?? 0}: ${err.message}`,
          {
            cause: err,
          },
        ),
      ),
    );
    server.listen(o.port ?? 0, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });

  let closed = false;
  return {
    kind: 'embedded',
    url: `${o.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    port,
    credentials,
    denials,
    identityOf: (clientId) => byClientId.get(clientId),
    synced: async () => undefined,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await persistence?.destroy(); // closes broker.db (aedes leaves its persistence open)
    },
  };
}
