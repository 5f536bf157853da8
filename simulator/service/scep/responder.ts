/**
 * The NDES-like SCEP responder: takes one PKIOperation message, answers one CertRep (RFC 8894 §3.3).
 *
 * - PKCSReq: opens the envelope with the RA key, checks the challenge with the connector's policy module
 *   (challenge-store.ts; event 20500/20501/20502), submits the CSR to the enterprise CA under the SCEP
 *   template (or the standalone CA's defaults) and answers SUCCESS with a degenerate certs-only SignedData
 *   (issued certificate first, then the issuing CA) enveloped to the requester's signing certificate
 *   (event 20600, and the certificate reported to the service with the challenge's device × profile:
 *   issued-certificates.ts), or FAILURE with the failInfo of the error (event 20602 for a CA denial).
 * - RenewalReq: signed with a valid, unrevoked certificate this CA issued (no challenge needed, §3.3.1.2).
 *   When the connector reported that certificate with a device × profile, the new one is reported with the
 *   same (the renewal is linked by the signer's serial, issued-certificates.ts), so the service supersedes the
 *   old certificate and revokes the new one on retire and unassign.
 * - CertPoll (GetCertInitial): PENDING until the request is approved, then SUCCESS; unknown → badCertId.
 *   `pendingPolls` makes the CA hold every request for that many polls (a CA set to "pending" issuance).
 * - GetCert: a certificate this responder issued, by issuer and serial.
 * - GetCRL: refused (FAILURE badRequest): RFC 8894 §3.3.4 leaves CRLs to the distribution point, which the
 *   issued certificates name.
 * - A resent PKCSReq with the same transactionID (§3.3.1) gets the same answer; its challenge is not spent twice.
 *   Across a kill of the server too (issue 10 point 3): the challenge store knows which transaction spent a
 *   challenge (saved with it), and — when the grants have a journal — the CA records each issuance for a one-time challenge under
 *   `scep/{transactionID}/{digest of the challenge}` (EnterpriseCa `issuedForRequest`), so a request resent after the restart is answered with the
 *   certificate issued before it — reported to the service if the kill came before its report — or, when
 *   the CA never issued, issued now; never a second certificate.
 *
 * Every failure is a CertfleetError with a stable code (the reply's failInfo comes from it, scep-error.ts)
 * recorded in `failures` with the transaction; events are recorded in `events`. Time is `now()` (house rule 2).
 */
