/**
 * Where in a `.mobileconfig` an Apple refusal points: the plist key path of the value the device refused
 * (`PayloadContent[1].Password`), in the same form as the codec's decode problems, so `inspect` and the typed
 * outcome name the key a person must fix rather than the payload's identifier.
 */
import type { AppleCase } from './native-status.ts';

/** The key each refusal case is about: in the payload (`payload`) or at the top of the profile (`profile`). */
const REFUSAL_KEYS: Readonly<Record<AppleCase, { at: 'payload' | 'profile'; key: string } | undefined>> = {
  certParse: { at: 'payload', key: 'PayloadContent' },
  pkcs12Parse: { at: 'payload', key: 'PayloadContent' },
  pkcs12NotIdentity: { at: 'payload', key: 'PayloadContent' },
  pkcs12SeveralIdentities: { at: 'payload', key: 'PayloadContent' },
  pkcs12Unsupported: { at: 'payload', key: 'PayloadContent' },
  pkcs12BadPassword: { at: 'payload', key: 'Password' },
  pkcs12EmptyPasswordIos: { at: 'payload', key: 'Password' },
  certExpired: { at: 'payload', key: 'PayloadContent' },
  keyUsageRefused: { at: 'payload', key: 'PayloadContent' },
  forbiddenInUserEnrollment: { at: 'profile', key: 'PayloadRemovalDisallowed' },
  userScopeWithoutUser: { at: 'profile', key: 'PayloadScope' },
  scepNotSimulated: { at: 'payload', key: 'PayloadContent' },
  scepEnrolFailed: { at: 'payload', key: 'PayloadContent' },
  profileNotInstalled: undefined,
  keychainError: undefined,
};

/**
 * The key path of a refusal of `kase` about payload `index` (`PayloadContent[index].Key`, or a top-level key
 * for a profile-level case); undefined when the case is about no key (a keychain failure).
 */
export function refusalPath(kase: AppleCase, index: number): string | undefined {
  const k = REFUSAL_KEYS[kase];
  if (!k) return undefined;
  return k.at === 'profile' ? k.key : `PayloadContent[${index}].${k.key}`;
}
