/**
 * `out/outcome/{profile}` (protocol/wire/messages.ts `OutcomeReport`, protocol/wire/outcome.ts): the typed
 * outcomes of one payload on the device. A failure fails the delivery with its code and native status; an
 * install records it installed — and when it installs the certificate sent to replace the current one, the
 * replaced certificate is revoked (superseded), a CRL published and the renewal counted. A SCEP install
 * takes the certificate the SCEP connector reported as the one the device holds (scep-delivery.ts
 * adoptScepCertificate), so that it is revoked on retire and unassign, and a renewal's revokes the old one.
 */
import type { OutcomeReport } from '../../../../protocol/wire/messages.ts';
import type { InstallOutcome } from '../../../../protocol/wire/outcome.ts';
import type { ServiceContext } from './context.ts';
import { answered } from './delivery.ts';
import { adoptScepCertificate } from './scep-delivery.ts';

/** What the outcome handler uses. */
export type OutcomeContext = Pick<
  ServiceContext,
  'deliveries' | 'reports' | 'setOutcome' | 'event' | 'revoke' | 'publishCrl' | 'scep'
>;

/** Handles the outcome report of one device about `profile` (device id already checked against the topic). */
export async function handleOutcome(
  ctx: OutcomeContext,
  report: OutcomeReport,
  profile: string,
): Promise<void> {
  const d = ctx.deliveries.get(report.deviceId, profile);
  if (!d || d.removed || d.device.state !== 'enrolled' || !Array.isArray(report.outcomes)) return;
  if (report.trustChange === true) {
    // only the trust of the installed identity changed (a CA certificate it lacked arrived): no install, no
    // renewal, and a payload in flight still waits for its own answer
    const o = report.outcomes.find((x) => x.status === 'installed');
    if (o === undefined || d.outcome.status !== 'installed') return;
    ctx.setOutcome(d, 'installed', o.code, o.message, o.native);
    ctx.event('trust-changed', o.message, d.device.id, profile);
    return;
  }
  answered(d);
  const outcomes = report.outcomes;
  const failed = outcomes.find((o) => o.status === 'failed');
  const installed = outcomes.filter((o) => o.status === 'installed');
  if (failed) {
    ctx.setOutcome(d, 'failed', failed.code, failed.message, failed.native);
    ctx.event('failed', `${failed.code}: ${failed.message}`, d.device.id, profile);
    return;
  }
  if (installed.length === 0) {
    const first: InstallOutcome | undefined = outcomes[0];
    if (first) ctx.setOutcome(d, 'skipped', first.code, first.message, first.native);
    return;
  }
  const o = installed.find((x) => x.code === 'OK') ?? installed[0]!;
  if (o.code === 'UNCHANGED' && d.outcome.status === 'installed' && d.sentCert === undefined) return; // a duplicate
  const sentCert = d.sentCert;
  if (sentCert !== undefined && sentCert.serial !== d.current?.serial) {
    const replaced = d.current;
    d.current = sentCert;
    if (replaced !== undefined) {
      d.outcome.renewals += 1;
      ctx.reports.counters.renewals += 1;
      if (ctx.revoke(replaced.serial, 'superseded')) ctx.publishCrl();
      ctx.event(
        'renewed',
        `certificate ${sentCert.serial} replaces ${replaced.serial} (revoked: superseded)`,
        d.device.id,
        profile,
      );
    }
  }
  // the certificate the SCEP connector reported for this device × profile is the one it now holds
  const superseded =
    d.assignment.profile.kind === 'scep-certificate' && o.code !== 'UNCHANGED'
      ? adoptScepCertificate(ctx, d)
      : undefined;
  if (d.assignment.profile.kind === 'scep-certificate' && d.reason === 'renewal' && o.code !== 'UNCHANGED') {
    // the device re-enrolled with the new challenge (scep-delivery.ts renewScep)
    d.outcome.renewals += 1;
    ctx.reports.counters.renewals += 1;
    ctx.event(
      'renewed',
      `re-enrolled over SCEP${superseded !== undefined ? `: ${superseded}` : ''}; ${o.message}`,
      d.device.id,
      profile,
    );
  }
  d.sentCert = undefined;
  d.reason = undefined;
  ctx.setOutcome(d, 'installed', o.code, o.message, o.native);
  ctx.event('installed', o.message, d.device.id, profile);
}
