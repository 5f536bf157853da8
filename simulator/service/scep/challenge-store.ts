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
 * A static challenge (`certfleet scep serve --challenge`) is the standalone NDES "password" mode: any number
 * of requests, no subject binding, no expiry.
 */
import { randomBytes } from 'node:crypto';
import { formatDn, parseDn } from '../../../pki/dn.ts';
import { CertfleetError } from '../../../pki/errors.ts';
import { scepError } from '../../../protocol/scep/scep-error.ts';
import type { ValidityPeriod } from '../../../profiles/model/profile.ts';

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
}

/** What the check needs from a request. */
export interface ChallengeUse {
  challenge: string | undefined;
  subject: string;
  now: Date;
}

function sameDn(a: string, b: string): boolean {
  try {
    return formatDn(parseDn(a)).toLowerCase() === formatDn(parseDn(b)).toLowerCase();
  } catch {
    return a === b;
  }
}

export class ChallengeStore {
  readonly #grants = new Map<string, ChallengeGrant>();
  readonly #validityMs: number;
  readonly #random: (n: number) => Buffer;
  readonly #static: string | undefined;

  constructor(opts: { validityMs?: number; random?: (n: number) => Buffer; staticChallenge?: string } = {}) {
    this.#validityMs = opts.validityMs ?? DEFAULT_CHALLENGE_VALIDITY_MS;
    this.#random = opts.random ?? randomBytes;
    this.#static = opts.staticChallenge;
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
    this.#grants.set(challenge, {
      deviceId: o.deviceId,
      profileId: o.profileId,
      ...(o.subject !== undefined && { subject: o.subject }),
      ...(o.validity !== undefined && { validity: { ...o.validity } }),
      issuedAt: o.now,
      expiresAt: new Date(o.now.getTime() + this.#validityMs),
    });
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
    const grant = this.#grants.get(use.challenge);
    if (grant === undefined) {
      throw scepError(
        'SCEP_CHALLENGE_INVALID',
        'badRequest',
        'The request\u2019s challenge was not issued by this service (unknown or garbled); get a new challenge from the management service.',
      );
    }
    const who = { deviceId: grant.deviceId, profileId: grant.profileId };
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
    grant.usedAt = use.now;
    return grant;
  }
}