import { randomBytes } from 'node:crypto';
import type { Certificate } from '../../../pki/certificate.ts';
import { parseCsr, type Csr } from '../../../pki/csr.ts';
import { contentOf, decodeIntegerHex, readChildren, readTlv } from '../../../pki/der.ts';
import { CertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import { CMS_OID } from '../../../protocol/scep/oids.ts';
import {
  decodePkiMessage,
  encodePkiMessage,
  newNonce,
  peekPkiMessage,
  type DecodedPkiMessage,
} from '../../../protocol/scep/pki-message.ts';
import { failInfoOf, scepError } from '../../../protocol/scep/scep-error.ts';
import { challengeOf, nameValuePairsOf } from '../../../protocol/scep/scep-csr.ts';
import type { ValidityPeriod } from '../ca/template.ts';
import { degenerateCertificates, type ScepDigest } from '../../../protocol/scep/signed-data.ts';
import type { EnterpriseCa } from '../ca/enterprise-ca.ts';
import { challengeDigest, type ChallengeGrant, type ChallengeStore } from './challenge-store.ts';
import { notifyEvent, verifyEvent, type ConnectorEvent } from './connector-events.ts';
import type { ScepIssuedCertificates } from './issued-certificates.ts';
import { NDES_REQUESTER, type RaIdentity } from './ra-identity.ts';

/** Options of {@link ScepResponder}. */
export interface ScepResponderOptions {
  ca: EnterpriseCa;
  ra: RaIdentity;
  challenges: ChallengeStore;
  /** The template NDES submits to; default CertfleetUser on an enterprise CA, none on a standalone one. */
  template?: string;
  now: () => Date;
  /** Called with each connector event as it is recorded (a run writes them to its run database). */
  onEvent?: (e: ConnectorEvent) => void;
  /**
   * Where the connector reports each certificate issued for a one-time challenge, with the device ×
   * profile of the challenge (issued-certificates.ts): the service revokes from it on retire and unassign.
   */
  issued?: ScepIssuedCertificates;
  /** Polls a request stays PENDING before the CA issues it (default 0: issued at once). */
  pendingPolls?: number;
  /** Called with each refused transaction as it is recorded (`certfleet scep serve` prints it). */
  onFailure?: (f: ScepFailure) => void;
  random?: (n: number) => Buffer;
}

/** A failed transaction, as the server recorded it. */
export interface ScepFailure {
  transactionId: string | undefined;
  code: ErrorCode;
  failInfo: string;
  message: string;
}

type Transaction =
  | { state: 'pending'; csr: Csr; grant: ChallengeGrant | undefined; polls: number }
  | { state: 'issued'; certificate: Certificate };

const DIGESTS: Readonly<Record<string, ScepDigest>> = {
  [CMS_OID.sha1]: 'sha1',
  [CMS_OID.sha256]: 'sha256',
  [CMS_OID.sha512]: 'sha512',
};

export class ScepResponder {
  readonly events: ConnectorEvent[] = [];
  readonly failures: ScepFailure[] = [];
  readonly #o: ScepResponderOptions;
  readonly #transactions = new Map<string, Transaction>();
  readonly #issued = new Map<string, Certificate>();
  readonly #random: (n: number) => Buffer;

  constructor(o: ScepResponderOptions) {
    this.#o = o;
    this.#random = o.random ?? randomBytes;
  }

  /** The certificates GetCACert returns: the RA first, then the issuing CA and the root. */
  /** Records a connector event and hands it to `onEvent`. */
  #record(e: ConnectorEvent): void {
    this.events.push(e);
    this.#o.onEvent?.(e);
  }

  caCertificates(): Certificate[] {
    return [this.#o.ra.certificate, this.#o.ca.issuing, this.#o.ca.root];
  }

  /**
   * Answers one PKIOperation message with a DER CertRep.
   *
   * @throws CertfleetError SCEP_MESSAGE_INVALID only when the message is not a SignedData with a
   *   transactionID and senderNonce at all (nothing to address a reply to; the HTTP layer answers 400).
   */
  handle(der: Uint8Array): Buffer {
    const peek = peekPkiMessage(der);
    if (peek.transactionId === undefined || peek.senderNonce === undefined) {
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        'The PKIMessage has no transactionID or senderNonce; a CertRep cannot be addressed to it (RFC 8894 §3.2.1).',
      );
    }
    const digest = DIGESTS[peek.digestOid ?? ''] ?? 'sha256';
    const reply = { transactionId: peek.transactionId, recipientNonce: peek.senderNonce, digest };
    let msg: DecodedPkiMessage;
    try {
      msg = decodePkiMessage(der, [this.#o.ra]);
    } catch (e) {
      return this.#failure(reply, e);
    }
    try {
      return this.#dispatch(msg, reply);
    } catch (e) {
      return this.#failure(reply, e);
    }
  }

  #dispatch(msg: DecodedPkiMessage, reply: Reply): Buffer {
    const known = this.#transactions.get(msg.transactionId);
    switch (msg.messageType) {
      case 'PKCSReq':
      case 'RenewalReq': {
        if (known !== undefined) return this.#poll(msg, reply, known);
        const csr = this.#csrOf(msg);
        let grant: ChallengeGrant | undefined;
        if (msg.messageType === 'RenewalReq') grant = this.#checkRenewal(msg.signerCertificate);
        else grant = this.#verifyChallenge(csr, msg.transactionId);
        if (grant?.resent === true) {
          const prior = this.#o.ca.issuedForRequest(scepRequestId(msg.transactionId, csr));
          if (prior !== undefined) return this.#answerAgain(msg, reply, grant, prior.certificate);
        }
        if ((this.#o.pendingPolls ?? 0) > 0) {
          this.#transactions.set(msg.transactionId, { state: 'pending', csr, grant, polls: 0 });
          return this.#pending(reply, msg);
        }
        return this.#issue(msg, reply, csr, grant);
      }
      case 'CertPoll': {
        if (known === undefined) {
          throw scepError(
            'SCEP_UNKNOWN_TRANSACTION',
            'badCertId',
            `No request with transactionID ${msg.transactionId} is pending or issued here; send the PKCSReq first.`,
          );
        }
        return this.#poll(msg, reply, known);
      }
      case 'GetCert': {
        const serial = serialOf(msg.data);
        const cert = this.#issued.get(serial);
        if (cert === undefined) {
          throw scepError(
            'SCEP_UNKNOWN_TRANSACTION',
            'badCertId',
            `This server issued no certificate with serial ${serial}.`,
          );
        }
        return this.#success(reply, msg, cert);
      }
      case 'GetCRL':
        throw scepError(
          'SCEP_MESSAGE_INVALID',
          'badRequest',
          'GetCRL is not served here; fetch the CRL from the distribution point the certificate names (RFC 8894 §3.3.4).',
        );
      default:
        throw scepError(
          'SCEP_MESSAGE_INVALID',
          'badRequest',
          `A ${msg.messageType} is a reply, not a request.`,
        );
    }
  }

  #csrOf(msg: DecodedPkiMessage): Csr {
    if (msg.data === undefined) {
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        `The ${msg.messageType} has no pkcsPKIEnvelope (RFC 8894 §3.3.1).`,
      );
    }
    try {
      return parseCsr(msg.data);
    } catch (e) {
      const c = e as CertfleetError;
      throw scepError(c.code ?? 'CSR_PARSE', 'badRequest', c.message, { cause: e });
    }
  }

  #verifyChallenge(csr: Csr, transactionId: string): ChallengeGrant | undefined {
    const at = this.#o.now();
    try {
      const grant = this.#o.challenges.redeem({
        challenge: challengeOf(csr),
        subject: csr.subjectText,
        now: at,
        transactionId,
      });
      this.#record(verifyEvent(undefined, { transactionId, at: at.toISOString(), ...ids(grant) }));
      return grant;
    } catch (e) {
      const code = (e as CertfleetError).code;
      const d = (e as CertfleetError).details ?? {};
      this.#record(
        verifyEvent(code, {
          transactionId,
          at: at.toISOString(),
          ...(typeof d['deviceId'] === 'string' && { deviceId: d['deviceId'] }),
          ...(typeof d['profileId'] === 'string' && { profileId: d['profileId'] }),
        }),
      );
      throw e;
    }
  }

  /**
   * Checks the certificate a RenewalReq is signed with; returns the device × profile the connector reported
   * it with (as a grant with no challenge), or undefined when it reported none (a standalone enrolment).
   */
  #checkRenewal(old: Certificate): ChallengeGrant | undefined {
    const ca = this.#o.ca;
    const now = this.#o.now();
    const issuers = [ca.issuing, ...ca.previousIssuing];
    const byUs = issuers.some(
      (i) => Buffer.from(i.subjectDer).equals(Buffer.from(old.issuerDer)) && old.verifySignature(i.publicKey),
    );
    const record = ca.issuedRecords().find((r) => r.serial === old.serialNumber);
    let why: string | undefined;
    if (!byUs || record === undefined) why = 'it was not issued by this CA';
    else if (record.revoked) why = `it was revoked (${record.revoked.reason})`;
    else if (old.notAfter.getTime() <= now.getTime()) why = `it expired at ${old.notAfter.toISOString()}`;
    if (why !== undefined) {
      throw scepError(
        'SCEP_RENEWAL_REFUSED',
        'badRequest',
        `The RenewalReq is signed with "${old.subjectText}" (serial ${old.serialNumber}), but ${why}; enrol again with a PKCSReq and a challenge.`,
      );
    }
    const linked = this.#o.issued?.bySerial(old.serialNumber);
    if (linked === undefined) return undefined;
    return { deviceId: linked.deviceId, profileId: linked.profileId, issuedAt: now, expiresAt: now };
  }

  #poll(msg: DecodedPkiMessage, reply: Reply, t: Transaction): Buffer {
    if (t.state === 'issued') return this.#success(reply, msg, t.certificate);
    t.polls += 1;
    if (t.polls < (this.#o.pendingPolls ?? 0)) return this.#pending(reply, msg);
    return this.#issue(msg, reply, t.csr, t.grant);
  }

  #issue(msg: DecodedPkiMessage, reply: Reply, csr: Csr, grant: ChallengeGrant | undefined): Buffer {
    const ca = this.#o.ca;
    const at = this.#o.now();
    const template = this.#o.template ?? (ca.kind === 'enterprise' ? 'CertfleetUser' : undefined);
    let certificate: Certificate;
    const validity = requestedValidity(csr);
    try {
      certificate = ca.issue({
        ...(template !== undefined && { template }),
        ...(validity !== undefined && { validity }),
        requester: NDES_REQUESTER,
        subject: csr.subjectText,
        san: csr.subjectAltName,
        publicKey: csr.publicKey,
        // the profile's validity the challenge was issued with; the CA cuts it to the template's
        ...(grant?.validity !== undefined && { validity: grant.validity }),
        now: at,
        // a request with a one-time challenge whose grants outlive the process (a journal): the CA keeps
        // the certificate under its transaction, so the same request resent after a kill of this server
        // gets it again (#answerAgain); without one nothing is kept (no resume would ask)
        ...(grant !== undefined &&
          msg.messageType === 'PKCSReq' &&
          this.#o.challenges.journaled && { requestId: scepRequestId(msg.transactionId, csr) }),
      }).certificate;
    } catch (e) {
      this.#record(
        notifyEvent((e as CertfleetError).code ?? 'INTERNAL', {
          transactionId: msg.transactionId,
          at: at.toISOString(),
          ...ids(grant),
        }),
      );
      this.#transactions.delete(msg.transactionId);
      throw e;
    }
    this.#record(
      notifyEvent(undefined, {
        transactionId: msg.transactionId,
        at: at.toISOString(),
        serial: certificate.serialNumber,
        ...ids(grant),
      }),
    );
    if (grant !== undefined) {
      this.#o.issued?.record({
        deviceId: grant.deviceId,
        profileId: grant.profileId,
        serial: certificate.serialNumber,
        thumbprint: certificate.sha1Thumbprint,
        notAfter: certificate.notAfter.toISOString(),
        issuedAt: at.toISOString(),
        transactionId: msg.transactionId,
      });
    }
    this.#transactions.set(msg.transactionId, { state: 'issued', certificate });
    this.#issued.set(certificate.serialNumber, certificate);
    return this.#success(reply, msg, certificate);
  }

  /**
   * A PKCSReq resent after a kill, which the CA had issued before it: that certificate again, reported to
   * the service with the challenge's device × profile when the kill came before its report.
   */
  #answerAgain(
    msg: DecodedPkiMessage,
    reply: Reply,
    grant: ChallengeGrant,
    certificate: Certificate,
  ): Buffer {
    const reported = this.#o.issued
      ?.of(grant.deviceId, grant.profileId)
      .some((c) => c.serial.toUpperCase() === certificate.serialNumber.toUpperCase());
    if (this.#o.issued !== undefined && reported !== true) {
      this.#o.issued.record({
        deviceId: grant.deviceId,
        profileId: grant.profileId,
        serial: certificate.serialNumber,
        thumbprint: certificate.sha1Thumbprint,
        notAfter: certificate.notAfter.toISOString(),
        issuedAt: this.#o.now().toISOString(),
        transactionId: msg.transactionId,
      });
    }
    this.#transactions.set(msg.transactionId, { state: 'issued', certificate });
    this.#issued.set(certificate.serialNumber, certificate);
    return this.#success(reply, msg, certificate);
  }

  #success(reply: Reply, msg: DecodedPkiMessage, certificate: Certificate): Buffer {
    return encodePkiMessage({
      messageType: 'CertRep',
      pkiStatus: 'SUCCESS',
      transactionId: reply.transactionId,
      senderNonce: newNonce(this.#random),
      recipientNonce: reply.recipientNonce,
      data: degenerateCertificates([certificate, this.#o.ca.issuing]),
      recipients: [msg.signerCertificate],
      cipher: msg.cipher ?? 'aes-128-cbc',
      digest: reply.digest,
      signer: this.#o.ra,
      signingTime: this.#o.now(),
      random: this.#random,
    });
  }

  #pending(reply: Reply, msg: DecodedPkiMessage): Buffer {
    return this.#bare(reply, 'PENDING', undefined, msg.cipher);
  }

  #failure(reply: Reply, e: unknown): Buffer {
    const failInfo = failInfoOf(e);
    const code: ErrorCode = e instanceof CertfleetError ? e.code : 'INTERNAL';
    const failure = { transactionId: reply.transactionId, code, failInfo, message: (e as Error).message };
    this.failures.push(failure);
    this.#o.onFailure?.(failure);
    return this.#bare(reply, 'FAILURE', failInfo, undefined);
  }

  #bare(
    reply: Reply,
    status: 'PENDING' | 'FAILURE',
    failInfo: ReturnType<typeof failInfoOf> | undefined,
    cipher: DecodedPkiMessage['cipher'],
  ): Buffer {
    return encodePkiMessage({
      messageType: 'CertRep',
      pkiStatus: status,
      ...(failInfo !== undefined && { failInfo }),
      transactionId: reply.transactionId,
      senderNonce: newNonce(this.#random),
      recipientNonce: reply.recipientNonce,
      recipients: [],
      cipher: cipher ?? 'aes-128-cbc',
      digest: reply.digest,
      signer: this.#o.ra,
      signingTime: this.#o.now(),
    });
  }
}

