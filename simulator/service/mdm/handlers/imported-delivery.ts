/**
 * Delivery of an imported-PKCS profile (profiles/model/imported-pkcs.ts; issue 14 point 3): the PFX connector
 * (simulator/service/connector/pfx-connector.ts), holder of the tenant key, opens the user's imported PFX of
 * the profile's intended purpose from the tenant's store (the CA folder: `pfx-import/`, written by
 * `certfleet pfx import` and by a scenario's `importedPfx:`), and the service compiles it into the device's
 * PKCS wrapping and sends it (delivery.ts compileAndSend: on Windows the password is encrypted to the device's
 * management certificate, PFXCertPasswordEncryptionType 1). Every device of the user therefore gets the same
 * certificate and key — nothing is issued, so nothing is queued for a certificate connector, renewed or
 * revoked (an imported certificate is the tenant's, not the CA's to withdraw).
 *
 * A user without an imported PFX for the purpose fails with PFX_NOT_IMPORTED (docs/errors.md), naming the user
 * and purpose; a device without a user never gets here (applicability.ts: not applicable, as user PKCS).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CertfleetError, isCertfleetError } from '../../../../pki/errors.ts';
import type { RenewRequest } from '../../../../protocol/wire/messages.ts';
import type { ImportedPkcsProfile } from '../../../../profiles/model/imported-pkcs.ts';
import { findImportedPfx, openImportedPfx } from '../../connector/pfx-connector.ts';
import { PFX_STORE_FILE, PfxStore, type UserPfxRecord } from '../../pfx-import/pfx-store.ts';
import { tenantPfxKey } from '../../pfx-import/tenant-key.ts';
import type { Delivery } from '../stores/deliveries.ts';
import { compileAndSend, type DeliveryContext } from './delivery.ts';

/** The user's records in the tenant folder `dir` (none when nothing was ever imported there). */
function recordsOf(dir: string, upn: string): UserPfxRecord[] {
  if (!existsSync(join(dir, PFX_STORE_FILE))) return [];
  const store = PfxStore.open(dir);
  try {
    return store.list(upn);
  } finally {
    store.close();
  }
}

/** Opens the user's imported PFX for `d` and sends it; fails the delivery with the connector's code. */
export async function startImportedDelivery(ctx: DeliveryContext, d: Delivery): Promise<void> {
  const profile = d.assignment.profile as ImportedPkcsProfile;
  const upn = d.device.facts?.attributes.userPrincipalName ?? '';
  const dir = ctx.ca.dir;
  try {
    if (upn === '') {
      // imports are kept by user principal name: a user without one matches none
      throw new CertfleetError(
        'PFX_NOT_IMPORTED',
        `The device's user has no user principal name in the directory, and imported PFXs are kept by UPN, so the PFX connector finds none for the purpose ${profile.intendedPurpose}; give the user a UPN and import the PFX for it.`,
        { details: { purpose: profile.intendedPurpose } },
      );
    }
    const records = recordsOf(dir, upn);
    findImportedPfx(records, upn, profile.intendedPurpose);
    const key = await tenantPfxKey(dir, new Date(ctx.now()), ctx.ca);
    const opened = openImportedPfx(records, key, upn, profile.intendedPurpose);
    const issued = { pfx: opened.pfx, password: opened.password };
    d.issued = issued;
    ctx.event(
      'imported-pfx-opened',
      `the PFX connector opened ${upn}'s ${opened.intendedPurpose} PFX (SHA-1 ${opened.thumbprint})`,
      d.device.id,
      d.assignment.name,
    );
    await compileAndSend(ctx, d, issued);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    ctx.setOutcome(d, 'failed', e.code, e.message);
    ctx.event('failed', `${e.code}: ${e.message}`, d.device.id, d.assignment.name);
  }
}

/**
 * A device asks to renew the imported certificate it holds (its renewal threshold reached). Intune does not
 * renew an imported certificate; the tenant imports the user's new PFX. So: when the user's newest import for
 * the purpose is another certificate than the one the device holds, it is delivered in place of the old one
 * (Windows: Delete of the PFXCertInstall node, then the Atomic; Apple and Android: the same profile id / key
 * alias); otherwise the request is answered with an event only.
 */
export async function renewImported(ctx: DeliveryContext, d: Delivery, req: RenewRequest): Promise<void> {
  if (d.removed || d.device.state !== 'enrolled') return;
  const profile = d.assignment.profile as ImportedPkcsProfile;
  const upn = d.device.facts?.attributes.userPrincipalName ?? '';
  const newest = recordsOf(ctx.ca.dir, upn).find((r) => r.intendedPurpose === profile.intendedPurpose);
  const held = typeof req.thumbprint === 'string' ? req.thumbprint.toUpperCase() : '';
  if (newest === undefined || newest.thumbprint.toUpperCase() === held) {
    ctx.event(
      'renewal-not-possible',
      `imported certificate ${req.thumbprint} ends ${req.notAfter}: an imported PFX is not renewed; import the user's new PFX (certfleet pfx import)`,
      d.device.id,
      d.assignment.name,
    );
    return;
  }
  try {
    const key = await tenantPfxKey(ctx.ca.dir, new Date(ctx.now()), ctx.ca);
    const opened = openImportedPfx([newest], key, upn, profile.intendedPurpose);
    const issued = { pfx: opened.pfx, password: opened.password };
    d.issued = issued;
    ctx.event(
      'imported-pfx-replaced',
      `the user's newer ${opened.intendedPurpose} PFX (SHA-1 ${opened.thumbprint}) replaces ${req.thumbprint}`,
      d.device.id,
      d.assignment.name,
    );
    await compileAndSend(ctx, d, issued, true);
  } catch (e) {
    if (!isCertfleetError(e)) throw e;
    ctx.setOutcome(d, 'failed', e.code, e.message);
    ctx.event('failed', `${e.code}: ${e.message}`, d.device.id, d.assignment.name);
  }
}
