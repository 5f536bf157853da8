/**
 * The SCEP command of certfleet's Android Enterprise policy JSON (policy-model.ts; docs/formats.md §3.5): what
 * an Android Enterprise device receives for an Intune SCEP certificate profile. Intune carries Android SCEP
 * out through its own app on the device (SCEPDOC: the device enrols by SCEP into the "VPN and apps" store,
 * docs/formats.md §3.4); neither that app's instructions nor AMAPI have a public shape for it, so the command
 * is **[inferred]**: certfleet's extension beside `INSTALL_KEY_PAIR`, named in AMAPI style, carrying only what
 * the device acts on:
 *
 * | field | meaning |
 * |---|---|
 * | `alias` | the KeyChain alias the enrolled key pair is installed under (as `INSTALL_KEY_PAIR`) |
 * | `serverUrls` | SCEP server URLs, tried in order while one cannot be reached (Graph `scepServerUrls`) |
 * | `challenge` | the one-time challenge the service issued for this device × profile (a secret) |
 * | `subject` | the resolved subject, RFC 4514 text |
 * | `subjectAltNames` | `{type: EMAIL / DNS / URI / UPN, value}` resolved SANs |
 * | `keySize` | RSA bits the device generates in its key store (Graph `keySize`) |
 * | `caFingerprint` | optional hex SHA-256 of a CA certificate the server's GetCACert must offer |
 * | `access` | who may use the key (as `INSTALL_KEY_PAIR`: `USER_APPROVAL` or `SILENT` for packages) |
 *
 * Decoding is as strict as the rest of the policy: unknown keys, wrong types, an empty or non-http(s) URL, a
 * key size other than 1024/2048/4096, a SAN type outside the four, a fingerprint that is not 64 hex digits →
 * ANDROID_POLICY_INVALID at the key's JSON path.
 */
import type { JsonValue } from './json-strict.ts';
import type { KeyPairAccess } from './policy-model.ts';

/** A SAN the device requests (types as the SCEP request carries them). */
export interface ScepSubjectAltName {
  type: 'EMAIL' | 'DNS' | 'URI' | 'UPN';
  value: string;
}

/** The SAN types of {@link ScepSubjectAltName}. */
export const SCEP_SAN_TYPES = ['EMAIL', 'DNS', 'URI', 'UPN'] as const;

/** RSA key sizes a SCEP command may ask for (Graph `keySize`). */
export const SCEP_KEY_SIZES = [1024, 2048, 4096] as const;

/** Enrol over SCEP and install the key pair under `alias` (see the module comment; [inferred]). */
export interface EnrollScepCommand {
  type: 'ENROLL_SCEP';
  alias: string;
  serverUrls: string[];
  challenge: string;
  subject: string;
  subjectAltNames: ScepSubjectAltName[];
  keySize: (typeof SCEP_KEY_SIZES)[number];
  caFingerprint?: string;
  access: KeyPairAccess;
}

/** The JSON of a command, keys in a fixed order. */
export function scepCommandToJson(
  c: EnrollScepCommand,
  access: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: c.type,
    alias: c.alias,
    serverUrls: c.serverUrls,
    challenge: c.challenge,
    subject: c.subject,
    subjectAltNames: c.subjectAltNames.map((s) => ({ type: s.type, value: s.value })),
    keySize: c.keySize,
  };
  if (c.caFingerprint !== undefined) out.caFingerprint = c.caFingerprint;
  out.access = access;
  return out;
}

/** What the codec lends the reader: its problem list and its access reader. */
export interface ScepCommandReader {
  invalid(path: string, message: string): void;
  readAccess(v: JsonValue | undefined, path: string): KeyPairAccess | undefined;
}

const KEYS = [
  'type',
  'alias',
  'serverUrls',
  'challenge',
  'subject',
  'subjectAltNames',
  'keySize',
  'caFingerprint',
  'access',
];

function text(r: ScepCommandReader, v: JsonValue | undefined, path: string): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  r.invalid(path, v === undefined ? 'is required' : 'must be a non-empty string');
  return undefined;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Reads an `ENROLL_SCEP` command object at `path`, or undefined after reporting every problem. */
export function readScepCommand(
  r: ScepCommandReader,
  v: Record<string, JsonValue>,
  path: string,
): EnrollScepCommand | undefined {
  let ok = true;
  const bad = (p: string, m: string): void => {
    ok = false;
    r.invalid(p, m);
  };
  for (const key of Object.keys(v))
    if (!KEYS.includes(key)) bad(`${path}.${key}`, `unknown key "${key}" (allowed: ${KEYS.join(', ')})`);
  const alias = text(r, v.alias, `${path}.alias`);
  const challenge = text(r, v.challenge, `${path}.challenge`);
  const subject = text(r, v.subject, `${path}.subject`);
  const serverUrls: string[] = [];
  if (!Array.isArray(v.serverUrls) || v.serverUrls.length === 0) {
    bad(`${path}.serverUrls`, 'must be a non-empty array of http(s) URLs');
  } else {
    v.serverUrls.forEach((u, i) => {
      if (typeof u === 'string' && isHttpUrl(u)) serverUrls.push(u);
      else bad(`${path}.serverUrls[${i}]`, 'must be an absolute http(s) URL');
    });
  }
  const subjectAltNames: ScepSubjectAltName[] = [];
  if (v.subjectAltNames === undefined || !Array.isArray(v.subjectAltNames)) {
    bad(`${path}.subjectAltNames`, 'must be an array (empty when no SAN is requested)');
  } else {
    v.subjectAltNames.forEach((s, i) => {
      const at = `${path}.subjectAltNames[${i}]`;
      if (typeof s !== 'object' || s === null || Array.isArray(s)) return bad(at, 'must be an object');
      for (const k of Object.keys(s))
        if (k !== 'type' && k !== 'value') bad(`${at}.${k}`, `unknown key "${k}"`);
      const type = s.type;
      if (typeof type !== 'string' || !(SCEP_SAN_TYPES as readonly string[]).includes(type))
        return bad(`${at}.type`, `must be one of ${SCEP_SAN_TYPES.join(', ')}`);
      const value = text(r, s.value, `${at}.value`);
      if (value === undefined) ok = false;
      else subjectAltNames.push({ type: type as ScepSubjectAltName['type'], value });
    });
  }
  const keySize = v.keySize;
  if (typeof keySize !== 'number' || !(SCEP_KEY_SIZES as readonly number[]).includes(keySize))
    bad(`${path}.keySize`, `must be one of ${SCEP_KEY_SIZES.join(', ')} (RSA bits)`);
  let caFingerprint: string | undefined;
  if (v.caFingerprint !== undefined) {
    if (typeof v.caFingerprint === 'string' && /^[0-9a-f]{64}$/.test(v.caFingerprint))
      caFingerprint = v.caFingerprint;
    else bad(`${path}.caFingerprint`, 'must be the SHA-256 of a CA certificate as 64 lower-case hex digits');
  }
  const access = r.readAccess(v.access, `${path}.access`);
  if (!ok || alias === undefined || challenge === undefined || subject === undefined || access === undefined)
    return undefined;
  return {
    type: 'ENROLL_SCEP',
    alias,
    serverUrls,
    challenge,
    subject,
    subjectAltNames,
    keySize: keySize as EnrollScepCommand['keySize'],
    ...(caFingerprint !== undefined && { caFingerprint }),
    access,
  };
}
