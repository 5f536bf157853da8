/**
 * The Intune SCEP challenge model, connector side: the service issues a one-time challenge per device ×
 * profile, valid for a limited time and bound to the subject the profile resolved for that device; the
 * connector's policy module (CRP, "Certificate Registration Point") checks the challenge of each request
 * before NDES submits it to the CA (docs/formats.md §7.5; C2 events 20500–20502).
 *
 * Outcomes: unknown or missing → SCEP_CHALLENGE_INVALID (C2 diagnostic 0x00000410 CRPSCEPDeserialize_Failed);
 * expired → SCEP_CHALLENGE_EXPIRED (0x00000411 CRPSCEPChallenge_Expired); used before →
 * SCEP_CHALLENGE_REUSED; issued for another subject → SCEP_CHALLENGE_MISMATCH (the last two have no
 * documented diagnostic code of their own: 0x0FFFFFFF Unknown_Error, inferred). A challenge is spent when it
 * passes the check, so a second request with it is refused even when the first was later denied by the CA.
 *
 * Time is the caller's `now` (virtual in a run, docs/architecture.md house rule 2); randomness is passed in.
 *
 * Across a kill (issue 10 point 3): with a `journal`, each grant is written when it is made (with the
 * device × profile of the delivery it belongs to) and again when it is spent, before the SCEP answer leaves
 * (write-ahead); a resumed `serve` rebuilds the store from those records ({@link ChallengeStore.restore}),
 * so a device that got its challenge before the kill enrols after it, once. Grants are kept by the SHA-256
 * of the challenge ({@link challengeDigest}), never by the challenge itself: the record's key is stored in
 * the clear (its value is sealed), and a 192-bit random value cannot be found back from its digest.
 * A static challenge (`certfleet scep serve --challenge`) is the standalone NDES "password" mode: any number
 * of requests, no subject binding, no expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { formatDn, parseDn } from '../../../pki/dn.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { scepError } from '../../../protocol/scep/scep-error.ts';
import type { ValidityPeriod } from '../../../profiles/model/profile.ts';
import {
  jsonRecord,
  mustBeEmpty,
  readRecord,
  type RecordJournal,
  type SavableStore,
  type SavedRecord,
} from '../mdm/stores/saved-records.ts';

/** Default validity of a one-time challenge: 60 minutes (inferred; the Intune service's value is not published). */
export const DEFAULT_CHALLENGE_VALIDITY_MS = 60 * 60_000;

/** A challenge the service issued. */
export interface ChallengeGrant {
  deviceId: string;
  profileId: string;
  /** The subject the request must carry (RFC 4514 text); any when absent. */
  subject?: string;
  /**
   * The profile's certificate validity period, which the connector asks the CA for (SCEPDOC "Certificate
   * validity period": lower than the template's, never higher — the CA cuts a longer one); the template's
   * when absent. Intune conveys the profile's settings with its challenge [inferred].
   */
  validity?: ValidityPeriod;
  issuedAt: Date;
  expiresAt: Date;
  usedAt?: Date;
  /** The SCEP transactionID of the request that spent it. */
  usedBy?: string;
  /** Set on what {@link ChallengeStore.redeem} returns for a resent request (never stored). */
  resent?: true;
}

/** What the check needs from a request. */
export interface ChallengeUse {
  challenge: string | undefined;
  subject: string;
  now: Date;
  /**
   * The request's SCEP transactionID: the request that spent the challenge, sent again with the same
   * transactionID (its answer lost to a kill of the server), is the same request — its grant is returned
   * again (RFC 8894 §3.3.1: a resent request gets the same answer), never a second use.
   */
  transactionId?: string;
}

function sameDn(a: string, b: string): boolean {
  try {
    return formatDn(parseDn(a)).toLowerCase() === formatDn(parseDn(b)).toLowerCase();
  } catch {
    return a === b;
  }
}

/** The key a grant is kept by: the SHA-256 of its challenge (base64url), which does not reveal it. */
export function challengeDigest(challenge: string): string {
  return createHash('sha256').update('certfleet/scep-challenge\0').update(challenge).digest('base64url');
}

/** A grant as a record: dates as ISO-8601. */
interface SavedGrant extends Omit<ChallengeGrant, 'issuedAt' | 'expiresAt' | 'usedAt'> {
  issuedAt: string;
  expiresAt: string;
  usedAt?: string;
}

export class ChallengeStore implements SavableStore {
  /** By {@link challengeDigest}. */
  readonly #grants = new Map<string, ChallengeGrant>();
  readonly #validityMs: number;
  readonly #random: (n: number) => Buffer;
  readonly #static: string | undefined;
  readonly #journal: RecordJournal | undefined;

  constructor(
    opts: {
      validityMs?: number;
      random?: (n: number) => Buffer;
      staticChallenge?: string;
      /** Where each grant is written when it is made and when it is spent (see the file comment). */
      journal?: RecordJournal;
    } = {},
  ) {
    this.#validityMs = opts.validityMs ?? DEFAULT_CHALLENGE_VALIDITY_MS;
    this.#random = opts.random ?? randomBytes;
    this.#static = opts.staticChallenge;
    this.#journal = opts.journal;
    if (this.#static === '') {
      throw new CertfleetError(
        'USAGE',
        'A static SCEP challenge cannot be empty; omit it to use one-time challenges.',
      );
    }
  }

