/**
 * The PFX connectors of a run: exactly one per tenant (imported PKCS, issue 14 point 3 — "the PFX connector
 * (one instance per tenant, as documented)"), each with its own MQTT client `pfx-connector-{tenant}`
 * (simulator/service/connector/pfx-connector.ts), polling its tenant's service for imported-PFX work. A tenant
 * gets one when it uses imported PKCS ({@link needsPfxConnector}): the connector is what a tenant installs to
 * use imported PFXs, not part of every tenant. Never one per device: every device × imported profile of the
 * tenant is a request in the one queue, served by that tenant's one connector.
 */
import type { Clock } from '../../protocol/runtime/clock.ts';
import type { Scheduler } from '../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../protocol/transport/transport.ts';
import { CertfleetError } from '../../pki/errors.ts';
import type { Scenario } from '../scenario/index.ts';
import { PfxConnector, pfxConnectorId } from '../service/connector/pfx-connector.ts';
import type { KeySeal } from '../service/pfx-import/tenant-key.ts';

/** One tenant a PFX connector serves. */
export interface PfxTenant {
  tenant: string;
  /** The tenant folder (its imported-PFX store and tenant key): a run's CA folder. */
  dir: string;
  /** How its tenant key file is sealed (the CA of that folder). */
  seal?: KeySeal;
}

/** Options of {@link startPfxConnectors}. */
export interface PfxConnectorsOptions {
  tenants: readonly PfxTenant[];
  /** Opens the MQTT client of a connector id. */
  connect: (clientId: string) => Promise<Transport>;
  clock: Clock & Scheduler;
  pollIntervalMs: number;
  /** Longest interval idle polls back off to. */
  maxIdlePollIntervalMs?: number;
}

/** True when the scenario uses imported PKCS, so its tenant runs a PFX connector. */
export function needsPfxConnector(scenario: Pick<Scenario, 'profiles'>): boolean {
  return scenario.profiles.some((p) => p.kind === 'pkcs-imported-certificate');
}

/** The PFX connector's client id of each tenant that needs one (for the broker's accounts). */
export function pfxConnectorIds(tenant: string, scenario: Pick<Scenario, 'profiles'>): string[] {
  return needsPfxConnector(scenario) ? [pfxConnectorId(tenant)] : [];
}

/**
 * Starts one PFX connector per tenant, keyed by tenant.
 * @throws CertfleetError USAGE when a tenant is given twice: a tenant has one PFX connector.
 */
export async function startPfxConnectors(o: PfxConnectorsOptions): Promise<Map<string, PfxConnector>> {
  const seen = new Set<string>();
  for (const t of o.tenants) {
    if (seen.has(t.tenant)) {
      throw new CertfleetError(
        'USAGE',
        `The tenant '${t.tenant}' is given twice: a tenant has exactly one PFX connector, the holder of its tenant key.`,
      );
    }
    seen.add(t.tenant);
  }
  const started = new Map<string, PfxConnector>();
  try {
    for (const t of o.tenants) {
      const c = new PfxConnector({
        tenant: t.tenant,
        dir: t.dir,
        ...(t.seal !== undefined && { seal: t.seal }),
        transport: await o.connect(pfxConnectorId(t.tenant)),
        clock: o.clock,
        pollIntervalMs: o.pollIntervalMs,
        ...(o.maxIdlePollIntervalMs !== undefined && { maxIdlePollIntervalMs: o.maxIdlePollIntervalMs }),
      });
      await c.start();
      started.set(t.tenant, c);
    }
  } catch (e) {
    await Promise.all([...started.values()].map((c) => c.stop().catch(() => undefined)));
    throw e;
  }
  return started;
}
