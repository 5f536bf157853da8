/**
 * The small request/response protocol between the MDM service and its certificate connectors, over the
 * tenant's service-internal topics (protocol/wire/topics.ts: `certfleet/{tenant}/service/...`, which the
 * broker ACL opens to the service and connector roles only). JSON bodies; certfleet's own design, modelled
 * on how the Intune Certificate Connector works: it polls the service for pending PKCS requests on an
 * interval (30 s) rather than being pushed work, so nothing beyond MQTT 3.1.1 publish/subscribe is needed.
 *
 * ```
 * connector → service  certfleet/{t}/service/to-service/poll     Poll     "give me up to N requests"
 * service → connector  certfleet/{t}/service/to-connector/{id}/batch   Batch  leases (possibly none)
 * connector → service  certfleet/{t}/service/to-service/commit   Commit   "I am about to issue under lease L"
 * service → connector  certfleet/{t}/service/to-connector/{id}/commit  CommitAnswer ok | refused
 * connector → service  certfleet/{t}/service/to-service/result   Result   issued PFX | the CA's denial
 * ```
 *
 * Leases: a claimed request is the connector's until `leaseUntil`; after that any connector may claim it
 * again (under a new lease id). Before it asks the CA, a connector commits: the service grants the commit
 * only to the current, unexpired lease and from then on never hands the request to anyone else (until the
 * commit deadline passes without a result, when it is re-queued — none lost). The service accepts a result
 * only from the committed lease, so a connector that lost its lease never issues and a late result is
 * ignored — none issued twice.
 *
 * Two kinds of connector speak it, each taking only its own kind of work from the one queue
 * (../mdm/certificate-queue.ts): the certificate connectors (role `pkcs`, the default: a PKCS request to
 * issue at the CA, {@link CertificateWork}) and the tenant's one PFX connector (role `pfx-import`, an
 * imported PFX to open and re-encrypt for one device, {@link ImportedPfxWork}; pfx-connector.ts). A poll
 * names its role; the batch holds work of that role only.
 */
import { tenantRoot } from '../../../protocol/wire/topics.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import type { CertificateRequestSpec } from '../../../profiles/compile/resolve-request.ts';
import type { UserPfxIntendedPurpose } from '../pfx-import/pfx-store.ts';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Topics of the connector protocol for `tenant`. */
export function connectorTopics(tenant: string): {
  /** Where the service listens (subscribe filter). */
  serviceInbox: string;
  poll: string;
  commit: string;
  result: string;
  /** A connector's inbox filter. */
  connectorInbox: (connectorId: string) => string;
  batch: (connectorId: string) => string;
  commitAnswer: (connectorId: string) => string;
} {
  const root = `${tenantRoot(tenant)}/service`;
  const to = (id: string): string => {
    if (!SEGMENT.test(id)) {
      throw new CertfleetError(
        'USAGE',
        `The connector id '${id}' cannot be a topic segment: use letters, digits, . _ -.`,
      );
    }
    return `${root}/to-connector/${id}`;
  };
  return {
    serviceInbox: `${root}/to-service/+`,
    poll: `${root}/to-service/poll`,
    commit: `${root}/to-service/commit`,
    result: `${root}/to-service/result`,
    connectorInbox: (id) => `${to(id)}/#`,
    batch: (id) => `${to(id)}/batch`,
    commitAnswer: (id) => `${to(id)}/commit`,
  };
}

/** What a connector does, and so which work it is handed: `pkcs` issues at the CA, `pfx-import` opens imports. */
export type ConnectorRole = 'pkcs' | 'pfx-import';

/** A connector asks for work. */
export interface PollMessage {
  type: 'poll';
  connectorId: string;
  /** Echoed in the batch. */
  pollId: string;
  /** At most this many requests. */
  max: number;
  /** The work it takes; absent = `pkcs` (a certificate connector). */
  role?: ConnectorRole;
}

/**
 * What a connector needs to issue one PKCS certificate: the request the service resolved for this device ×
 * profile when the delivery started (subject, SANs, template, CA, validity: profiles/compile/resolve-request.ts).
 * The connector issues exactly that request (issueForRequest) and never resolves the profile again.
 */
export interface CertificateWork {
  deviceId: string;
  /** The profile assignment name (profile id on the wire). */
  profile: string;
  /** The resolved request, carried from the delivery's start. */
  request: CertificateRequestSpec;
  /** Why it is requested. */
  reason: 'initial' | 'renewal';
}

/**
 * What the PFX connector needs to deliver a user's imported PFX to one device (imported PKCS, issue 14 point
 * 3): whose PFX, for which purpose, and — for a device whose PFX password travels encrypted (Windows,
 * PFXCertPasswordEncryptionType 1) — the device's management certificate, to which the connector
 * re-encrypts the password it decrypted with the tenant key. The connector reads the user's newest import
 * for the purpose from the tenant's store itself.
 */
