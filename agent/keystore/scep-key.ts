/**
 * The key pair a device makes for a SCEP enrolment (issue 14 point 2): made on the device — the run's key
 * pool when the context has one (`DeviceContext.scepKey`), otherwise generated on the spot with node:crypto —
 * and never sent anywhere: the caller keeps it in the device's store. Apple (agent/platforms/apple/
 * scep-payload.ts) and Windows (agent/platforms/windows/scep-enrol.ts) both draw from here.
 */
import { CertfleetError, generateKeyPair, type KeyPair } from '../../pki/index.ts';
import type { DeviceContext } from '../platform-adapter.ts';

/** A fresh RSA key of `bits`; a size the device cannot make is KEY_UNSUPPORTED. */
export async function deviceScepKey(ctx: Pick<DeviceContext, 'scepKey'>, bits: number): Promise<KeyPair> {
  if (ctx.scepKey) return ctx.scepKey(bits);
  if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
    throw new CertfleetError(
      'KEY_UNSUPPORTED',
      `The device makes 2048-, 3072- or 4096-bit RSA keys, not ${bits}.`,
    );
  }
  return generateKeyPair({ kind: 'rsa', size: bits });
}
