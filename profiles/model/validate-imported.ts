/**
 * Validation of the settings of an imported-PKCS profile (profiles/model/imported-pkcs.ts), called by
 * validateProfile for `kind: pkcs-imported-certificate`: every problem with its path, defaults filled in.
 */
import { APPLE_DEPLOYMENT_CHANNEL, KEY_STORAGE_PROVIDER } from './enums.ts';
import { INTENDED_PURPOSES, type ImportedPkcsProfile } from './imported-pkcs.ts';
import type { ProfileFamily } from './platform.ts';
import { PKCS_LIMITS } from './settings.ts';
import { names, readAccess, type Reader } from './validate-profile.ts';

type Unnamed = ImportedPkcsProfile extends infer P
  ? P extends unknown
    ? Omit<P, 'displayName'>
    : never
  : never;

/**
 * Reads the imported-PKCS settings of `r` for `family`; undefined when one is wrong (the problem is in
 * `r.problems`). `intendedPurpose` is required: it decides which of the user's imported PFXs is delivered,
 * and Graph gives it no default.
 */
export function readImportedPkcs(r: Reader, family: ProfileFamily): Unnamed | undefined {
  const before = r.problems.length;
  const lim = PKCS_LIMITS.renewalThresholdPercentage;
  const renewalThresholdPercentage = r.integer('renewalThresholdPercentage', lim.min, lim.max, lim.default);
  const intendedPurpose =
    r.obj['intendedPurpose'] === undefined
      ? r.bad(
          'intendedPurpose',
          `is required: the purpose of the user's imported PFX to deliver (${INTENDED_PURPOSES.join(', ')}), as given to certfleet pfx import --purpose`,
        )
      : r.oneOf('intendedPurpose', INTENDED_PURPOSES, undefined);
  let extra: Record<string, unknown> = {};
  if (family === 'windows') {
    extra = {
      keyStorageProvider: r.oneOf(
        'keyStorageProvider',
        names(KEY_STORAGE_PROVIDER),
        'useTpmKspOtherwiseUseSoftwareKsp',
      ),
    };
  } else if (family === 'macos') {
    extra = {
      deploymentChannel: r.oneOf(
        'deploymentChannel',
        names(APPLE_DEPLOYMENT_CHANNEL, ['unknownFutureValue']),
        'deviceChannel',
      ),
    };
  } else if (family === 'android-device-owner') {
    extra = { certificateAccess: readAccess(r) };
  }
  if (
    r.problems.length > before ||
    renewalThresholdPercentage === undefined ||
    intendedPurpose === undefined ||
    Object.values(extra).some((v) => v === undefined)
  ) {
    return undefined;
  }
  return {
    kind: 'pkcs-imported-certificate',
    family,
    intendedPurpose,
    renewalThresholdPercentage,
    ...extra,
  } as Unnamed;
}