  /**
   * Issues a one-time challenge for a device × profile (and, when given, the subject it must request and
   * the validity the certificate is asked for).
   */
  issue(o: {
    deviceId: string;
    profileId: string;
    subject?: string;
    validity?: ValidityPeriod;
    now: Date;
  }): string {
    const challenge = this.#random(24).toString('base64url');
    const digest = challengeDigest(challenge);
    const grant: ChallengeGrant = {
      deviceId: o.deviceId,
      profileId: o.profileId,
      ...(o.subject !== undefined && { subject: o.subject }),
      ...(o.validity !== undefined && { validity: { ...o.validity } }),
      issuedAt: o.now,
      expiresAt: new Date(o.now.getTime() + this.#validityMs),
    };
    // written before the challenge is handed out (it goes into a payload next)
    this.#journal?.keep(recordOf(digest, grant));
    this.#grants.set(digest, grant);
    return challenge;
  }

  /**
   * Checks a request's challenge and spends it. Returns the grant (undefined for the static challenge).
   *
   * @throws CertfleetError SCEP_CHALLENGE_INVALID, SCEP_CHALLENGE_EXPIRED, SCEP_CHALLENGE_REUSED,
   *   SCEP_CHALLENGE_MISMATCH, each with `details.failInfo` badRequest. Messages never contain the challenge.
   */
  redeem(use: ChallengeUse): ChallengeGrant | undefined {
    if (use.challenge === undefined || use.challenge === '') {
      throw scepError(
        'SCEP_CHALLENGE_INVALID',
        'badRequest',
        'The request carries no challengePassword; get a challenge from the management service and put it in the CSR.',
      );
    }
    if (this.#static !== undefined && use.challenge === this.#static) return undefined;
    const digest = challengeDigest(use.challenge);
    const grant = this.#grants.get(digest);
    if (grant === undefined) {
      throw scepError(
        'SCEP_CHALLENGE_INVALID',
        'badRequest',
        'The request\u2019s challenge was not issued by this service (unknown or garbled); get a new challenge from the management service.',
      );
    }
    const who = { deviceId: grant.deviceId, profileId: grant.profileId };
    const resent = use.transactionId !== undefined && grant.usedBy === use.transactionId;
    if (resent && (grant.subject === undefined || sameDn(grant.subject, use.subject)))
      return { ...grant, resent: true };
    if (grant.usedAt !== undefined) {
      throw scepError(
        'SCEP_CHALLENGE_REUSED',
        'badRequest',
        `The challenge for device ${grant.deviceId} × profile ${grant.profileId} was already used at ${grant.usedAt.toISOString()}; a challenge is good for one request.`,
        { details: who },
      );
    }
    if (use.now.getTime() >= grant.expiresAt.getTime()) {
      throw scepError(
        'SCEP_CHALLENGE_EXPIRED',
        'badRequest',
        `The challenge for device ${grant.deviceId} × profile ${grant.profileId} expired at ${grant.expiresAt.toISOString()}; the device can retry after obtaining a new challenge from the management service.`,
        { details: who },
      );
    }
    if (grant.subject !== undefined && !sameDn(grant.subject, use.subject)) {
      throw scepError(
        'SCEP_CHALLENGE_MISMATCH',
        'badRequest',
        `The challenge was issued to device ${grant.deviceId} × profile ${grant.profileId} for "${grant.subject}", but the request asks for "${use.subject}".`,
        { details: who },
      );
    }
    // spent on record before the request goes on to the CA and its answer leaves (write-ahead)
    const by = use.transactionId !== undefined ? { usedBy: use.transactionId } : {};
    this.#journal?.keep(recordOf(digest, { ...grant, usedAt: use.now, ...by }));
    grant.usedAt = use.now;
    if (use.transactionId !== undefined) grant.usedBy = use.transactionId;
    return grant;
  }

  /** True when the grants are written to a journal (they outlive the process: a resumed serve's). */
  get journaled(): boolean {
    return this.#journal !== undefined;
  }

  /** Every grant, one record each, keyed by {@link challengeDigest} (values hold no challenge). */
  save(): SavedRecord[] {
    return [...this.#grants].map(([digest, grant]) => recordOf(digest, grant));
  }

  /**
   * Rebuilds the grants from {@link save}'s (or the journal's) records — a resumed `serve`; the store must
   * be empty. A grant spent before the kill stays spent.
   * @throws CertfleetError IO when a record is not readable; INTERNAL when the store holds grants.
   */
  restore(records: ReadonlyMap<string, Buffer>): void {
    mustBeEmpty('SCEP challenge', this.#grants.size);
    for (const [digest, value] of records) {
      const { usedAt, issuedAt, expiresAt, ...rest } = readRecord<SavedGrant>(
        'scep-challenges',
        digest,
        value,
      );
      this.#grants.set(digest, {
        ...rest,
        issuedAt: new Date(issuedAt),
        expiresAt: new Date(expiresAt),
        ...(usedAt !== undefined && { usedAt: new Date(usedAt) }),
      });
    }
  }
}

function recordOf(digest: string, grant: ChallengeGrant): SavedRecord {
  const { usedAt, issuedAt, expiresAt, ...rest } = grant;
  const saved: SavedGrant = {
    ...rest,
    issuedAt: issuedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    ...(usedAt !== undefined && { usedAt: usedAt.toISOString() }),
  };
  return jsonRecord(digest, saved);
}
