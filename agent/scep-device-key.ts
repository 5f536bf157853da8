/**
 * The key a device makes for a SCEP enrolment (issue 14 point 2: "the device generates its key"), shared by
 * the platforms that enrol: the run's key source when the device context has one (`DeviceContext.scepKey`,
 * the fixture pool in tests), else a fresh RSA key made on the spot with node:crypto. The key is the
 * device's: the caller stores it only in the device's key store.
 */
import { CertfleetError } from '../pki/errors.ts';
import { generateKeyPair, type KeyPair } from '../pki/keys.ts';
import type { DeviceContext } from './platform-adapter.ts';

/** RSA sizes a device makes without a key source of the run. */
export const DEVICE_RSA_BITS = [2048, 3072, 4096] as const;

/**
 * A fresh RSA key of `bits` made on the device.
 *
 * @throws CertfleetError KEY_UNSUPPORTED for a size the device does not make.
 */
export async function deviceScepKey(ctx: DeviceContext, bits: number): Promise<KeyPair> {
  if (ctx.scepKey) return ctx.scepKey(bits);
  if (!(DEVICE_RSA_BITS as readonly number[]).includes(bits)) {
    throw new CertfleetError(
      'KEY_UNSUPPORTED',
      `The device makes 2048-, 3072- or 4096-bit RSA keys, not ${bits}.`,
    );
  }
  return generateKeyPair({ kind: 'rsa', size: bits as 2048 | 3072 | 4096 });
}
