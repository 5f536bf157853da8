/**
 * What the Windows appliers share: the device context, the delivery meta, and the value one applied operation
 * produces before it becomes an {@link InstallOutcome} (the SyncML status it earns, and the CSP value).
 */
import { createHash } from 'node:crypto';
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { verifyChain, type ChainProblem } from '../../../pki/chain.ts';
import type { OutcomeCode } from '../../../protocol/wire/outcome.ts';
import type { DeliveryMeta, DeviceContext } from '../../platform-adapter.ts';
import type { StoreItem } from '../../keystore/store-db.ts';
import type { Win32Name } from './native-status.ts';
import { UNTRUSTED_STORES, WINDOWS_STORES } from './stores.ts';

/** Everything an applier needs. */
export interface ApplyEnv {
  ctx: DeviceContext;
  meta: DeliveryMeta | undefined;
  /** `ctx.clock.now()`, read once per delivery. */
  now: Date;
}

/** One payload's result before it is turned into an InstallOutcome. */
export interface PendingOutcome {
  /** The node path (`./Device/Vendor/MSFT/…/{node}`). */
  payload: string;
  status: 'installed' | 'failed' | 'skipped';
  code: OutcomeCode;
  message: string;
  /** The SyncML status of the command that carried it; the native table's when absent. */
  syncml?: number;
  /** The CSP Status value; the native table's when absent, none when null. */
  csp?: Win32Name | null;
  /**
   * Set on a successful Delete of a PFX node: the certificate it removed (`subject (thumbprint)`), so that an
   * install of the same node later in the message (a renewal: Delete, then Atomic Add) can say what it replaced.
   */
  removed?: string;
}

/** True for 2xx SyncML codes. */
export function isSuccess(syncml: number): boolean {
  return syncml >= 200 && syncml < 300;
}

/** SHA-256 hex of the parts (duplicate-delivery detection). */
export function contentHash(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    h.update(String(bytes.length)).update(':').update(bytes);
  }
  return h.digest('hex');
}

/** The profile-level meta every installed node records (renewal needs it later). */
export function profileMeta(env: ApplyEnv, extra: Record<string, unknown>): Record<string, unknown> {
  const meta: Record<string, unknown> = { renewalThreshold: env.meta?.renewalThreshold ?? 20, ...extra };
  if (env.meta?.profileId !== undefined) meta.profileId = env.meta.profileId;
  if (env.meta?.commandUuid !== undefined) meta.commandUuid = env.meta.commandUuid;
  return meta;
}

function certsOf(items: readonly StoreItem[]): Certificate[] {
  const out: Certificate[] = [];
  for (const item of items) {
    try {
      out.push(parseCertificate(item.certificate));
    } catch {
      // A stored certificate always parsed at install; skip anything unreadable.
    }
  }
  return out;
}

/** The result of {@link evaluateTrust}. */
export interface TrustResult {
  trusted: boolean;
  /** OK, INSTALL_CERT_EXPIRED (time problems) or INSTALL_UNTRUSTED_CHAIN (anything else). */
  code: 'OK' | 'INSTALL_CERT_EXPIRED' | 'INSTALL_UNTRUSTED_CHAIN';
  problems: ChainProblem[];
}

/**
 * Whether `cert` chains to an installed machine Root at `now`, through the installed CA certificates (machine
 * and user). The Windows chain engine trusts the LocalMachine Root store for every user; the CSP cannot put
 * a root into the user's Root store. A chain that holds a certificate of an UntrustedCertificates store
 * (machine or user) is not trusted: RCA's store "to immediately flag certificates that have been compromised
 * and no longer usable" (https://learn.microsoft.com/windows/client-management/mdm/rootcacertificates-csp).
 */
export function evaluateTrust(env: ApplyEnv, cert: Certificate): TrustResult {
  const { db, device } = env.ctx;
  const roots = certsOf(db.items(device.id, { store: WINDOWS_STORES.machineRoot }));
  const intermediates = certsOf([
    ...db.items(device.id, { store: WINDOWS_STORES.machineCa }),
    ...db.items(device.id, { store: WINDOWS_STORES.userCa }),
  ]);
  const result = verifyChain({ leaf: cert, intermediates, trustedRoots: roots, at: env.now });
  const distrusted = new Set(
    UNTRUSTED_STORES.flatMap((store) => db.items(device.id, { store }).map((i) => i.thumbprint)),
  );
  const problems: ChainProblem[] = [...result.problems];
  for (const c of distrusted.size === 0 ? [] : result.chain) {
    if (!distrusted.has(c.sha1Thumbprint)) continue;
    problems.push({
      code: 'CHAIN_UNTRUSTED',
      message: `"${c.subjectText}" (${c.sha1Thumbprint}) is in an UntrustedCertificates store: Windows distrusts it explicitly.`,
      certificate: c,
    });
  }
  if (problems.length === 0) return { trusted: true, code: 'OK', problems: [] };
  const timeOnly = problems.every((p) => p.code === 'CHAIN_EXPIRED' || p.code === 'CHAIN_NOT_YET_VALID');
  return {
    trusted: false,
    code: timeOnly ? 'INSTALL_CERT_EXPIRED' : 'INSTALL_UNTRUSTED_CHAIN',
    problems,
  };
}

/** A one-line summary of chain problems for a message. */
export function chainSummary(problems: readonly ChainProblem[]): string {
  return problems.map((p) => p.message).join(' ');
}
