/**
 * The simulated Windows device (issue 4 "Key stores" and "Install and status" for Windows): OMA-DM SyncML in,
 * RootCATrustedCertificates and ClientCertificateInstall/PFXCertInstall applied to the machine and user stores
 * (My and every RootCATrustedCertificates store, stores.ts), SyncML Status/Results out. Decisions and sources:
 * README.md in this folder.
 *
 * @example
 * const { outcomes, reply } = windowsAdapter.deliver({ device, db, clock, identity }, syncmlBytes);
 */
import type { PlatformAdapter } from '../../platform-adapter.ts';
import { deliverSyncml } from './deliver.ts';
import { heldCertificates } from './held.ts';
import { removeNode } from './remove.ts';

/** The Windows {@link PlatformAdapter}. */
export const windowsAdapter: PlatformAdapter = {
  platform: 'windows',
  format: 'syncml',
  deliver: (ctx, payload, meta) => deliverSyncml(ctx, payload, meta),
  remove: (ctx, ref) => removeNode(ctx, ref),
  held: (ctx, view) => heldCertificates(ctx, view),
};

export { deliverSyncml, toOutcomes } from './deliver.ts';
export { heldCertificates } from './held.ts';
export { removeNode, resolveRef } from './remove.ts';
export { chooseKsp, describeKey, KSP_NAMES, type Ksp, type KspDecision } from './key-storage.ts';
export {
  WIN32,
  WINDOWS_NATIVE_TABLE,
  dwordText,
  intuneCode,
  nativeRow,
  statusNodeValue,
  windowsNative,
  type WindowsNativeRow,
  type Win32Name,
} from './native-status.ts';
export {
  ALL_WINDOWS_STORES,
  WINDOWS_STORES,
  heldKindOf,
  personalStoreFor,
  trustedStoreFor,
  type WindowsStore,
} from './stores.ts';