export interface ImportedPfxWork {
  kind: 'imported-pfx';
  deviceId: string;
  /** The profile assignment name (profile id on the wire). */
  profile: string;
  userPrincipalName: string;
  purpose: UserPfxIntendedPurpose;
  /** Base64 DER of the device's management certificate: re-encrypt the password to it. Absent: send it as is. */
  deviceCertificate?: string;
  /** `renewal`: the tenant imported a newer PFX than the one the device holds, which it replaces. */
  reason: 'initial' | 'renewal';
  /** For a renewal: the SHA-1 thumbprint of the certificate the device holds. */
  replaces?: string;
}

/** Any work of the queue. */
export type ConnectorWork = CertificateWork | ImportedPfxWork;

/** True for the PFX connector's work. */
export function isImportedPfxWork(work: ConnectorWork): work is ImportedPfxWork {
  return (work as { kind?: unknown }).kind === 'imported-pfx';
}

/** The work a connector of role `R` is handed. */
export type WorkOf<R extends ConnectorRole> = R extends 'pfx-import' ? ImportedPfxWork : CertificateWork;

/** The role whose connectors take `work`. */
export function roleOfWork(work: ConnectorWork): ConnectorRole {
  return isImportedPfxWork(work) ? 'pfx-import' : 'pkcs';
}

/** One claimed request. */
export interface WorkLease<W extends ConnectorWork = CertificateWork> {
  requestId: string;
  leaseId: string;
  /** ISO-8601 instant the lease ends. */
  leaseUntil: string;
  work: W;
}

/** The service's answer to a poll. */
export interface BatchMessage<W extends ConnectorWork = CertificateWork> {
  type: 'batch';
  pollId: string;
  leases: WorkLease<W>[];
}

/** A connector is about to ask the CA. */
export interface CommitMessage {
  type: 'commit';
  connectorId: string;
  requestId: string;
  leaseId: string;
}

/** The service's answer to a commit. */
export interface CommitAnswerMessage {
  type: 'commit-answer';
  requestId: string;
  leaseId: string;
  ok: boolean;
  /** Why it was refused (lease expired or taken over, request cancelled). */
  reason?: string;
}

/** What the connector got from the CA. */
export type IssueResult =
  | {
      ok: true;
      /** Base64 PKCS#12 (key, leaf, issuing CA). */
      pfx: string;
      /** The PFX password (service-internal topic only; never logged). */
      password: string;
      /** Base64 DER of the leaf. */
      certificate: string;
      serial: string;
      thumbprint: string;
      notAfter: string;
    }
  | {
      ok: false;
      /** A code of pki/errors.ts (CA_KEY_LENGTH, SUBJECT_ESCAPED_CHARS, …). */
      code: string;
      message: string;
      /** The CA's native facts: HRESULT, symbolic name, text (denials.ts), when there are some. */
      native?: Record<string, unknown>;
      /** The CA holds the request (CA_REQUEST_PENDING): the service asks again later (issue 12 point 2). */
      pending?: true;
    };

/** What the PFX connector did with an imported-PFX request. */
export type ImportedPfxResult =
  | {
      ok: true;
      kind: 'imported-pfx';
      /** Base64 PKCS#12, as imported. */
      pfx: string;
      /** SHA-1 thumbprint of its leaf, upper-case hex. */
      thumbprint: string;
      intendedPurpose: UserPfxIntendedPurpose;
      /**
       * The password as a base64 CMS EnvelopedData to the device's management certificate, when the work
       * carried one: the service never sees it in clear.
       */
      encryptedPassword?: string;
      /** The password in clear otherwise (service-internal topic only; never logged). */
      password?: string;
    }
  /** PFX_NOT_IMPORTED, PFX_TENANT_KEY, … (pki/errors.ts), in the certificate connector's failure shape. */
  | Extract<IssueResult, { ok: false }>;

/** True for the PFX connector's successful answer. */
export function isImportedPfxResult(
  result: IssueResult | ImportedPfxResult,
): result is Extract<ImportedPfxResult, { ok: true }> {
  return result.ok && (result as { kind?: unknown }).kind === 'imported-pfx';
}

/** A connector reports what happened. */
export interface ResultMessage {
  type: 'result';
  connectorId: string;
  requestId: string;
  leaseId: string;
  result: IssueResult | ImportedPfxResult;
}

/** Anything sent to the service on this protocol. */
export type ToServiceMessage = PollMessage | CommitMessage | ResultMessage;
/** Anything sent to a connector. */
export type ToConnectorMessage<W extends ConnectorWork = CertificateWork> =
  BatchMessage<W> | CommitAnswerMessage;
