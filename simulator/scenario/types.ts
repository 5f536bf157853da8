/**
 * The validated scenario: what `loadScenario` returns once every problem of the YAML file has been ruled
 * out. Durations are milliseconds, times are epoch milliseconds, defaults are filled in. The file format
 * itself is documented in scenarios/README.md (certfleet's own format; no external spec).
 */
import type { ImportedPfxSpec } from './read-imported.ts';
import type { OutcomeCode } from '../../protocol/wire/outcome.ts';
import type { AttributeName, Ownership } from '../../agent/device/device.ts';
import type { PkcsKeySize } from '../../profiles/compile/index.ts';
import type { CertificateProfile, ProfileKind } from '../../profiles/model/profile.ts';
import type { EnrollmentKind, Platform, ProfileFamily } from '../../profiles/model/platform.ts';
import type { RunStatus } from '../run-model.ts';
import type { CertificateTemplate } from '../service/ca/template.ts';
import type { EnrollmentRestrictions } from '../service/mdm/enrollment-restrictions.ts';
import type { ScenarioProblem } from './checker.ts';
import type { VersionFilter } from './versions.ts';

/** A numeric comparison such as `">=0.9"`, `"<3"` or an exact `1`. */
export interface NumberCheck {
  op: '>=' | '>' | '<=' | '<' | '=';
  value: number;
  /** As written, for reports. */
  text: string;
}

/** A share of devices that has a property: `true`/`false` (all/none) or a probability 0..1. */
export type Share = boolean | number;

/** OS versions of a mix entry: an explicit list to draw from (evenly), or a filter over the known releases. */
export type OsVersionChoice =
  { type: 'list'; versions: string[] } | { type: 'filter'; filter: VersionFilter };

/** One line of the fleet mix. */
export interface MixEntry {
  platform: Platform;
  /** Drawn evenly among the platform's kinds when not given. */
  kind?: EnrollmentKind;
  /** Relative weight (> 0); weights need not sum to 100. */
  weight: number;
  osVersions?: OsVersionChoice;
  /** Android: the OS version the device enrolled on (the Android 12 work-profile rule looks at it). */
  enrolledOsVersions?: OsVersionChoice;
  /** Hardware model ids (agent/device/hardware-catalog.ts) to draw from. */
  models?: string[];
  ownership?: Ownership;
  /** Share of devices with a cellular modem (an IMEI); only models that can have one are drawn when true. */
  cellular?: Share;
  /** Windows: share of devices with a usable TPM. */
  tpm?: Share;
  /** Windows: share of devices with Windows Hello for Business provisioned (default: every PC). */
  windowsHello?: Share;
  /** Apple device enrollment: share supervised. */
  supervised?: Share;
  /** Apple: share locked at check-ins (overrides fleet.lockedApple for this entry). */
  locked?: Share;
  /** Labels for assignments and expectations (`tags: [kiosk]`). */
  tags: string[];
  /** Line of the entry in the file (for messages). */
  line: number;
}

/** Offline windows injected into devices. */
export interface OfflineFailure {
  /** Share of devices that go offline. */
  probability: number;
  /** How long each window lasts. */
  durationMs: number;
  /** Windows per offline device (default 1). */
  times: number;
}

/** Failure injection (all probabilities default to 0). */
export interface FailureSpec {
  offline: OfflineFailure;
  /** Per connector: probability it goes down once during the run, and for how long. */
  connectorDown: { probability: number; durationMs: number };
  /** Share of devices that answer every payload late, and by how much. */
  slowDevice: { probability: number; delayMs: number };
}

/** Locked Apple devices: renewal waits until they unlock (SCEPDOC; agent/renewal). */
export interface LockedAppleSpec {
  /** Share of Apple devices that are locked at check-ins. */
  share: number;
  /** How long a locked device stays locked once a renewal falls due, before it unlocks (default 2d). */
  unlockAfterMs: number;
}

