/** Decoding helpers for the compile tests: each compiled payload goes back through its platform's strict decoder. */
import { expect } from 'vitest';
import { decodeAndroidPolicy } from '../../../profiles/android/policy-codec.ts';
import type { AndroidPolicy } from '../../../profiles/android/policy-model.ts';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import type { AppleProfile } from '../../../profiles/apple/mobileconfig-types.ts';
import type { CompileResult, NativePayload } from '../../../profiles/compile/index.ts';
import { decodePfxInstalls, type PfxInstallOperation } from '../../../profiles/windows/pfx-cert-install.ts';
import {
  decodeTrustedCertOperations,
  type TrustedCertOperation,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';

/** The payload of a successful compile (fails the test otherwise). */
export function payloadOf(r: CompileResult): NativePayload {
  if (!r.ok) throw new Error(`compile failed: ${r.outcome.kind}: ${r.outcome.message}`);
  return r.payload;
}

/** Decodes a `.mobileconfig` for `platform`, expecting no problems. */
export function decodeApple(p: NativePayload, platform: 'macos' | 'ios'): AppleProfile {
  expect(p.format).toBe('mobileconfig');
  const r = decodeMobileconfig(p.bytes, { platform });
  if (!r.ok) throw new Error(`mobileconfig does not decode: ${JSON.stringify(r.problems)}`);
  return r.profile;
}

/** Decodes a SyncML message and its RootCATrustedCertificates operations, expecting no problems. */
export function decodeTrusted(p: NativePayload): TrustedCertOperation[] {
  expect(p.format).toBe('syncml');
  const r = decodeSyncml(p.bytes);
  if (!r.ok) throw new Error(`SyncML does not decode: ${r.problems.map((e) => e.message).join('; ')}`);
  const ops = decodeTrustedCertOperations(r.message);
  expect(ops.problems.map((e) => e.message)).toEqual([]);
  return ops.operations;
}

/** Decodes a SyncML message and its PFXCertInstall operations, expecting no problems. */
export function decodePfx(p: NativePayload): PfxInstallOperation[] {
  expect(p.format).toBe('syncml');
  const r = decodeSyncml(p.bytes);
  if (!r.ok) throw new Error(`SyncML does not decode: ${r.problems.map((e) => e.message).join('; ')}`);
  const ops = decodePfxInstalls(r.message);
  expect(ops.problems.map((e) => e.message)).toEqual([]);
  return ops.installs;
}

/** Decodes an Android policy, expecting no problems. */
export function decodeAndroid(p: NativePayload): AndroidPolicy {
  expect(p.format).toBe('android-policy');
  const r = decodeAndroidPolicy(p.bytes);
  if (!r.ok) throw new Error(`policy does not decode: ${r.problems.map((e) => e.message).join('; ')}`);
  return r.policy;
}
