/**
 * Import of Microsoft Graph (beta) certificate-profile JSON (docs/formats.md §4) into the profile model.
 *
 * - Bad JSON → GRAPH_PARSE with line, column and offset.
 * - An `@odata.type` that is not one of {@link GRAPH_TYPES} → GRAPH_UNSUPPORTED_TYPE.
 * - Wrong values → PROFILE_INVALID with every problem, each with its Graph JSON path
 *   (e.g. `customSubjectAlternativeNames[2].sanType`). Properties that belong to another certificate type
 *   (e.g. `keyStorageProvider` on iOS) are problems; properties unknown to certfleet are ignored and listed.
 * - Enums by member name or number; `subjectNameFormat` numbers are read with the Apple table for Apple
 *   types (`appleSubjectNameFormat` 1 = commonNameAsEmail, 3 = commonNameIncludingEmail) and the general
 *   table otherwise (1 = commonNameIncludingEmail, 2 = commonNameAsEmail).
 * - `null` counts as absent (Graph returns nulls for unset properties).
 * - `trustedRootCertificate` (Graph Binary) is the base64 of a `.cer` file, DER or Base-64 (PEM) encoded: the
 *   model decodes it (validate-profile.ts certificateDer, the one place every reader shares) and keeps the
 *   DER; PEM with other than one CERTIFICATE block is PROFILE_INVALID.
 * - A custom SAN of `sanType` none (0), Graph's "no subject alternative name", adds no SAN: it is left out of
 *   the model and listed as having no effect. SCEP `keySize` size1024 is refused: the simulated devices make
 *   RSA keys of 2048 bits or more (import-scep.ts).
 * - `rootCertificate` relationship: an expanded object `{ id }` (as `$expand=rootCertificate` returns it; its
 *   `@odata.type`, when given, must be the trusted-root type of the same platform) or
 *   `rootCertificate@odata.bind` with a URL ending in `deviceConfigurations('<id>')` or
 *   `deviceConfigurations/<id>` (OData binding convention **[inferred]**). The `rootCertificate@odata.navigationLink`
 *   and `…@odata.associationLink` annotations of a full-metadata export name the relationship, not the root,
 *   and are accepted and listed as unused.
 * - SCEP types (import-scep.ts) read as PKCS plus their own settings; `androidScepCertificateProfile` is refused
 *   with the model's PROFILE_INVALID.
 */
import { formatBytes, MAX_JSON_BYTES } from '../../pki/limits.ts';
import { CertfleetError } from '../../pki/errors.ts';
import {
  APPLE_DEPLOYMENT_CHANNEL,
  APPLE_SUBJECT_NAME_FORMAT,
  CERTIFICATE_ACCESS_TYPE,
  CERTIFICATE_DESTINATION_STORE,
  CERTIFICATE_STORE,
  CERTIFICATION_AUTHORITY_TYPE,
  KEY_STORAGE_PROVIDER,
  SUBJECT_ALTERNATIVE_NAME_TYPE,
  SUBJECT_NAME_FORMAT,
  VALIDITY_SCALE,
} from '../model/enums.ts';
import { PROFILE_FAMILY_INFO } from '../model/platform.ts';
import { joinPath, profileInvalidError } from '../model/problem.ts';
import type { ProfileProblem, ProfileWarning } from '../model/problem.ts';
import type { CertificateProfile } from '../model/profile.ts';
import { INTENDED_PURPOSE } from '../model/imported-pkcs.ts';
import { validateProfile } from '../model/validate-profile.ts';
import { decodeEnum, decodeFlags } from './graph-enums.ts';
import { closest } from '../model/suggest.ts';
import { findJsonSyntaxError } from './json-syntax.ts';
import { importedUnused } from './import-imported.ts';
import { readScepSettings, unmodelledScepError } from './import-scep.ts';
import {
  ALL_GRAPH_PROPERTIES,
  GRAPH_TYPE_NAMES,
  GRAPH_TYPE_OF,
  GRAPH_TYPE_PREFIX,
  GRAPH_TYPES,
  INHERITED_PROPERTIES,
  ROOT_CERTIFICATE_LINKS,
  UNMODELLED_SCEP_TYPE,
} from './odata-types.ts';
import type { GraphTypeInfo, GraphTypeName } from './odata-types.ts';