/** The fleet section. */
export interface FleetSpec {
  devices: number;
  mix: MixEntry[];
  /** Share of devices lacking an attribute beyond what the platform rules remove (`missing: {imei: 0.1}`). */
  missing: Partial<Record<AttributeName, number>>;
  /** Devices enrol evenly over this period from the start (0: all at once). */
  rampMs: number;
  failures: FailureSpec;
  lockedApple: LockedAppleSpec;
  /**
   * Share of users that are cloud-only — created in Entra ID, not synchronised from on-premises AD, so without
   * on-premises DN, SAM account name or SID (`cloudOnlyUsers: 0.3`). The users of hybrid-joined PCs are always
   * synchronised. Absent: the generator's own draw (40 % of users off hybrid-joined PCs).
   */
  cloudOnlyUsers?: number;
}

/** What the CA's policy module does with requests, and how long held ones wait (issue 12 point 2). */
export interface CaPolicySpec {
  /** `issue` (default), `deny` or `hold` (pending until a `caRequests` action, or the timeout). */
  policy?: 'issue' | 'deny' | 'hold';
  /** How long a held request waits before the connector gives up (default 7 days). */
  pendingTimeoutMs?: number;
  /** More issuing CAs under the same root, each with its host, name and policy (`authorities:`). */
  authorities?: { host: string; name: string; policy?: 'issue' | 'deny' | 'hold' }[];
}

/** The CA: a folder made by `certfleet ca init` (reused as is), or a fresh CA with these templates. */
export type CaSpec = CaPolicySpec &
  (
    | {
        type: 'folder';
        dir: string;
        /** When both the root and the issuing CA are valid (epoch ms): the run must fit inside. */
        validity: { notBefore: number; notAfter: number };
        line: number;
      }
    | {
        type: 'fresh';
        templates: CertificateTemplate[];
        /** Templates that exist but the CA does not publish (`published: false`): requests fail with 0x80094800. */
        unpublished?: string[];
      }
  );

/** A device group: every listed field must match; a list means "any of". Empty: every device. */
export interface DeviceSelector {
  platform?: Platform[];
  kind?: EnrollmentKind[];
  ownership?: Ownership[];
  /** The device carries at least one of these tags. */
  tags?: string[];
}

/** Include/exclude groups of one profile (exclude wins, as in Intune). */
export interface Assignment {
  include: DeviceSelector[];
  exclude: DeviceSelector[];
}

/** Where a trusted certificate comes from: the run's CA root (known only once the CA exists), or a file. */
export type TrustedSource =
  | { type: 'ca-root' }
  /** `certificate: issuing`: the run CA's issuing certificate current when bound (bind-issuing.ts). */
  | { type: 'ca-issuing' }
  | { type: 'file'; path: string }
  | { type: 'inline' };

/**
 * One profile of the scenario, expanded to a {@link CertificateProfile} per profile family it targets.
 * A trusted profile with `certificate: root` carries a placeholder until {@link bindCaRoot} puts the CA's root in.
 */
export interface ScenarioProfile {
  name: string;
  kind: ProfileKind;
  families: ProfileFamily[];
  /** One validated model per family in {@link families}. */
  models: Partial<Record<ProfileFamily, CertificateProfile>>;
  trustedSource?: TrustedSource;
  /** PKCS: RSA key size the connector generates (default 2048); it reaches the connector and the device's KSP rules. */
  keySize?: PkcsKeySize;
  /** The Graph JSON file it was imported from, if any. */
  graphFile?: string;
  assign: Assignment;
  /**
   * True when the scenario assigns the profile to groups (`assign:` or `assignments:`), as an Intune admin
   * does: a device those groups reach whose family the profile does not have gets a not-applicable row
   * (docs/failure-modes.md "Not applicable or not assigned"). Absent, the profile goes to the devices of
   * its families only, and the others have no row.
   */
  assignedToGroups?: boolean;
  line: number;
}