interface Reply {
  transactionId: string;
  recipientNonce: Buffer;
  digest: ScepDigest;
}

/**
 * The request id the CA records a SCEP issuance under (EnterpriseCa `issuedForRequest`): the transaction
 * and a digest of its one-time challenge (which reveals nothing of it), so a transaction of the same key in
 * another run on the same CA folder never matches.
 */
function scepRequestId(transactionId: string, csr: Csr): string {
  return `scep/${transactionId}/${challengeDigest(challengeOf(csr) ?? '').slice(0, 22)}`;
}

function ids(grant: ChallengeGrant | undefined): { deviceId?: string; profileId?: string } {
  return grant === undefined ? {} : { deviceId: grant.deviceId, profileId: grant.profileId };
}

/** The serial of a GetCert's IssuerAndSerialNumber (RFC 8894 §3.3.4). */
function serialOf(data: Buffer | undefined): string {
  try {
    if (data === undefined) throw new Error('no pkcsPKIEnvelope');
    const top = readTlv(data, 0);
    const serial = readChildren(data, top)[1];
    if (serial?.tag !== 0x02) throw new Error('no serial number');
    return decodeIntegerHex(contentOf(data, serial));
  } catch (cause) {
    throw scepError(
      'SCEP_MESSAGE_INVALID',
      'badRequest',
      `The GetCert does not carry an IssuerAndSerialNumber (${(cause as Error).message}).`,
      { cause },
    );
  }
}

const VALIDITY_UNITS: Readonly<Record<string, ValidityPeriod['unit']>> = {
  Days: 'days',
  Weeks: 'weeks',
  Months: 'months',
  Years: 'years',
};

/**
 * The validity a request asks for with the name-value pairs `ValidityPeriod` and `ValidityPeriodUnits` (what a
 * Windows device sends from its profile's ValidPeriod/ValidPeriodUnits, docs/formats.md §2.3), as a CA with
 * EDITF_ATTRIBUTEENDDATE takes it: Intune's SCEP validity then applies when it is below the template's (SCEPDOC:
 * "you can enter a value that is lower than the validity period in the certificate template, but not higher");
 * the CA's policy module cuts a longer one. Undefined when the request asks for none (the template's applies).
 */
export function requestedValidity(csr: Csr): ValidityPeriod | undefined {
  const pairs = new Map(nameValuePairsOf(csr));
  const unit = VALIDITY_UNITS[pairs.get('ValidityPeriod') ?? ''];
  const value = Number(pairs.get('ValidityPeriodUnits'));
  return unit !== undefined && Number.isInteger(value) && value > 0 ? { value, unit } : undefined;
}
