/**
 * Key tables for the top-level profile and the certificate/SCEP payloads, transcribed from Apple's
 * machine-readable schema (ADM `mdm/profiles/*.yaml`, docs/formats.md §1.1–1.4): each key's plist type, presence,
 * rangelist and the platforms (of macOS/iOS) that support it. `test/unit/apple/profile-schema.test.ts`
 * re-reads the YAML files and checks these tables against them, so the runtime needs no YAML.
 *
 * Platform rule (ADM, `apple/device-management:docs/schema.md`): a key inherits its payload's `supportedOS` and its own
 * `supportedOS` only overrides entries; `introduced: n/a` removes the platform. One deliberate exception:
 * `PayloadScope` is treated as macOS-only, as docs/formats.md §1.1 states (its YAML lists only macOS 10.8).
 */
import type { ApplePayloadType, ApplePlatform } from './mobileconfig-types.ts';

/** The shape of a value (plist element type plus constraints). */
export type ValueSpec =
  | {
      readonly type: 'string';
      readonly rangelist?: readonly string[];
      /** `uuid`: 8-4-4-4-12 hex; `nonempty`: at least one non-blank character. */
      readonly format?: 'uuid' | 'nonempty';
    }
  | {
      readonly type: 'integer';
      readonly rangelist?: readonly number[];
      /** When true a value outside the rangelist is only a warning (devices accept it). */
      readonly advisoryRangelist?: boolean;
    }
  | { readonly type: 'real' | 'boolean' | 'date' | 'data' }
  | { readonly type: 'array'; readonly items: ValueSpec; readonly length?: number }
  | { readonly type: 'dict'; readonly keys: readonly KeySpec[] }
  /** A `<dict>` whose keys are free-form and whose values are all `<string>` (ConsentText). */
  | { readonly type: 'string-map' }
  /** A `<string>` or an `<array>` of `<string>` (SCEP SubjectAltName values, docs/formats.md §1.4). */
  | { readonly type: 'string-or-strings' }
  /** The top-level `PayloadContent`: an `<array>` of payload `<dict>`s, dispatched on PayloadType. */
  | { readonly type: 'payloads' };

/** One key of a dictionary. */
export interface KeySpec {
  readonly key: string;
  readonly presence: 'required' | 'optional';
  readonly value: ValueSpec;
  /** The platforms on which the key is valid. */
  readonly platforms: readonly ApplePlatform[];
  /** The schema default, for documentation (never written when absent). */
  readonly default?: string | number | boolean;
  /** A schema key certfleet does not simulate: present → `unsupported` problem (unless `allowedValue`). */
  readonly unsupported?: { readonly allowedValue?: boolean; readonly why: string };
}

const BOTH: readonly ApplePlatform[] = ['macos', 'ios'];
const MACOS: readonly ApplePlatform[] = ['macos'];

const str = (
  key: string,
  presence: KeySpec['presence'] = 'optional',
  extra: Partial<KeySpec> = {},
): KeySpec => ({
  key,
  presence,
  value: { type: 'string' },
  platforms: BOTH,
  ...extra,
});

/** Top-level keys (docs/formats.md §1.1, ADM `TopLevel.yaml`). */
export const TOP_LEVEL_KEYS: readonly KeySpec[] = [
  str('PayloadIdentifier', 'required', { value: { type: 'string', format: 'nonempty' } }),
  str('PayloadUUID', 'required', { value: { type: 'string', format: 'uuid' } }),
  str('PayloadType', 'required', { value: { type: 'string', rangelist: ['Configuration'] } }),
  {
    key: 'PayloadVersion',
    presence: 'required',
    value: { type: 'integer', rangelist: [1] },
    platforms: BOTH,
  },
  {
    key: 'IsEncrypted',
    presence: 'optional',
    value: { type: 'boolean' },
    platforms: BOTH,
    default: false,
    unsupported: { allowedValue: false, why: 'encrypted profiles are not simulated' },
  },
  { key: 'PayloadContent', presence: 'required', value: { type: 'payloads' }, platforms: BOTH },
  {
    key: 'EncryptedPayloadContent',
    presence: 'optional',
    value: { type: 'data' },
    platforms: BOTH,
    unsupported: { why: 'encrypted profiles are not simulated' },
  },
  str('PayloadDescription'),
  str('PayloadDisplayName'),
  {
    key: 'HasRemovalPasscode',
    presence: 'optional',
    value: { type: 'boolean' },
    platforms: BOTH,
    default: false,
  },
  str('PayloadOrganization'),
  {
    key: 'PayloadRemovalDisallowed',
    presence: 'optional',
    value: { type: 'boolean' },
    platforms: BOTH,
    default: false,
  },
  str('PayloadScope', 'optional', {
    value: { type: 'string', rangelist: ['System', 'User'] },
    platforms: MACOS,
  }),
  { key: 'RemovalDate', presence: 'optional', value: { type: 'date' }, platforms: BOTH },
  { key: 'DurationUntilRemoval', presence: 'optional', value: { type: 'real' }, platforms: BOTH },
  { key: 'PayloadExpirationDate', presence: 'optional', value: { type: 'date' }, platforms: BOTH },
  {
    key: 'TargetDeviceType',
    presence: 'optional',
    value: { type: 'integer', rangelist: [0, 1, 2, 3, 4, 5, 6] },
    platforms: BOTH,
    default: 0,
  },
  { key: 'ConsentText', presence: 'optional', value: { type: 'string-map' }, platforms: BOTH },
];