/** Which device × profile rows an expectation looks at. */
export interface RowFilter {
  platform?: Platform[];
  kind?: EnrollmentKind[];
  ownership?: Ownership[];
  osVersion?: VersionFilter;
  enrolledOsVersion?: VersionFilter;
  tags?: string[];
}

/** One expectation QA wrote. */
export interface Expectation {
  text: string;
  where: RowFilter;
  /** Profile name; every profile when absent. */
  profile?: string;
  status?: RunStatus;
  code?: OutcomeCode;
  messageContains?: string;
  renewals?: NumberCheck;
  /** Installed and trusted (true), or installed but not trusted (false): run-model trustOf (issue 12). */
  trusted?: boolean;
  /** How many selected rows must pass: a share (default: all) or a count. */
  quantity: { type: 'share'; check: NumberCheck } | { type: 'count'; check: NumberCheck };
  line: number;
}

/** An administrator action during the run (`actions:`), at `atMs` after the start. */
export type ScenarioAction =
  | {
      type: 'retire';
      atMs: number;
      /** The devices to retire: enrolled devices in this group, in fleet order. */
      where: DeviceSelector;
      /** At most this many (default: every device of the group). */
      count?: number;
      line: number;
    }
  | { type: 'remove-profile'; atMs: number; profile: string; line: number }
  /** A certificate manager issues or denies every request the CA holds then (`caRequests: issue|deny`). */
  | { type: 'ca-requests'; atMs: number; decision: 'issue' | 'deny'; line: number }
  /** The issuing CA is renewed with a new key (`renewIssuingCa: true`, issue 12 point 7). */
  | { type: 'renew-issuing-ca'; atMs: number; line: number }
  /**
   * The administrator uploads the CA's current issuing certificate into the trusted-certificate profile
   * `profile` (`certificate: issuing`); the service sends the changed profile to every device that has it
   * (`uploadIssuingCa: NAME`, issue 12 point 7).
   */
  | { type: 'upload-issuing-ca'; atMs: number; profile: string; line: number };

/** A validated scenario. */
export interface Scenario {
  name: string;
  description: string;
  /** The file it came from (as given), for messages. */
  file: string;
  /** Folder relative paths in the file are resolved against. */
  baseDir: string;
  seed: string;
  /**
   * Virtual start, epoch ms (default 2026-01-01T00:00:00Z; with `ca: {dir}` and no `start`, the CA's
   * notBefore when that is later).
   */
  start: number;
  /** The line of an explicit `start:` key; undefined when the scenario gives none (the default applies). */
  startLine?: number;
  durationMs: number;
  checkInIntervalMs: number;
  fleet: FleetSpec;
  ca: CaSpec;
  /**
   * Certificate connectors: how many, their poll interval, and the longest interval idle polling backs
   * off to (equal to pollIntervalMs when `idleBackoff: off`: strict polls).
   */
  connectors: {
    count: number;
    pollIntervalMs: number;
    maxIdlePollIntervalMs: number;
    /** `sidSecurityExtension: true`: the KB5014754 SID extension in every PKCS certificate (docs/formats.md §5.3); absent: off. */
    sidSecurityExtension?: boolean;
    /** `pfxChain: leaf`: each PKCS#12 carries the leaf only, not the issuing CA (docs/formats.md §5.2 "What the PKCS#12 carries"); absent: `issuing`. */
    pfxChain?: 'issuing' | 'leaf';
  };
  /** Enrollment restrictions the service applies (`enrollmentRestrictions:`; none by default). */
  enrollmentRestrictions: EnrollmentRestrictions;
  profiles: ScenarioProfile[];
  /** Administrator actions, in time order (`actions:`; none by default). */
  actions: ScenarioAction[];
  /** Users the run imports a PFX for before the devices enrol (`importedPfx:`, read-imported.ts); none when absent. */
  importedPfx?: ImportedPfxSpec[];
  expect: Expectation[];
  /**
   * Settings the run reads past (Graph properties it does not know or that have no effect, advisories),
   * each with its place in the file: the console and report.json list them.
   */
  warnings?: ScenarioProblem[];
}
