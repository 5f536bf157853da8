/**
 * The public types of the MDM service (mdm-service.ts re-exports them): its options, what it reports, and
 * what it knows of a device. Kept apart from the class so that the stores (stores/) and the handlers
 * (handlers/) can name them without importing the service.
 */
import type { Clock } from '../../../protocol/runtime/clock.ts';
import type { Random } from '../../../protocol/runtime/random.ts';
import type { Scheduler } from '../../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import type { Certificate } from '../../../pki/index.ts';
import type { Pkcs12Builder } from '../../../pki/pkcs12-pool.ts';
import type { EnrollmentKind, Platform } from '../../../profiles/model/platform.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import type { DeviceProfileOutcome, RunEvent } from '../../run-model.ts';
import type { EnterpriseCa } from '../ca/enterprise-ca.ts';
import type { ChallengeStore } from '../scep/challenge-store.ts';
import type { ScepIssuedReader } from '../scep/issued-certificates.ts';
import type { SavableStore } from './stores/saved-records.ts';
import type { ProfileAssignment } from './assignment.ts';
import type { Directory } from './directory.ts';
import type { EnrollmentRestrictions } from './enrollment-restrictions.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { IssuedIdentities } from './stores/issued-identities.ts';

/** Options of the MDM service (`MdmService`). */
export interface MdmServiceOptions {
  tenant: string;
  transport: Transport;
  ca: EnterpriseCa;
  /** Time and deferred work (the fleet's VirtualClock). */
  clock: Clock & Scheduler;
  /** Seeded randomness: payload GUIDs and PKCS#12 salts derive from `random.key`. */
  random: Random;
  assignments: ProfileAssignment[];
  /** Entra ID + Intune device records, by device id (see directory.ts). */
  directory?: Directory;
  restrictions?: EnrollmentRestrictions;
  retry?: Partial<RetryPolicy>;
  /** How long a connector's claim holds (default 5 min). */
  leaseMs?: number;
  /** How long a committed request waits for its result before it is re-queued (default 10 min). */
  commitMs?: number;
  /**
   * Encrypts a Windows PFX password to the device's management certificate (PFXCertPasswordEncryptionType 1).
   * Default: profiles/windows encryptPfxPasswordForDevice (CMS, RSA-OAEP). `false`: send it in clear (type 0).
   */
  encryptPassword?: ((password: string, managementCertificate: Certificate) => string) | false;
  /**
   * Where the Android Enterprise PKCS re-wrap opens and builds its PKCS#12 (the run's issuance pool,
   * pki/pkcs12-pool.ts); default: in the compile, on this thread. Same bytes either way.
   */
  pkcs12?: Pkcs12Builder;
  /** Called for each event, as it happens (the fleet runner records them in the run DB). */
  onEvent?: (event: RunEvent) => void;
  /** Called whenever a device × profile outcome changes. */
  onOutcome?: (outcome: DeviceProfileOutcome) => void;
  /** Called with each CRL the service has the CA publish (DER). */
  onCrl?: (crl: Buffer) => void;
  /** Called with the inventory of each device the service enrols (the run DB's inventories table). */
  onInventory?: (r: { device: string; at: string; inventory: unknown }) => void;
  /** Called for each payload the service publishes to a device (the run DB's deliveries table). */
  onDelivery?: (r: PublishedPayload) => void;
  /** The run's SCEP server, for `scep-certificate` profiles; absent = such profiles fail (USAGE: no SCEP server in this run). */
  scep?: ServiceScep;
  /**
   * Where the deliveries keep the identity last issued to each (stores/issued-identities.ts); default:
   * in memory. The caller closes it after the service stops.
   */
  issued?: IssuedIdentities;
}

/**
 * The SCEP server a service sends its devices to (simulator/fleet/compose/scep-server.ts) and the Intune
 * challenge model's service half: the service issues a one-time challenge per device × profile into the
 * same store the server's policy module redeems from (simulator/service/scep/challenge-store.ts).
 */
export interface ServiceScep {
  /** The URL the payloads carry (in place of the scenario's placeholder). */
  url: string;
  challenges: ChallengeStore;
  /** Apple `CAFingerprint`: SHA-256 of the issuing CA certificate the server's GetCACert returns. */
  caFingerprint: Buffer;
  /** Windows `CAThumbprint`: SHA-1 hex of the root CA certificate. */
  caThumbprint: string;
  /** The connectors' strong-mapping setting: SCEP profiles then carry the SID URI SAN. */
  sidSecurityExtension: boolean;
  /**
   * The certificates the SCEP connector reports issued, per device × profile (the serials the service
   * revokes on retire and unassign, and the one a renewal supersedes).
   */
  issued: ScepIssuedReader & SavableStore;
}

/** One native payload published to a device, as {@link MdmServiceOptions.onDelivery} reports it. */
export interface PublishedPayload {
  device: string;
  /** The profile id (assignment name). */
  profile: string;
  /** Apple PayloadIdentifier, Windows CSP node LocURI, Android certificate alias/GUID (best effort). */
  payload: string;
  format: string;
  topic: string;
  bytes: number;
  /** 1 for the first publish of a compiled payload, 2, 3… for re-sends of the same bytes. */
  attempt: number;
  at: string;
  /** SHA-256 of the payload bytes, hex. */
  contentHash: string;
}

/** What the service knows about one device. */
export interface ServiceDevice {
  id: string;
  platform: Platform;
  kind: EnrollmentKind;
  osVersion: string;
  ownership: 'corporate' | 'personal';
  state: 'enrolled' | 'refused' | 'retired';
  /** The refusal, when enrollment was refused. */
  refusal?: { code: string; message: string };
  /**
   * The inventory a refused device reported. An enrolled device's is not kept here (its facts are read
   * from it once; run.db's inventories table keeps it, `onInventory`).
   */
  inventory?: unknown;
  facts?: DeviceFacts;
  tags: string[];
  /** Serial of the management certificate. */
  managementSerial?: string;
  enrolledAt?: string;
}

/** Service counters for reports. */
export interface ServiceCounters {
  /** PKCS certificates issued by connectors and accepted by the service. */
  certificatesIssued: number;
  managementCertificates: number;
  renewals: number;
  revocations: number;
  crlsPublished: number;
  messagesIn: number;
  messagesOut: number;
  /** Connector results ignored because their lease had moved on (or the request was cancelled). */
  lateResultsIgnored: number;
  /** Results accepted per connector id. */
  connectorLoad: Record<string, number>;
}
