/**
 * Installed-but-untrusted identities, looked at again when the device's stores change (issue 12 point 7):
 * a PKCS identity installed while a CA certificate of its chain was missing (INSTALL_UNTRUSTED_CHAIN — after
 * a CA rollover, the renewed issuing CA) becomes trusted once a trusted-certificate profile brings that CA.
 * Windows, Apple and Android evaluate trust when a certificate is used, not once at install
 * (agent/platforms/windows/held.ts, apple/held-certificates.ts, android/policy-store.ts `refreshTrust`), so
 * the device's status for that profile changes: the agent reports the profile again, installed and `OK`,
 * with the native status of its install (the install itself succeeded; only trust changed), in an outcome
 * report marked `trustChange` (protocol/wire/messages.ts), which the service records without counting an install.
 *
 * The agent remembers the untrusted identities in memory: an agent restarted before the CA arrives does not
 * report the change **[gap]**.
 */
import type { InstallOutcome } from '../../protocol/wire/outcome.ts';
import type { HeldCertificate } from '../platform-adapter.ts';

/** An identity reported installed but not trusted, waiting for its chain. */
interface Untrusted {
  profileId: string;
  subject: string;
  outcome: InstallOutcome;
}

/** A profile whose identity became trusted, with the outcome to report for it. */
export interface TrustChange {
  profileId: string;
  outcome: InstallOutcome;
}

/** Whether an outcome is an install the device does not trust for want of a CA certificate. */
export function isUntrustedInstall(o: InstallOutcome): boolean {
  return o.status === 'installed' && o.code === 'INSTALL_UNTRUSTED_CHAIN';
}

/** The untrusted identities of one device, by thumbprint. */
export class TrustRecheck {
  /** Made at the first untrusted identity: most devices never have one (an empty Map is ~180 bytes). */
  #untrusted: Map<string, Untrusted> | undefined;

  /** How many identities wait for their chain. */
  get size(): number {
    return this.#untrusted?.size ?? 0;
  }

  /**
   * After a delivery of `profileId` whose outcomes include an untrusted install: remembers each identity the
   * device now holds untrusted that belongs to that profile (`profileOf(ref)`; an item without a known
   * profile is taken as this delivery's).
   */
  note(
    profileId: string,
    outcomes: readonly InstallOutcome[],
    held: readonly HeldCertificate[],
    profileOf: (ref: string) => string | undefined,
  ): void {
    const outcome = outcomes.find(isUntrustedInstall);
    if (outcome === undefined) return;
    for (const h of held) {
      if (h.kind !== 'identity' || h.trusted || this.#untrusted?.has(h.thumbprint)) continue;
      const owner = profileOf(h.ref);
      if (owner !== undefined && owner !== profileId) continue;
      (this.#untrusted ??= new Map()).set(h.thumbprint, { profileId, subject: h.subject, outcome });
    }
  }

  /**
   * Looks at the remembered identities in `held` (trust evaluated now): one that is gone is forgotten (a
   * renewal replaced it, its profile was removed); one now trusted is forgotten and returned, with an `OK`
   * outcome to report for its profile.
   */
  recheck(held: readonly HeldCertificate[]): TrustChange[] {
    const changes: TrustChange[] = [];
    const untrusted = this.#untrusted;
    if (untrusted === undefined) return changes;
    for (const [thumbprint, u] of untrusted) {
      const h = held.find((x) => x.kind === 'identity' && x.thumbprint === thumbprint);
      if (h === undefined) {
        untrusted.delete(thumbprint);
        continue;
      }
      if (!h.trusted) continue;
      untrusted.delete(thumbprint);
      changes.push({
        profileId: u.profileId,
        outcome: {
          ...u.outcome,
          code: 'OK',
          message: `The certificate "${u.subject}" (${thumbprint}) is now trusted: its chain leads to an installed root, since a trusted-certificate profile brought the CA certificate it lacked.`,
        },
      });
    }
    if (untrusted.size === 0) this.#untrusted = undefined;
    return changes;
  }
}