/** Keys common to every payload (docs/formats.md §1.2, ADM `CommonPayloadKeys.yaml`). */
export const COMMON_PAYLOAD_KEYS: readonly KeySpec[] = [
  str('PayloadIdentifier', 'required', { value: { type: 'string', format: 'nonempty' } }),
  str('PayloadUUID', 'required', { value: { type: 'string', format: 'uuid' } }),
  str('PayloadType', 'required'),
  {
    key: 'PayloadVersion',
    presence: 'required',
    value: { type: 'integer', rangelist: [1] },
    platforms: BOTH,
  },
  str('PayloadDescription'),
  str('PayloadDisplayName'),
  str('PayloadOrganization'),
];

const CERTIFICATE_KEYS: readonly KeySpec[] = [
  str('PayloadCertificateFileName'),
  { key: 'PayloadContent', presence: 'required', value: { type: 'data' }, platforms: BOTH },
];

const sanKey = (key: string): KeySpec => ({
  key,
  presence: 'optional',
  value: { type: 'string-or-strings' },
  platforms: BOTH,
});

/** The SCEP `PayloadContent` dictionary keys (docs/formats.md §1.4, ADM `com.apple.security.scep.yaml`). */
export const SCEP_CONTENT_KEYS: readonly KeySpec[] = [
  str('URL', 'required'),
  str('Name'),
  {
    key: 'Subject',
    presence: 'optional',
    value: {
      type: 'array',
      items: { type: 'array', items: { type: 'array', items: { type: 'string' }, length: 2 } },
    },
    platforms: BOTH,
  },
  str('Challenge'),
  {
    key: 'Keysize',
    presence: 'optional',
    value: { type: 'integer', rangelist: [1024, 2048, 4096], advisoryRangelist: true },
    platforms: BOTH,
    default: 1024,
  },
  str('Key Type', 'optional', { default: 'RSA' }),
  { key: 'Key Usage', presence: 'optional', value: { type: 'integer' }, platforms: BOTH, default: 0 },
  { key: 'CAFingerprint', presence: 'optional', value: { type: 'data' }, platforms: BOTH },
  { key: 'Retries', presence: 'optional', value: { type: 'integer' }, platforms: BOTH, default: 3 },
  { key: 'RetryDelay', presence: 'optional', value: { type: 'integer' }, platforms: BOTH, default: 10 },
  {
    key: 'SubjectAltName',
    presence: 'optional',
    value: {
      type: 'dict',
      keys: [
        sanKey('rfc822Name'),
        sanKey('dNSName'),
        sanKey('uniformResourceIdentifier'),
        sanKey('ntPrincipalName'),
      ],
    },
    platforms: BOTH,
  },
  {
    key: 'KeyIsExtractable',
    presence: 'optional',
    value: { type: 'boolean' },
    platforms: BOTH,
    default: true,
  },
  {
    key: 'AllowAllAppsAccess',
    presence: 'optional',
    value: { type: 'boolean' },
    platforms: BOTH,
    default: false,
  },
];

/**
 * The payload-specific keys of each known payload type (the common keys come from
 * {@link COMMON_PAYLOAD_KEYS}). docs/formats.md §1.3–1.4.
 */
export const PAYLOAD_KEYS: Readonly<Record<ApplePayloadType, readonly KeySpec[]>> = {
  'com.apple.security.root': CERTIFICATE_KEYS,
  'com.apple.security.pkcs1': CERTIFICATE_KEYS,
  'com.apple.security.pem': CERTIFICATE_KEYS,
  'com.apple.security.pkcs12': [
    ...CERTIFICATE_KEYS,
    str('Password'),
    {
      key: 'AllowAllAppsAccess',
      presence: 'optional',
      value: { type: 'boolean' },
      platforms: MACOS,
      default: false,
    },
    {
      key: 'KeyIsExtractable',
      presence: 'optional',
      value: { type: 'boolean' },
      platforms: MACOS,
      default: true,
    },
  ],
  'com.apple.security.scep': [
    {
      key: 'PayloadContent',
      presence: 'required',
      value: { type: 'dict', keys: SCEP_CONTENT_KEYS },
      platforms: BOTH,
    },
  ],
};

/** Keys whose values are secrets: never quoted in messages. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['Password', 'Challenge']);