/**
 * A property of the export that certfleet reads past: unknown to it (a typo such as
 * `renewalThresholdPercentag`), or known but without effect — a `subjectNameFormatString` under a named
 * subject format, applicability rules, assignments, the root-certificate link. A scenario run lists each as
 * a warning (issue 13 point 5).
 */
export interface GraphUnused {
  /** The Graph property. */
  path: string;
  /** Why it has no effect, phrased to follow the path. */
  message: string;
  /**
   * `PROFILE_SETTING_UNUSED` for a setting the model keeps but nothing acts on (profiles/model
   * unused-settings.ts, as a run warns of it); absent for a property the import reads past.
   */
  code?: 'PROFILE_SETTING_UNUSED';
}

/** Result of {@link importGraphProfile}. */
export type GraphImportResult =
  | {
      ok: true;
      profile: CertificateProfile;
      graphType: GraphTypeName;
      ignored: string[];
      /** Every property with no effect ({@link GraphUnused}), `ignored` included, in the export's order. */
      unused: GraphUnused[];
      /** Advisory warnings of the templates (never a failure), with Graph paths. */
      warnings: ProfileWarning[];
    }
  | { ok: false; error: CertfleetError; problems: ProfileProblem[] };

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Model path prefix → Graph property, for reporting validation problems in Graph terms. */
const MODEL_TO_GRAPH: readonly (readonly [RegExp, (m: RegExpExecArray) => string])[] = [
  [/^validity\.value$/, () => 'certificateValidityPeriodValue'],
  [/^validity\.unit$/, () => 'certificateValidityPeriodScale'],
  [/^validity$/, () => 'certificateValidityPeriodValue'],
  [/^certificateType$/, () => 'certificateStore'],
  [/^certificate$/, () => 'trustedRootCertificate'],
  [/^certificateAccess\.type$/, () => 'certificateAccessType'],
  [/^certificateAccess\.packageIds\[(\d+)\]$/, (m) => `silentCertificateAccessDetails[${m[1]}].packageId`],
  [/^certificateAccess(\.packageIds)?$/, () => 'silentCertificateAccessDetails'],
  [/^rootCertificateId$/, () => 'rootCertificate'],
];

/** The Graph JSON path of a model path. */
export function graphPathOf(modelPath: string): string {
  for (const [re, to] of MODEL_TO_GRAPH) {
    const m = re.exec(modelPath);
    if (m !== null) return to(m);
  }
  return modelPath;
}

function parseText(raw: string): unknown {
  // A UTF-8 byte order mark, as Windows PowerShell 5.1's `Out-File`/`Set-Content -Encoding UTF8` write
  // before an exported profile: RFC 8259 §8.1 lets a parser ignore it, and certfleet does.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.length > MAX_JSON_BYTES) {
    throw new CertfleetError(
      'GRAPH_PARSE',
      `The Graph JSON is ${text.length} characters, more than the ${formatBytes(MAX_JSON_BYTES)} certfleet reads; a Graph profile is a few KB.`,
      { details: { length: text.length, limit: MAX_JSON_BYTES } },
    );
  }
  const where = findJsonSyntaxError(text);
  if (where !== undefined) {
    throw new CertfleetError(
      'GRAPH_PARSE',
      `The Graph JSON is not valid JSON: expected ${where.expected} at line ${where.line}, column ${where.column} (offset ${where.offset}). Export the profile again or fix the file there.`,
      { details: { ...where } },
    );
  }
  return JSON.parse(text) as unknown;
}

