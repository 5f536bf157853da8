/**
 * The one OMA-DM SyncML 1.2 server message a compiled profile travels in (docs/formats.md §2.1 header,
 * §2.5 device administrator): the header from the caller's `options.syncml` and the device's facts, the
 * profile's commands, `Final`. Both SyncML compilers use it — Windows (compile-windows.ts) and Android
 * device administrator (compile-android-device-admin.ts) — so the two speak the same header.
 */
import type { DeviceFacts } from '../variables/facts.ts';
import { encodeSyncml } from '../windows/syncml-encode.ts';
import type { SyncHdr, SyncmlCommand, SyncmlMessage } from '../windows/syncml-model.ts';
import type { CompileOptions, NativePayload } from './compile-types.ts';

/** The server's SyncHdr: `options.syncml` where given, else session 1, message 1, the device's Entra ID. */
export function syncmlServerHeader(facts: DeviceFacts, options: CompileOptions): SyncHdr {
  const o = options.syncml ?? {};
  return {
    verDtd: '1.2',
    verProto: 'DM/1.2',
    sessionId: o.sessionId ?? '1',
    msgId: o.msgId ?? 1,
    target: o.deviceId ?? facts.attributes.entraDeviceId ?? 'device',
    source: o.serverUrl ?? 'https://mdm.certfleet.test/omadm',
  };
}

/** One final SyncML message carrying `body`, encoded: the native payload a SyncML device receives. */
export function syncmlPayload(
  facts: DeviceFacts,
  options: CompileOptions,
  body: SyncmlCommand[],
): NativePayload {
  const native: SyncmlMessage = { header: syncmlServerHeader(facts, options), body, final: true };
  return { format: 'syncml', bytes: encodeSyncml(native), fileExtension: '.xml', native };
}
