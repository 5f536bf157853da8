/**
 * Administration: the certificate of a trusted-certificate profile is replaced (the administrator uploads
 * the renewed issuing CA after a CA rollover — `uploadIssuingCa`, issue 12 point 7). Intune sends a changed
 * profile again to the devices it is assigned to; certfleet compiles the new payload and sends it to every
 * enrolled device that has the profile, and devices that enrol later get the new certificate.
 */
import type { ServiceContext } from './context.ts';
import { compileAndSend, type DeliveryContext } from './delivery.ts';

/** What updating a trusted profile uses. */
export type UpdateTrustedContext = DeliveryContext & Pick<ServiceContext, 'assignments'>;

/**
 * Puts `certificate` (DER) into the trusted-certificate assignment `name` and re-sends it; returns how many
 * devices it was sent to (0 when no trusted-certificate assignment has that name).
 */
export async function updateTrustedCertificate(
  ctx: UpdateTrustedContext,
  name: string,
  certificate: Uint8Array,
): Promise<number> {
  const replaced = ctx.assignments.update(name, (a) =>
    a.profile.kind === 'trusted-certificate'
      ? { ...a, profile: { ...a.profile, certificate: new Uint8Array(certificate) } }
      : a,
  );
  let sent = 0;
  for (const d of ctx.deliveries.ofAssignment(name)) {
    const next = replaced.get(d.assignment);
    if (next === undefined || next.profile.kind !== 'trusted-certificate') continue;
    d.assignment = next;
    if (d.removed || d.device.state !== 'enrolled' || d.outcome.status === 'not-applicable') continue;
    ctx.event(
      'profile-updated',
      'the trusted certificate of the profile changed: sending it again',
      d.device.id,
      name,
    );
    await compileAndSend(ctx, d);
    sent += 1;
  }
  return sent;
}
