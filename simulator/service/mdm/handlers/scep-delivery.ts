/**
 * Delivery of a SCEP profile (profiles/model/scep-profile.ts; issue 14 point 2), service side. Nothing is
 * issued here: the device makes its own key and enrols with the run's SCEP server. The service, as Intune
 * does, issues a one-time challenge for this device × profile (simulator/service/scep/challenge-store.ts,
 * on the run's virtual clock: its validity runs from now) bound to the subject the profile resolves for the
 * device, and compiles the platform payload with the server URL, the challenge and the CA it must chain to
 * (Apple `CAFingerprint`, Windows `CAThumbprint`; profiles/compile/compile-types.ts ScepEnrolment). The
 * challenge also carries the profile's validity period, which the run's SCEP server asks the CA for.
 *
 * With the connectors' strong-mapping setting on (`connectors.sidSecurityExtension`), the profile is
 * compiled with the SID URI SAN (profiles/compile/scep-strong-mapping.ts); a device whose user (or, for a
 * device certificate, computer) has no on-premises SID fails CONNECTOR_SID_UNAVAILABLE, as PKCS does.
 *
 * The challenge never appears in an event or an outcome message (it is a secret of the payload).
 */
import { CertfleetError, isCertfleetError } from '../../../../pki/errors.ts';
import type { ValidityPeriod } from '../../../../profiles/model/profile.ts';
import type { ScepCertificateProfile } from '../../../../profiles/model/scep-profile.ts';
import type { DeviceFacts } from '../../../../profiles/variables/facts.ts';
import { withSidUriSan } from '../../../../profiles/compile/scep-strong-mapping.ts';
import { resolveProfileNames } from '../../../../profiles/variables/resolve-profile-names.ts';
import type { RenewRequest } from '../../../../protocol/wire/messages.ts';
import type { Delivery } from '../stores/deliveries.ts';
import type { ServiceContext } from './context.ts';
import { compileAndSend, type DeliveryContext } from './delivery.ts';

/** The profile as the service compiles it for the device: with the SID URI SAN when the setting is on. */
function profileFor(ctx: DeliveryContext, d: Delivery): ScepCertificateProfile {
  const profile = d.assignment.profile as ScepCertificateProfile;
  if (ctx.scep?.sidSecurityExtension !== true) return profile;
  const mapped = withSidUriSan(profile, d.device.facts!);
  if (mapped.ok) return mapped.profile;
  const { sid } = mapped;
  throw new CertfleetError(
    'CONNECTOR_SID_UNAVAILABLE',
    `Strong certificate mapping is on (connectors.sidSecurityExtension), so the SCEP profile carries the URI SAN tag:microsoft.com,2022-09-14:sid:{{OnPremisesSecurityIdentifier}}, but ${sid.why}. ` +
      (sid.principal === 'user'
        ? 'Synchronise the user from on-premises Active Directory with Entra Connect, or exclude cloud-only users from this profile.'
        : 'Hybrid join the device to the on-premises domain, or issue a user certificate instead.'),
  );
}

/**
 * What the service binds a device's one-time challenge to besides the device × profile: the subject the
 * profile resolves for the device (an unresolvable subject fails in the compile instead), and the profile's
 * validity period, which the connector asks the CA for (SCEPDOC "Certificate validity period": lower than
 * the template's, never higher; the CA cuts it).
 */
export function challengeTermsOf(
  profile: ScepCertificateProfile,
  facts: DeviceFacts,
): { subject?: string; validity: ValidityPeriod } {
  const names = resolveProfileNames(profile, facts);
  return {
    ...(names.ok && names.subject !== '' && { subject: names.subject }),
    validity: { ...profile.validity },
  };
}

/**
 * Issues the device's one-time challenge and sends the SCEP payload (again after a re-enrolment: a new
 * challenge each time). Fails the delivery with the compile's or the strong mapping's code.
 */
