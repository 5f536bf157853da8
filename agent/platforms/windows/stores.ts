/**
 * The Windows certificate stores certfleet models and how CSP nodes map onto them (issue 4 "Key stores";
 * docs/formats.md §2.3/§2.4): machine and user My (ClientCertificateInstall), and every store of the
 * RootCATrustedCertificates CSP (RCA, https://learn.microsoft.com/windows/client-management/mdm/rootcacertificates-csp):
 * Root (machine only: "./User configuration is not supported for RootCATrustedCertificates/Root"), CA,
 * TrustedPeople, TrustedPublisher, UntrustedCertificates and OemEsim, each in the machine and the user tree.
 *
 * RCA gives each store the Windows build it first exists on: the CSP itself 10.0.10586 (1511),
 * UntrustedCertificates 10.0.17134 (1803), OemEsim 10.0.22000 (Windows 11 21H2). On an older build the node
 * is not in the device's tree, so a command on it is answered 404 like any node the device does not have.
 */
import type { Certificate } from '../../../pki/certificate.ts';
import type { HeldCertificate } from '../../platform-adapter.ts';
import { compareVersions } from '../../../profiles/variables/facts.ts';
import type { LocUriScope } from '../../../profiles/windows/loc-uri.ts';
import { ROOT_CA_STORES, type RootCaStore } from '../../../profiles/windows/root-ca-trusted-certificates.ts';

/** The store names (`platform/scope/name`, agent/keystore/store-db.ts). */
export const WINDOWS_STORES = {
  machineRoot: 'windows/machine/Root',
  machineCa: 'windows/machine/CA',
  machineMy: 'windows/machine/My',
  machineTrustedPeople: 'windows/machine/TrustedPeople',
  machineTrustedPublisher: 'windows/machine/TrustedPublisher',
  machineUntrusted: 'windows/machine/UntrustedCertificates',
  machineOemEsim: 'windows/machine/OemEsim',
  userCa: 'windows/user/CA',
  userMy: 'windows/user/My',
  userTrustedPeople: 'windows/user/TrustedPeople',
  userTrustedPublisher: 'windows/user/TrustedPublisher',
  userUntrusted: 'windows/user/UntrustedCertificates',
  userOemEsim: 'windows/user/OemEsim',
} as const;

/** One modelled Windows store. */
export type WindowsStore = (typeof WINDOWS_STORES)[keyof typeof WINDOWS_STORES];

/** Every store name, in a stable order. */
export const ALL_WINDOWS_STORES: readonly WindowsStore[] = Object.values(WINDOWS_STORES);

/** The stores whose certificates Windows distrusts explicitly (RCA UntrustedCertificates, both trees). */
export const UNTRUSTED_STORES: readonly WindowsStore[] = [
  WINDOWS_STORES.machineUntrusted,
  WINDOWS_STORES.userUntrusted,
];

/**
 * The first Windows build that has each RootCATrustedCertificates store (RCA "Applicable OS"): the CSP is
 * 10.0.10586 (Windows 10 1511) and later; UntrustedCertificates 10.0.17134 (1803); OemEsim 10.0.22000
 * (Windows 11 21H2).
 */
export const RCA_STORE_FIRST_BUILD = {
  Root: '10.0.10586',
  CA: '10.0.10586',
  TrustedPeople: '10.0.10586',
  TrustedPublisher: '10.0.10586',
  UntrustedCertificates: '10.0.17134',
  OemEsim: '10.0.22000',
} as const satisfies Record<RootCaStore, string>;

/** The Windows release names of {@link RCA_STORE_FIRST_BUILD}, for messages. */
const RELEASE_OF_BUILD: Record<string, string> = {
  '10.0.10586': 'Windows 10 1511',
  '10.0.17134': 'Windows 10 1803',
  '10.0.22000': 'Windows 11 21H2',
};

/** The store scope segment for a LocURI scope (`./Device` → machine, `./User` → user). */
export function storeScope(scope: LocUriScope): 'machine' | 'user' {
  return scope === 'Device' ? 'machine' : 'user';
}

/**
 * The store a RootCATrustedCertificates node of `scope` writes to, or undefined for `./User/…/Root`, which
 * the CSP does not have (RCA). The OS build is checked separately ({@link rcaStoreMissingOn}).
 */
export function trustedStoreFor(scope: LocUriScope, store: RootCaStore): WindowsStore | undefined {
  if (store === 'Root' && scope === 'User') return undefined;
  return `windows/${storeScope(scope)}/${store}` as WindowsStore;
}

/**
 * Why the RootCATrustedCertificates `store` is not in the tree of a device running `osVersion` (RCA
 * "Applicable OS"), or undefined when the device has it.
 */
export function rcaStoreMissingOn(store: RootCaStore, osVersion: string): string | undefined {
  const first = RCA_STORE_FIRST_BUILD[store];
  if (compareVersions(osVersion, first) >= 0) return undefined;
  return `the ${store} store first exists on ${RELEASE_OF_BUILD[first] ?? first} (${first}), and this device runs ${osVersion}`;
}

/** The RootCATrustedCertificates stores a device running `osVersion` has in the tree of `scope`. */
export function rcaStoresOf(scope: LocUriScope, osVersion: string): RootCaStore[] {
  return ROOT_CA_STORES.filter(
    (s) => trustedStoreFor(scope, s) !== undefined && rcaStoreMissingOn(s, osVersion) === undefined,
  );
}

/** The personal store a PFXCertInstall of `scope` installs into. */
export function personalStoreFor(scope: LocUriScope): WindowsStore {
  return scope === 'Device' ? WINDOWS_STORES.machineMy : WINDOWS_STORES.userMy;
}

/**
 * What `held()` calls an item of this store: Root → root, CA → intermediate, My → identity. The other RCA
 * stores (TrustedPeople, TrustedPublisher, UntrustedCertificates, OemEsim) take any certificate, so the
 * certificate decides when it is given: self-signed → root, a CA → intermediate, else identity (a leaf:
 * `HeldCertificate` has no other kind; its store says that it carries no key).
 */
export function heldKindOf(store: string, cert?: Certificate): HeldCertificate['kind'] {
  if (store.endsWith('/Root')) return 'root';
  if (store.endsWith('/CA')) return 'intermediate';
  if (store.endsWith('/My') || cert === undefined) return 'identity';
  if (cert.isSelfSigned) return 'root';
  return cert.basicConstraints?.ca === true ? 'intermediate' : 'identity';
}
