/**
 * Encodes and strictly decodes certfleet's Android Enterprise policy JSON ({@link AndroidPolicy}; docs/formats.md §3,
 * the model is certfleet's own inferred shape — see policy-model.ts).
 *
 * Encoding: stable key order, 2-space JSON, trailing newline; bytes as base64. Decoding: JSON that does not
 * parse → ANDROID_POLICY_PARSE with line/column; schema errors → ANDROID_POLICY_INVALID with a JSON path
 * (`$.openNetworkConfiguration.Certificates[0].GUID`). Every problem is collected. The Certificate keys AMAPI
 * marks "not supported" — `Remove` and `TrustBits`, and `Trust`, the legacy spelling of `TrustBits` in older
 * Chromium files (docs/formats.md §3.2 quirk) — are refused at their path (docs/formats.md §3.1: refused rather
 * than ignored is certfleet's reading, inferred). `NetworkConfigurations` stays opaque here: the device checks
 * the networks (agent/platforms/android/onc-networks.ts).
 */
import { isStrictBase64 } from '../../pki/base64.ts';
import { formatBytes, MAX_BASE64_CHARS, MAX_PAYLOAD_BYTES } from '../../pki/limits.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { parseJsonStrict, type JsonValue } from './json-strict.ts';
import {
  MAX_SILENT_PACKAGES,
  type AndroidPolicy,
  type CertificateCommand,
  type KeyPairAccess,
  type OncCertificate,
  type OpenNetworkConfiguration,
} from './policy-model.ts';
import { readScepCommand, scepCommandToJson } from './scep-command.ts';

/** Something the decoder accepted but wants a reader to know (a legacy key, an ignored field). */
export interface AndroidPolicyNote {
  path: string;
  message: string;
}

/** The outcome of {@link decodeAndroidPolicy}; the raw bytes are kept either way. */
export type AndroidPolicyDecodeResult =
  | { ok: true; policy: AndroidPolicy; raw: Buffer; notes: AndroidPolicyNote[] }
  | { ok: false; problems: CertfleetError[]; raw: Buffer };

/** Encodes a policy: keys in a fixed order, 2-space indentation, trailing newline. */
export function encodeAndroidPolicy(policy: AndroidPolicy): Buffer {
  return Buffer.from(JSON.stringify(policyToJson(policy), null, 2) + '\n', 'utf8');
}

function policyToJson(p: AndroidPolicy): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.name !== undefined) out.name = p.name;
  if (p.version !== undefined) out.version = p.version;
  if (p.privateKeySelectionEnabled !== undefined)
    out.privateKeySelectionEnabled = p.privateKeySelectionEnabled;
  if (p.openNetworkConfiguration !== undefined)
    out.openNetworkConfiguration = oncToJson(p.openNetworkConfiguration);
  if (p.certificateCommands !== undefined) out.certificateCommands = p.certificateCommands.map(commandToJson);
  return out;
}

function oncToJson(onc: OpenNetworkConfiguration): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (onc.Type !== undefined) out.Type = onc.Type;
  if (onc.NetworkConfigurations !== undefined) out.NetworkConfigurations = onc.NetworkConfigurations;
  out.Certificates = onc.Certificates.map((c) => {
    if (c.Type === 'Client') return { GUID: c.GUID, Type: c.Type, PKCS12: c.PKCS12.toString('base64') };
    return { GUID: c.GUID, Type: c.Type, X509: c.X509.toString('base64') };
  });
  return out;
}

function commandToJson(c: CertificateCommand): Record<string, unknown> {
  if (c.type === 'INSTALL_CA_CERT') return { type: c.type, certificateGuid: c.certificateGuid };
  const access =
    c.access.type === 'SILENT'
      ? { type: c.access.type, packages: c.access.packages }
      : { type: c.access.type };
  if (c.type === 'ENROLL_SCEP') return scepCommandToJson(c, access);
  return { type: c.type, alias: c.alias, pkcs12Guid: c.pkcs12Guid, access };
}

interface Ctx {
  problems: CertfleetError[];
  notes: AndroidPolicyNote[];
}

// Android application id: dot-separated segments starting with a letter (two segments at least).
const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$/;

/**
 * The ONC Certificate keys AMAPI does not support (docs/formats.md §3.1, AMAPI-NET), with the refusal text.
 * `Trust` is the legacy spelling of `TrustBits` (docs/formats.md §3.2 quirk), refused alike.
 */
const NOT_SUPPORTED_CERTIFICATE_KEYS: readonly (readonly [key: string, why: string])[] = [
  ['Remove', 'AMAPI does not support "Remove"; omit the certificate from the configuration instead'],
  [
    'TrustBits',
    'AMAPI does not support "TrustBits"; remove it (a referenced Authority is trusted where it is used)',
  ],
  ['Trust', 'AMAPI does not support "TrustBits", and "Trust" is its legacy spelling; remove it'],
];