export async function startScepDelivery(ctx: DeliveryContext, d: Delivery): Promise<void> {
  const scep = ctx.scep;
  try {
    if (scep === undefined) {
      throw new CertfleetError(
        'USAGE',
        `The profile ${d.assignment.name} is a SCEP profile, but this service has no SCEP server to send devices to; run it in a fleet run (certfleet run), which starts one.`,
      );
    }
    const profile = profileFor(ctx, d);
    const challenge = scep.challenges.issue({
      deviceId: d.device.id,
      profileId: d.assignment.name,
      ...challengeTermsOf(profile, d.device.facts!),
      now: ctx.clock.now(),
    });
    ctx.event(
      'scep-challenge-issued',
      `one-time challenge for the SCEP server ${scep.url}`,
      d.device.id,
      d.assignment.name,
    );
    await compileAndSend(ctx, d, undefined, false, {
      profile,
      scep: {
        url: scep.url,
        challenge,
        caFingerprint: scep.caFingerprint,
        caThumbprint: scep.caThumbprint,
      },
    });
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    ctx.setOutcome(d, 'failed', e.code, e.message);
    ctx.event('failed', `${e.code}: ${e.message}`, d.device.id, d.assignment.name);
  }
}

/**
 * A device asks to renew the certificate of a SCEP profile (its renewal threshold reached): the service
 * sends the profile again with a new one-time challenge, and the device re-enrols (a new key), replacing
 * the identity the profile installed. A request while a payload is still unanswered is ignored, and so is
 * one about a certificate that was already replaced (as for PKCS, renew.ts).
 */
export async function renewScep(ctx: DeliveryContext, d: Delivery, req: RenewRequest): Promise<void> {
  if (d.removed || d.device.state !== 'enrolled' || d.awaiting) return;
  // about a certificate the device no longer holds (the connector reported a newer one it installed)
  if (d.current !== undefined && typeof req.thumbprint === 'string' && req.thumbprint !== '') {
    if (req.thumbprint.toUpperCase() !== d.current.thumbprint.toUpperCase()) return;
  }
  ctx.event(
    'renewal-requested',
    `certificate ${req.thumbprint} ends ${req.notAfter}: the device re-enrols with a new challenge`,
    d.device.id,
    d.assignment.name,
  );
  d.reason = 'renewal';
  await startScepDelivery(ctx, d);
}

/** What the service does with the connector's reports when a SCEP payload installs. */
export type ScepInstallContext = Pick<ServiceContext, 'scep' | 'event' | 'revoke' | 'reports' | 'publishCrl'>;

/**
 * A SCEP payload installed on the device: the service takes the certificate the connector reported last
 * for this device × profile as the one the device holds (`d.current`, as for PKCS), so retiring the device
 * or removing the assignment revokes it (withdraw). When it replaces an earlier one — a renewal's
 * re-enrolment — the replaced certificate is revoked (superseded) and a CRL published, as a PKCS renewal
 * does (docs/failure-modes.md "SCEP certificates after enrolment"). Nothing when the connector reported
 * nothing new (the same payload acknowledged again). Returns the text the service's `renewed` event gives
 * the serials in ("certificate NEW replaces OLD (revoked: superseded)"), or undefined.
 */
export function adoptScepCertificate(ctx: ScepInstallContext, d: Delivery): string | undefined {
  const latest = ctx.scep?.issued.latest(d.device.id, d.assignment.name);
  if (latest === undefined || latest.serial === d.current?.serial) return undefined;
  const replaced = d.current;
  d.current = { serial: latest.serial, thumbprint: latest.thumbprint, notAfter: latest.notAfter };
  ctx.reports.counters.certificatesIssued += 1;
  ctx.event(
    'issued',
    `certificate ${latest.serial} by the SCEP connector (${d.reason ?? 'initial'}; transaction ${latest.transactionId})`,
    d.device.id,
    d.assignment.name,
  );
  if (replaced === undefined) return undefined;
  if (ctx.revoke(replaced.serial, 'superseded')) ctx.publishCrl();
  return `certificate ${latest.serial} replaces ${replaced.serial} (revoked: superseded)`;
}

/**
 * The serials of every SCEP certificate the connector reported for this delivery's device × profile: what
 * a retire or an assignment removal revokes (REMOVEDOC, iOS and macOS "SCEP certificates": revoked and
 * removed on retire, and when the profile is removed from the group assignment), including one the device
 * was issued but never reported installed.
 */
export function scepSerialsOf(ctx: Pick<DeliveryContext, 'scep'>, d: Delivery): string[] {
  if (d.assignment.profile.kind !== 'scep-certificate') return [];
  return (ctx.scep?.issued.of(d.device.id, d.assignment.name) ?? []).map((c) => c.serial);
}
