/**
 * What a strict Apple decoder reports: one {@link Problem} per broken rule, each with its key path.
 *
 * Paths name the key the way a person reads the profile: `PayloadVersion`, `PayloadContent[0].PayloadUUID`,
 * `PayloadContent[0].PayloadContent["Key Type"]` (keys that are not plain identifiers are quoted); the empty
 * path is the document itself. Source: docs/formats.md §1 (keys and types), docs/architecture.md house rule 6.
 */
import type { ErrorCode } from '../../pki/errors.ts';

/**
 * The rule a problem breaks. The error code says which family (`PLIST_PARSE`: the bytes are not a
 * well-formed XML plist; `MOBILECONFIG_INVALID`: a well-formed plist that breaks Apple's schema); the rule
 * says exactly what, so that tests, reports and the device agent's ErrorChain mapping can match on it.
 */
export type ProblemRule =
  /** Not UTF-8, not well-formed XML, or XML that is not a plist (unknown element, stray text, bad number). */
  | 'plist-syntax'
  /** `<data>` whose content is not valid base64 (bad character, bad padding). */
  | 'bad-base64'
  /** The same key twice in one `<dict>`. */
  | 'duplicate-key'
  /** A value of the wrong plist type (`<string>` where `<data>` or `<integer>` is required…). */
  | 'wrong-type'
  /** A required key is absent. */
  | 'missing-key'
  /** A value outside the schema's `rangelist` (PayloadVersion 2, PayloadType `com.apple.security.pkcs12` at top level…). */
  | 'bad-value'
  /** A PayloadUUID that is empty or not a UUID. */
  | 'bad-uuid'
  /** A payload whose PayloadType this codec does not know. */
  | 'unknown-payload-type'
  /** A key the schema knows, but not on the target platform (AllowAllAppsAccess on iOS, PayloadScope on iOS). */
  | 'platform-key'
  /** Two payloads (or a payload and the profile) share a PayloadUUID. */
  | 'duplicate-uuid'
  /** Two payloads share a PayloadIdentifier. */
  | 'duplicate-identifier'
  /** A valid feature certfleet does not simulate (encrypted profiles). */
  | 'unsupported'
  /** (warning only) A key the schema does not define; devices ignore it. */
  | 'unknown-key'
  /** (warning only) `<data>` base64 with stray or surplus `=` padding, read leniently like plistlib/CoreFoundation. */
  | 'base64-noncanonical'
  /** (warning only) A value outside an advisory rangelist that devices are known to accept. */
  | 'advisory-value';

/** The error codes a {@link Problem} can carry. */
export type ProblemCode = Extract<
  ErrorCode,
  'PLIST_PARSE' | 'MOBILECONFIG_INVALID' | 'APPLE_MDM_RESPONSE_INVALID'
>;

/** One thing wrong with a decoded document. Never contains secrets (no Password values). */
export interface Problem {
  /**
   * `PLIST_PARSE` (not a well-formed plist), `MOBILECONFIG_INVALID` (a profile breaking Apple's schema) or
   * `APPLE_MDM_RESPONSE_INVALID` (a command response breaking the protocol); from pki/errors.ts.
   */
  readonly code: ProblemCode;
  /** The precise rule broken. */
  readonly rule: ProblemRule;
  /** Key path such as `PayloadContent[0].PayloadContent`; `''` for the document itself. */
  readonly path: string;
  /** What is wrong and what to do, in one or two sentences. */
  readonly message: string;
  /** 1-based source line of the offending node or XML error, when known. */
  readonly line?: number;
  /** 1-based source column, when known. */
  readonly column?: number;
}

/** Appends a dictionary key to a path: `a.b`, or `a["Key Type"]` when the key is not a plain identifier. */
export function joinKeyPath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Appends an array index to a path: `a[3]`. */
export function joinIndexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** `PayloadVersion` or `(document)` for the empty path, for messages. */
export function describePath(path: string): string {
  return path === '' ? '(document)' : path;
}
