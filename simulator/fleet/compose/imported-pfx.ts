/**
 * A scenario's `importedPfx:` (simulator/scenario/read-imported.ts): before the service starts, the run imports
 * one PFX per selected user and purpose into the tenant folder (the run's CA folder) through the same code path
 * as `certfleet pfx import` (importUserPfx: the PFX checked against its password, the password encrypted to
 * the tenant key). Each PFX holds a certificate the run's CA issues from the CertfleetUser template (subject
 * `CN=<display name>`, SAN the user's e-mail) on a key from the run's RSA key source, protected by a random
 * password that is never logged. A user who already has an import for the purpose (a `serve` that restarts
 * on the same folder) is left as is, so the certificate every device of the user receives stays the same.
 */
import { randomPassword } from '../../../pki/secret-witness.ts';
import { buildPkcs12 } from '../../../pki/pkcs12.ts';
import { matchesSelector } from '../../scenario/selectors.ts';
import type { ImportedPfxSpec } from '../../scenario/read-imported.ts';
import type { EnterpriseCa } from '../../service/ca/enterprise-ca.ts';
import { CONNECTOR_GROUP } from '../../service/ca/template.ts';
import { importUserPfx } from '../../service/pfx-import/import-pfx.ts';
import { PfxStore } from '../../service/pfx-import/pfx-store.ts';
import type { FleetContext } from './fleet-context.ts';

/** One import the run made (no secret in it). */
export interface ScenarioImport {
  userPrincipalName: string;
  purpose: string;
  thumbprint: string;
}

/** Imports the PFXs `specs` asks for, for the users of `ctx.devices`; returns what was imported. */
export async function importScenarioPfx(
  ctx: Pick<FleetContext, 'devices' | 'keys'>,
  ca: EnterpriseCa,
  specs: readonly ImportedPfxSpec[],
  now: Date,
): Promise<ScenarioImport[]> {
  const out: ScenarioImport[] = [];
  if (specs.length === 0) return out;
  const store = PfxStore.open(ca.dir);
  const existing = store.list();
  store.close();
  const done = new Set(existing.map((r) => `${r.userPrincipalName.toLowerCase()}\u0000${r.intendedPurpose}`));
  for (const spec of specs) {
    for (const { device, plan } of ctx.devices) {
      const upn = device.attributes.userPrincipalName;
      if (device.user === null || upn === undefined) continue;
      const target = {
        platform: plan.platform,
        kind: plan.kind,
        ownership: device.ownership,
        tags: plan.tags,
      };
      if (!matchesSelector(target, spec.where)) continue;
      const key = `${upn.toLowerCase()}\u0000${spec.purpose}`;
      if (done.has(key)) continue;
      done.add(key);
      const pair = await ctx.keys.rsa.take();
      const mail = device.attributes.emailAddress;
      const issued = ca.issue({
        template: 'CertfleetUser',
        requester: { identity: 'certfleet-pfx-import', groups: [CONNECTOR_GROUP] },
        subject: `CN=${device.user.displayName}`,
        ...(mail !== undefined && { san: [{ type: 'email' as const, value: mail }] }),
        publicKey: pair.publicKey,
        serverSideKey: true,
        now,
      });
      const password = randomPassword(20, 'pfx-password');
      const pfx = buildPkcs12({
        privateKey: pair.privateKey,
        certificates: [issued.certificate.der, ...issued.chain],
        password,
        profile: 'modern',
      });
      const r = await importUserPfx({
        dir: ca.dir,
        userPrincipalName: upn,
        pfx,
        password,
        purpose: spec.purpose,
        now,
        seal: ca, // the tenant key sealed as the run CA's keys are (never plain in the run folder)
      });
      out.push({ userPrincipalName: upn, purpose: spec.purpose, thumbprint: r.thumbprint });
    }
  }
  return out;
}
