/**
 * The Windows certificate stores certfleet models and how CSP nodes map onto them (issue 4 "Key stores";
 * docs/formats.md §2.3/§2.4): machine Root, CA and My; user CA and My. `./User/…/RootCATrustedCertificates/Root`
 * does not exist (RCA: "./User configuration is not supported for RootCATrustedCertificates/Root").
 * The other RCA stores (TrustedPeople, TrustedPublisher, UntrustedCertificates, OemEsim) exist on a real
 * device but are not modelled: certfleet answers them as an unsupported store.
 */
import type { HeldCertificate } from '../../platform-adapter.ts';
import type { LocUriScope } from '../../../profiles/windows/loc-uri.ts';
import type { RootCaStore } from '../../../profiles/windows/root-ca-trusted-certificates.ts';

/** The store names (`platform/scope/name`, agent/keystore/store-db.ts). */
export const WINDOWS_STORES = {
  machineRoot: 'windows/machine/Root',
  machineCa: 'windows/machine/CA',
  machineMy: 'windows/machine/My',
  userCa: 'windows/user/CA',
  userMy: 'windows/user/My',
} as const;

/** One modelled Windows store. */
export type WindowsStore = (typeof WINDOWS_STORES)[keyof typeof WINDOWS_STORES];

/** Every store name, in a stable order. */
export const ALL_WINDOWS_STORES: readonly WindowsStore[] = Object.values(WINDOWS_STORES);

/** The store scope segment for a LocURI scope (`./Device` → machine, `./User` → user). */
export function storeScope(scope: LocUriScope): 'machine' | 'user' {
  return scope === 'Device' ? 'machine' : 'user';
}

/** The store a RootCATrustedCertificates node writes to, or undefined when certfleet does not model it. */
export function trustedStoreFor(scope: LocUriScope, store: RootCaStore): WindowsStore | undefined {
  if (store === 'Root') return scope === 'Device' ? WINDOWS_STORES.machineRoot : undefined;
  if (store === 'CA') return scope === 'Device' ? WINDOWS_STORES.machineCa : WINDOWS_STORES.userCa;
  return undefined;
}

/** The personal store a PFXCertInstall of `scope` installs into. */
export function personalStoreFor(scope: LocUriScope): WindowsStore {
  return scope === 'Device' ? WINDOWS_STORES.machineMy : WINDOWS_STORES.userMy;
}

/** What `held()` calls an item of this store: Root → root, CA → intermediate, My → identity. */
export function heldKindOf(store: string): HeldCertificate['kind'] {
  if (store.endsWith('/Root')) return 'root';
  if (store.endsWith('/CA')) return 'intermediate';
  return 'identity';
}