function invalid(ctx: Ctx, path: string, message: string): void {
  ctx.problems.push(
    new CertfleetError('ANDROID_POLICY_INVALID', `${path}: ${message}`, { details: { path } }),
  );
}

function isObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(
  ctx: Ctx,
  obj: Record<string, JsonValue>,
  path: string,
  allowed: string[],
  hint: Record<string, string> = {},
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      invalid(ctx, `${path}.${key}`, hint[key] ?? `unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

function str(
  ctx: Ctx,
  obj: Record<string, JsonValue>,
  path: string,
  key: string,
  required: boolean,
): string | undefined {
  const v = obj[key];
  if (v === undefined) {
    if (required) invalid(ctx, `${path}.${key}`, `"${key}" is required`);
    return undefined;
  }
  if (typeof v !== 'string' || v === '') {
    invalid(ctx, `${path}.${key}`, `"${key}" must be a non-empty string`);
    return undefined;
  }
  return v;
}

function bytes(
  ctx: Ctx,
  obj: Record<string, JsonValue>,
  path: string,
  key: string,
  why: string,
): Buffer | undefined {
  const v = str(ctx, obj, path, key, false);
  if (v === undefined) {
    if (obj[key] === undefined) invalid(ctx, `${path}.${key}`, why);
    return undefined;
  }
  if (v.length > MAX_BASE64_CHARS) {
    invalid(
      ctx,
      `${path}.${key}`,
      `"${key}" is ${v.length} characters long, more than the ${MAX_BASE64_CHARS} base64 characters certfleet decodes`,
    );
    return undefined;
  }
  if (/\s/.test(v) || !isStrictBase64(v)) {
    invalid(
      ctx,
      `${path}.${key}`,
      `"${key}" is not valid base64 on one line (no PEM armour, no line breaks)`,
    );
    return undefined;
  }
  return Buffer.from(v, 'base64');
}

/** Decodes policy JSON bytes strictly. */
export function decodeAndroidPolicy(input: Uint8Array | string): AndroidPolicyDecodeResult {
  const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (raw.length > MAX_PAYLOAD_BYTES) {
    const problem = new CertfleetError(
      'ANDROID_POLICY_PARSE',
      `The Android policy is ${raw.length} bytes, more than the ${formatBytes(MAX_PAYLOAD_BYTES)} certfleet reads; a policy is a few KB.`,
      { details: { bytes: raw.length, limit: MAX_PAYLOAD_BYTES } },
    );
    return { ok: false, problems: [problem], raw };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch (cause) {
    const problem = new CertfleetError(
      'ANDROID_POLICY_PARSE',
      'The Android policy is not valid UTF-8 JSON.',
      { cause },
    );
    return { ok: false, problems: [problem], raw };
  }
  const parsed = parseJsonStrict(text.startsWith('\uFEFF') ? text.slice(1) : text);
  if (!parsed.ok) {
    const problem = new CertfleetError(
      'ANDROID_POLICY_PARSE',
      `The Android policy is not valid JSON at line ${parsed.line}, column ${parsed.column}: ${parsed.reason}. Fix the JSON.`,
      { details: { line: parsed.line, column: parsed.column } },
    );
    return { ok: false, problems: [problem], raw };
  }
  const ctx: Ctx = { problems: [], notes: [] };
  const policy = readPolicy(ctx, parsed.value);
  if (ctx.problems.length > 0 || policy === undefined) return { ok: false, problems: ctx.problems, raw };
  return { ok: true, policy, raw, notes: ctx.notes };
}

function readPolicy(ctx: Ctx, v: JsonValue): AndroidPolicy | undefined {
  if (!isObject(v)) {
    invalid(ctx, '$', 'the policy must be a JSON object');
    return undefined;
  }
  only(ctx, v, '$', [
    'name',
    'version',
    'privateKeySelectionEnabled',
    'openNetworkConfiguration',
    'certificateCommands',
  ]);
  const policy: AndroidPolicy = {};
  const name = str(ctx, v, '$', 'name', false);
  if (name !== undefined) policy.name = name;
  if (v.version !== undefined) {
    if (typeof v.version === 'string' && /^[0-9]{1,19}$/.test(v.version)) policy.version = v.version;
    else invalid(ctx, '$.version', '"version" must be a decimal int64 string, as AMAPI writes it');
  }
  if (v.privateKeySelectionEnabled !== undefined) {
    if (typeof v.privateKeySelectionEnabled === 'boolean')
      policy.privateKeySelectionEnabled = v.privateKeySelectionEnabled;
    else invalid(ctx, '$.privateKeySelectionEnabled', 'must be true or false');
  }
  const certs = new Map<string, OncCertificate>();
  if (v.openNetworkConfiguration !== undefined) {
    const onc = readOnc(ctx, v.openNetworkConfiguration, '$.openNetworkConfiguration', certs);
    if (onc !== undefined) policy.openNetworkConfiguration = onc;
  }
  if (v.certificateCommands !== undefined) {
    const path = '$.certificateCommands';
    if (!Array.isArray(v.certificateCommands)) invalid(ctx, path, 'must be an array');
    else {
      const cmds = v.certificateCommands.map((c, i) => readCommand(ctx, c, `${path}[${i}]`, certs));
      if (cmds.every((c) => c !== undefined)) policy.certificateCommands = cmds as CertificateCommand[];
    }
  }
  return policy;
}

function readOnc(
  ctx: Ctx,
  v: JsonValue,
  path: string,
  certs: Map<string, OncCertificate>,
): OpenNetworkConfiguration | undefined {
  if (!isObject(v)) {
    invalid(ctx, path, 'must be an ONC object');
    return undefined;
  }
  only(ctx, v, path, ['Type', 'NetworkConfigurations', 'Certificates']);
  const onc: OpenNetworkConfiguration = { Certificates: [] };
  if (v.Type !== undefined) {
    if (v.Type === 'UnencryptedConfiguration') onc.Type = v.Type;
    else invalid(ctx, `${path}.Type`, 'AMAPI accepts only "UnencryptedConfiguration" (or no Type)');
  }
  if (v.NetworkConfigurations !== undefined) {
    if (Array.isArray(v.NetworkConfigurations)) onc.NetworkConfigurations = v.NetworkConfigurations;
    else invalid(ctx, `${path}.NetworkConfigurations`, 'must be an array');
  }
  if (v.Certificates !== undefined) {
    if (!Array.isArray(v.Certificates)) invalid(ctx, `${path}.Certificates`, 'must be an array');
    else {
      v.Certificates.forEach((c, i) => {
        const cert = readCertificate(ctx, c, `${path}.Certificates[${i}]`);
        if (cert === undefined) return;
        if (certs.has(cert.GUID))
          invalid(ctx, `${path}.Certificates[${i}].GUID`, `GUID "${cert.GUID}" is used twice`);
        certs.set(cert.GUID, cert);
        onc.Certificates.push(cert);
      });
    }
  }
  return onc;
}

function readCertificate(ctx: Ctx, v: JsonValue, path: string): OncCertificate | undefined {
  if (!isObject(v)) {
    invalid(ctx, path, 'a certificate must be an object');
    return undefined;
  }
  const before = ctx.problems.length;
  // AMAPI-NET: Certificate objects — "Remove is not supported", "TrustBits is not supported" (refused: inferred).
  for (const [key, why] of NOT_SUPPORTED_CERTIFICATE_KEYS) {
    if (v[key] !== undefined) invalid(ctx, `${path}.${key}`, why);
  }
  const guid = str(ctx, v, path, 'GUID', true);
  const type = v.Type;
  if (type === undefined) {
    invalid(ctx, `${path}.Type`, '"Type" is required (Authority, Server or Client)');
    return undefined;
  }
  const refused = NOT_SUPPORTED_CERTIFICATE_KEYS.map(([key]) => key);
  if (type === 'Client') {
    only(ctx, v, path, ['GUID', 'Type', 'PKCS12', ...refused], {
      X509: 'a Client certificate carries PKCS12, not X509',
    });
    const pkcs12 = bytes(
      ctx,
      v,
      path,
      'PKCS12',
      'a Client certificate needs "PKCS12" (base64 PKCS#12 with an empty passphrase)',
    );
    if (guid === undefined || pkcs12 === undefined || ctx.problems.length > before) return undefined;
    return { GUID: guid, Type: 'Client', PKCS12: pkcs12 };
  }
  if (type === 'Authority' || type === 'Server') {
    only(ctx, v, path, ['GUID', 'Type', 'X509', ...refused], {
      PKCS12: `an ${type} certificate carries X509, not PKCS12`,
    });
    const x509 = bytes(ctx, v, path, 'X509', `an ${type} certificate needs "X509" (base64 DER)`);
    if (guid === undefined || x509 === undefined || ctx.problems.length > before) return undefined;
    return { GUID: guid, Type: type, X509: x509 };
  }
  invalid(
    ctx,
    `${path}.Type`,
    `unknown certificate Type ${JSON.stringify(type)} (Authority, Server or Client)`,
  );
  return undefined;
}

function stringArray(ctx: Ctx, v: JsonValue, path: string): string[] | undefined {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    invalid(ctx, path, 'must be an array of strings');
    return undefined;
  }
  return v as string[];
}

function readAccess(ctx: Ctx, v: JsonValue | undefined, path: string): KeyPairAccess | undefined {
  if (v === undefined) {
    invalid(
      ctx,
      path,
      '"access" is required: {"type": "USER_APPROVAL"} or {"type": "SILENT", "packages": [...]}',
    );
    return undefined;
  }
  if (!isObject(v)) {
    invalid(ctx, path, 'must be an object');
    return undefined;
  }
  if (v.type === 'USER_APPROVAL') {
    only(ctx, v, path, ['type'], {
      packages: 'USER_APPROVAL takes no packages (use SILENT to grant listed apps)',
    });
    return { type: 'USER_APPROVAL' };
  }
  if (v.type === 'SILENT') {
    only(ctx, v, path, ['type', 'packages']);
    const before = ctx.problems.length;
    const packages = v.packages === undefined ? undefined : stringArray(ctx, v.packages, `${path}.packages`);
    if (v.packages === undefined || (packages !== undefined && packages.length === 0)) {
      invalid(ctx, `${path}.packages`, 'SILENT access needs at least one package name');
    } else if (packages !== undefined) {
      if (packages.length > MAX_SILENT_PACKAGES) {
        invalid(
          ctx,
          `${path}.packages`,
          `SILENT access lists ${packages.length} packages; at most ${MAX_SILENT_PACKAGES}`,
        );
      }
      packages.forEach((p, i) => {
        if (!PACKAGE_NAME.test(p))
          invalid(ctx, `${path}.packages[${i}]`, `"${p}" is not an Android package name`);
        if (packages.indexOf(p) !== i) invalid(ctx, `${path}.packages[${i}]`, `"${p}" is listed twice`);
      });
    }
    if (packages === undefined || ctx.problems.length > before) return undefined;
    return { type: 'SILENT', packages };
  }
  invalid(
    ctx,
    `${path}.type`,
    `unknown access type ${JSON.stringify(v.type ?? null)} (USER_APPROVAL or SILENT)`,
  );
  return undefined;
}

function readCommand(
  ctx: Ctx,
  v: JsonValue,
  path: string,
  certs: Map<string, OncCertificate>,
): CertificateCommand | undefined {
  if (!isObject(v)) {
    invalid(ctx, path, 'a command must be an object');
    return undefined;
  }
  const before = ctx.problems.length;
  const ref = (key: string, want: 'Client' | 'Authority'): string | undefined => {
    const guid = str(ctx, v, path, key, true);
    if (guid === undefined) return undefined;
    const cert = certs.get(guid);
    if (cert === undefined) {
      invalid(
        ctx,
        `${path}.${key}`,
        `no certificate with GUID "${guid}" in openNetworkConfiguration.Certificates`,
      );
    } else if (want === 'Client' ? cert.Type !== 'Client' : cert.Type === 'Client') {
      invalid(
        ctx,
        `${path}.${key}`,
        `certificate "${guid}" is of Type ${cert.Type}; this command needs ${want === 'Client' ? 'a Client' : 'an Authority or Server'} certificate`,
      );
    }
    return guid;
  };
  if (v.type === 'INSTALL_CA_CERT') {
    only(ctx, v, path, ['type', 'certificateGuid']);
    const certificateGuid = ref('certificateGuid', 'Authority');
    if (certificateGuid === undefined || ctx.problems.length > before) return undefined;
    return { type: 'INSTALL_CA_CERT', certificateGuid };
  }
  if (v.type === 'INSTALL_KEY_PAIR') {
    only(ctx, v, path, ['type', 'alias', 'pkcs12Guid', 'access']);
    const alias = str(ctx, v, path, 'alias', true);
    const pkcs12Guid = ref('pkcs12Guid', 'Client');
    const access = readAccess(ctx, v.access, `${path}.access`);
    if (
      alias === undefined ||
      pkcs12Guid === undefined ||
      access === undefined ||
      ctx.problems.length > before
    ) {
      return undefined;
    }
    return { type: 'INSTALL_KEY_PAIR', alias, pkcs12Guid, access };
  }
  if (v.type === 'ENROLL_SCEP') {
    return readScepCommand(
      {
        invalid: (p, m) => invalid(ctx, p, m),
        readAccess: (a, p) => readAccess(ctx, a, p),
      },
      v,
      path,
    );
  }
  invalid(
    ctx,
    `${path}.type`,
    `unknown command type ${JSON.stringify(v.type ?? null)} (INSTALL_CA_CERT, INSTALL_KEY_PAIR or ENROLL_SCEP)`,
  );
  return undefined;
}