function graphTypeOf(obj: Rec): GraphTypeName {
  const raw = obj['@odata.type'];
  const list = obj['value'];
  if (raw === undefined && Array.isArray(list)) {
    // a collection response (GET …/deviceConfigurations): `{"@odata.context": …, "value": [ … ]}`
    throw new CertfleetError(
      'GRAPH_PARSE',
      `The Graph JSON is a collection response (a "value" list of ${list.length} item${list.length === 1 ? '' : 's'}), not one profile. certfleet imports one certificate profile per file: save one item of "value", or GET …/deviceConfigurations/{id}.`,
      { details: { path: 'value', items: list.length } },
    );
  }
  if (typeof raw !== 'string') {
    throw new CertfleetError(
      'GRAPH_UNSUPPORTED_TYPE',
      'The Graph JSON has no "@odata.type" string, so certfleet cannot tell which certificate profile it is. Add it, e.g. "#microsoft.graph.iosPkcsCertificateProfile".',
      { details: { path: '@odata.type' } },
    );
  }
  const name = raw.replace(/^#?microsoft\.graph\./, '');
  if (name === UNMODELLED_SCEP_TYPE) throw unmodelledScepError();
  if (!(GRAPH_TYPE_NAMES as string[]).includes(name)) {
    throw new CertfleetError(
      'GRAPH_UNSUPPORTED_TYPE',
      `"@odata.type": "${raw}" is not a certificate profile certfleet models; supported: ${GRAPH_TYPE_NAMES.map((n) => GRAPH_TYPE_PREFIX + n).join(', ')}.`,
      { details: { path: '@odata.type', odataType: raw } },
    );
  }
  return name as GraphTypeName;
}

/** Extracts the target id of a `rootCertificate@odata.bind` URL. */
export function idFromBindUrl(url: string): string | undefined {
  const m = /deviceConfigurations(?:\('([^']+)'\)|\/([^/?#]+))\s*$/.exec(url);
  return m?.[1] ?? m?.[2];
}

/**
 * Imports one Graph certificate profile (JSON text or an already-parsed object). Never throws for bad
 * input: every failure is returned as a {@link CertfleetError} with its code.
 */
export function importGraphProfile(input: string | unknown): GraphImportResult {
  try {
    return importOrThrow(input);
  } catch (e) {
    if (e instanceof CertfleetError) {
      const problems = Array.isArray(e.details['problems'])
        ? (e.details['problems'] as ProfileProblem[])
        : [];
      return { ok: false, error: e, problems };
    }
    throw e;
  }
}

/** Like {@link importGraphProfile} but returns the profile or throws the {@link CertfleetError}. */
export function importGraphProfileOrThrow(input: string | unknown): CertificateProfile {
  return importOrThrow(input).profile;
}

function importOrThrow(input: string | unknown): Extract<GraphImportResult, { ok: true }> {
  const json = typeof input === 'string' ? parseText(input) : input;
  if (!isRecord(json)) {
    throw new CertfleetError(
      'GRAPH_PARSE',
      'The Graph JSON must be one object (a deviceConfiguration), not a list or a value.',
      {
        details: { path: '' },
      },
    );
  }
  const graphType = graphTypeOf(json);
  const info: GraphTypeInfo = GRAPH_TYPES[graphType];
  const problems: ProfileProblem[] = [];
  const ignored: string[] = [];
  /** Entries read and left out of the model because they have no effect (a custom SAN of type none). */
  const dropped: GraphUnused[] = [];
  const model: Rec = { kind: info.kind, family: info.family };
  const bad = (path: string, rule: string): undefined => {
    problems.push({ path, rule, code: 'PROFILE_INVALID' });
    return undefined;
  };
  const own = new Set<string>(info.properties);
  if (info.rootCertificate) {
    own.add('rootCertificate');
    own.add('rootCertificate@odata.bind');
    for (const link of ROOT_CERTIFICATE_LINKS) own.add(link);
  }
  const present = (key: string): boolean => json[key] !== undefined && json[key] !== null;

  for (const key of Object.keys(json)) {
    if (!present(key) || own.has(key) || INHERITED_PROPERTIES.has(key)) continue;
    if (ALL_GRAPH_PROPERTIES.has(key)) {
      bad(
        key,
        `does not apply to ${GRAPH_TYPE_PREFIX}${graphType} (${PROFILE_FAMILY_INFO[info.family].label})`,
      );
    } else {
      ignored.push(key);
    }
  }
  for (const key of ['id', 'displayName', 'description'] as const) {
    if (present(key)) model[key] = json[key];
  }
  const copy = (key: string): void => {
    if (own.has(key) && present(key)) model[key] = json[key];
  };
  const enumInto = <T extends Record<string, number>>(
    key: string,
    table: T,
    enumName: string,
    to: (name: keyof T & string) => void,
  ): void => {
    if (!own.has(key) || !present(key)) return;
    const r = decodeEnum(table, json[key], key, enumName);
    if (r.ok) to(r.name);
    else problems.push(r.problem);
  };

  if (info.kind === 'trusted-certificate') {
    if (present('trustedRootCertificate')) {
      const v = json['trustedRootCertificate'];
      // base64 of the DER or of one PEM CERTIFICATE block: decoded, PEM to DER, by the model (readCertificate)
      if (typeof v === 'string') model['certificate'] = v;
      else bad('trustedRootCertificate', 'must be a base64 string (Graph Binary)');
    }
    copy('certFileName');
    enumInto('destinationStore', CERTIFICATE_DESTINATION_STORE, 'certificateDestinationStore', (n) => {
      model['destinationStore'] = n;
    });
    enumInto('deploymentChannel', APPLE_DEPLOYMENT_CHANNEL, 'appleDeploymentChannel', (n) => {
      model['deploymentChannel'] = n;
    });
  } else if (info.kind === 'pkcs-imported-certificate') {
    // imported PKCS (import-imported.ts): the settings the model keeps; the inherited ones are listed as unused
    copy('renewalThresholdPercentage');
    enumInto('intendedPurpose', INTENDED_PURPOSE, 'intendedPurpose', (n) => {
      model['intendedPurpose'] = n;
    });
    enumInto('keyStorageProvider', KEY_STORAGE_PROVIDER, 'keyStorageProviderOption', (n) => {
      model['keyStorageProvider'] = n;
    });
    enumInto('deploymentChannel', APPLE_DEPLOYMENT_CHANNEL, 'appleDeploymentChannel', (n) => {
      model['deploymentChannel'] = n;
    });
    readAccess(json, own, problems, model);
  } else {
    for (const key of [
      'renewalThresholdPercentage',
      'certificationAuthority',
      'certificationAuthorityName',
      'certificateTemplateName',
      'subjectNameFormatString',
      'subjectAlternativeNameFormatString',
      'allowAllAppsAccess',
    ]) {
      copy(key);
    }
    const apple = info.subjectEnum === 'appleSubjectNameFormat';
    enumInto(
      'subjectNameFormat',
      apple ? APPLE_SUBJECT_NAME_FORMAT : SUBJECT_NAME_FORMAT,
      apple ? 'appleSubjectNameFormat' : 'subjectNameFormat',
      (n) => {
        model['subjectNameFormat'] = n;
      },
    );
    if (present('subjectAlternativeNameType')) {
      const r = decodeFlags(
        SUBJECT_ALTERNATIVE_NAME_TYPE,
        json['subjectAlternativeNameType'],
        'subjectAlternativeNameType',
        'subjectAlternativeNameType',
      );
      if (r.ok) model['subjectAlternativeNameType'] = r.names;
      else problems.push(r.problem);
    }
    const validity: Rec = {};
    enumInto('certificateValidityPeriodScale', VALIDITY_SCALE, 'certificateValidityPeriodScale', (n) => {
      validity['unit'] = n;
    });
    if (present('certificateValidityPeriodValue')) validity['value'] = json['certificateValidityPeriodValue'];
    if (present('certificateValidityPeriodValue') || present('certificateValidityPeriodScale')) {
      if (validity['unit'] === undefined && !present('certificateValidityPeriodScale')) {
        bad('certificateValidityPeriodScale', 'is required with certificateValidityPeriodValue');
      }
      if (validity['value'] === undefined)
        bad('certificateValidityPeriodValue', 'is required with certificateValidityPeriodScale');
      model['validity'] = validity;
    }
    enumInto('certificateStore', CERTIFICATE_STORE, 'certificateStore', (n) => {
      model['certificateType'] = n === 'machine' ? 'device' : 'user';
    });
    enumInto('keyStorageProvider', KEY_STORAGE_PROVIDER, 'keyStorageProviderOption', (n) => {
      model['keyStorageProvider'] = n;
    });
    enumInto('deploymentChannel', APPLE_DEPLOYMENT_CHANNEL, 'appleDeploymentChannel', (n) => {
      model['deploymentChannel'] = n;
    });
    enumInto(
      'certificationAuthorityType',
      CERTIFICATION_AUTHORITY_TYPE,
      'deviceManagementCertificationAuthority',
      (n) => {
        model['certificationAuthorityType'] = n;
      },
    );
    readList(
      json,
      own,
      'extendedKeyUsages',
      problems,
      (e, path) => {
        if (!isRecord(e)) return bad(path, 'must be an object {name, objectIdentifier}');
        return { name: e['name'], objectIdentifier: e['objectIdentifier'] };
      },
      model,
    );
    readList(
      json,
      own,
      'customSubjectAlternativeNames',
      problems,
      (e, path) => {
        if (!isRecord(e)) return bad(path, 'must be an object {sanType, name}');
        // every member of the enum, `none` (0) included: Graph binds it
        const r = decodeEnum(
          SUBJECT_ALTERNATIVE_NAME_TYPE,
          e['sanType'],
          joinPath(path, 'sanType'),
          'subjectAlternativeNameType',
          [],
        );
        if (!r.ok) {
          problems.push(r.problem);
          return undefined;
        }
        if (r.name === 'none') {
          // Graph's "no subject alternative name": the entry names no SAN attribute, so the certificate gets
          // none from it [inferred]; dropped from the model and listed as without effect
          const name = e['name'];
          if (name !== undefined && name !== null && typeof name !== 'string')
            return bad(joinPath(path, 'name'), 'must be a string');
          dropped.push({
            path,
            message: `has sanType none (0), Graph's "no subject alternative name": it adds no SAN to the certificate${typeof name === 'string' && name !== '' ? `, and its name ${JSON.stringify(name)} is dropped` : ''}; give it the type of the SAN you mean (emailAddress, userPrincipalName, domainNameService, universalResourceIdentifier) or remove it`,
          });
          return DROP;
        }
        return { sanType: r.name, name: e['name'] };
      },
      model,
    );
    if (info.kind === 'scep-certificate') readScepSettings(json, own, problems, model);
    readAccess(json, own, problems, model);
    readRoot(json, own, info, problems, model);
  }

  // As the service does: what Graph accepts imports, its problems as warnings (issue 12 point 9).
  const validated = validateProfile(model, { asGraphService: true });
  if (!validated.ok || problems.length > 0) {
    const seen = new Set(problems.map((p) => p.path));
    const mapped = (validated.ok ? [] : validated.problems)
      .map((p) => ({ ...p, path: graphPathOf(p.path) }))
      .filter((p) => !seen.has(p.path) && !['kind', 'family'].includes(p.path));
    throw profileInvalidError(`The Graph profile ${GRAPH_TYPE_PREFIX}${graphType}`, [...problems, ...mapped]);
  }
  const warnings = validated.warnings.map((w) => ({ ...w, path: graphPathOf(w.path) }));
  const unused = unusedProperties(json, graphType, info, ignored, validated.value, dropped);
  return { ok: true, profile: validated.value, graphType, ignored, unused, warnings };
}

const APPLICABILITY_RULES = [
  'deviceManagementApplicabilityRuleOsEdition',
  'deviceManagementApplicabilityRuleOsVersion',
  'deviceManagementApplicabilityRuleDeviceMode',
];

/** The properties of an imported export that have no effect: see {@link GraphUnused}. */
function unusedProperties(
  json: Rec,
  graphType: GraphTypeName,
  info: GraphTypeInfo,
  ignored: readonly string[],
  profile: CertificateProfile,
  dropped: readonly GraphUnused[],
): GraphUnused[] {
  const type = `${GRAPH_TYPE_PREFIX}${graphType}`;
  const known = [
    ...info.properties,
    ...INHERITED_PROPERTIES,
    ...(info.rootCertificate ? ['rootCertificate'] : []),
  ];
  const present = (key: string): boolean => json[key] !== undefined && json[key] !== null;
  const out: GraphUnused[] = [];
  for (const key of Object.keys(json)) {
    if (ignored.includes(key)) {
      const near = closest(key, known);
      out.push({
        path: key,
        message: `is not a property of ${type}${near !== undefined && near !== key ? `: did you mean ${near}?` : ''}; certfleet ignores it`,
      });
    } else if (APPLICABILITY_RULES.includes(key) && present(key)) {
      out.push({
        path: key,
        message:
          'is an applicability rule, which certfleet does not simulate: every device of the profile’s family receives it',
      });
    } else if (
      (key === 'assignments' || key === 'groupAssignments') &&
      Array.isArray(json[key]) &&
      (json[key] as unknown[]).length > 0
    ) {
      out.push({
        path: key,
        message:
          'is not read: a scenario assigns profiles with assign: or assignments:, every device of the family otherwise',
      });
    } else if ((key === 'rootCertificate' || key === 'rootCertificate@odata.bind') && present(key)) {
      out.push({
        path: key,
        message:
          'links a trusted-root profile, which a run does not follow: the run’s CA issues the certificate, and devices trust its root through the scenario’s trusted-certificate profile',
      });
    } else if ((ROOT_CERTIFICATE_LINKS as readonly string[]).includes(key) && present(key)) {
      out.push({
        path: key,
        message:
          'is an OData annotation naming the rootCertificate relationship (not the root profile’s id); certfleet does not read it',
      });
    }
    // entries of this property left out of the model (`customSubjectAlternativeNames[1]`), in the export's order
    out.push(...dropped.filter((d) => d.path.startsWith(`${key}[`)));
  }
  if (profile.kind === 'pkcs-imported-certificate') out.push(...importedUnused(json, type));
  if (profile.kind === 'pkcs-certificate' || profile.kind === 'scep-certificate') {
    if (present('subjectNameFormatString') && profile.subjectNameFormat !== 'custom') {
      out.push({
        path: 'subjectNameFormatString',
        message: `is ignored: subjectNameFormat is ${profile.subjectNameFormat}, not custom, so the subject follows that format and this string (${JSON.stringify(json['subjectNameFormatString'])}) is dropped; set subjectNameFormat to custom to use it`,
      });
    }
    if (
      present('subjectAlternativeNameFormatString') &&
      !profile.subjectAlternativeNameType.includes('customAzureADAttribute')
    ) {
      out.push({
        path: 'subjectAlternativeNameFormatString',
        message:
          'is ignored: subjectAlternativeNameType does not include customAzureADAttribute, the only SAN that reads it',
      });
    }
  }
  return out;
}

/** What a {@link readList} callback returns for an entry that is valid but left out of the model. */
const DROP = Symbol('drop');

function readList(
  json: Rec,
  own: ReadonlySet<string>,
  key: string,
  problems: ProfileProblem[],
  each: (e: unknown, path: string) => Rec | typeof DROP | undefined,
  model: Rec,
): void {
  const v = json[key];
  if (!own.has(key) || v === undefined || v === null) return;
  if (!Array.isArray(v)) {
    problems.push({ path: key, rule: 'must be a list', code: 'PROFILE_INVALID' });
    return;
  }
  const out: Rec[] = [];
  let failed = false;
  v.forEach((e, i) => {
    const r = each(e, joinPath(key, i));
    if (r === undefined) failed = true;
    else if (r !== DROP) out.push(r);
  });
  if (!failed) model[key] = out;
}

function readAccess(json: Rec, own: ReadonlySet<string>, problems: ProfileProblem[], model: Rec): void {
  if (!own.has('certificateAccessType')) return;
  const typeRaw = json['certificateAccessType'];
  const details = json['silentCertificateAccessDetails'];
  if ((typeRaw === undefined || typeRaw === null) && (details === undefined || details === null)) return;
  let type: string | undefined = 'userApproval';
  if (typeRaw !== undefined && typeRaw !== null) {
    const r = decodeEnum(
      CERTIFICATE_ACCESS_TYPE,
      typeRaw,
      'certificateAccessType',
      'androidDeviceOwnerCertificateAccessType',
    );
    if (!r.ok) {
      problems.push(r.problem);
      type = undefined;
    } else type = r.name;
  }
  const access: Rec = { type };
  if (details !== undefined && details !== null) {
    if (!Array.isArray(details)) {
      problems.push({
        path: 'silentCertificateAccessDetails',
        rule: 'must be a list',
        code: 'PROFILE_INVALID',
      });
      return;
    }
    access['packageIds'] = details.map((d, i) => {
      if (!isRecord(d) || typeof d['packageId'] !== 'string') {
        problems.push({
          path: `silentCertificateAccessDetails[${i}].packageId`,
          rule: 'must be an Android package name string',
          code: 'PROFILE_INVALID',
        });
        return '';
      }
      return d['packageId'];
    });
  }
  if (type !== undefined) model['certificateAccess'] = access;
}

function readRoot(
  json: Rec,
  own: ReadonlySet<string>,
  info: GraphTypeInfo,
  problems: ProfileProblem[],
  model: Rec,
): void {
  if (!own.has('rootCertificate')) return;
  const expanded = json['rootCertificate'];
  const bind = json['rootCertificate@odata.bind'];
  const rootType = GRAPH_TYPE_PREFIX + GRAPH_TYPE_OF['trusted-certificate'][info.family];
  if (expanded !== undefined && expanded !== null) {
    const type = isRecord(expanded) ? expanded['@odata.type'] : undefined;
    if (type !== undefined && (typeof type !== 'string' || `#${type.replace(/^#/, '')}` !== rootType))
      problems.push({
        path: 'rootCertificate.@odata.type',
        rule: `must be ${rootType}, the trusted-root type of ${PROFILE_FAMILY_INFO[info.family].label}; got ${JSON.stringify(type)}`,
        code: 'PROFILE_INVALID',
      });
    else if (isRecord(expanded) && typeof expanded['id'] === 'string')
      model['rootCertificateId'] = expanded['id'];
    else
      problems.push({
        path: 'rootCertificate',
        rule: 'must be an object with the trusted-certificate profile id',
        code: 'PROFILE_INVALID',
      });
  } else if (bind !== undefined && bind !== null) {
    const id = typeof bind === 'string' ? idFromBindUrl(bind) : undefined;
    if (id !== undefined) model['rootCertificateId'] = id;
    else {
      problems.push({
        path: 'rootCertificate@odata.bind',
        rule: "must be a URL ending in deviceConfigurations('<id>')",
        code: 'PROFILE_INVALID',
      });
    }
  }
}
