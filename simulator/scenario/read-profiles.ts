/**
 * The `profiles:` and `assignments:` sections. Each profile is either a Microsoft Graph JSON file
 * (`graph: exports/wifi.json`, one family, profiles/graph importGraphProfile) or inline settings expanded
 * to each listed profile family; every expansion goes through profiles/model validateProfile, and its
 * problems come back with the scenario file's line and the family they concern.
 *
 * Scenario keys are short admin-center names; each maps to a model (Graph) property:
 * `template` → certificateTemplateName, `subject` → subjectNameFormat / subjectNameFormatString,
 * `san` → customSubjectAlternativeNames (device administrator: the e-mail/UPN SAN flags),
 * `renewalThreshold` → renewalThresholdPercentage, `validity` → validity {value, unit}.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readFailureReason } from '../../pki/fs-error.ts';
import type { PkcsKeySize } from '../../profiles/compile/index.ts';
import { importGraphProfile } from '../../profiles/graph/import-graph.ts';
import {
  CERTIFICATE_DESTINATION_STORE,
  KEY_STORAGE_PROVIDER,
  SUBJECT_NAME_FORMAT,
  type SanType,
} from '../../profiles/model/enums.ts';
import { PROFILE_FAMILIES, PROFILE_FAMILY_INFO, type ProfileFamily } from '../../profiles/model/platform.ts';
import type { ProfileProblem, ProfileWarning } from '../../profiles/model/problem.ts';
import type { CertificateProfile, ProfileKind } from '../../profiles/model/profile.ts';
import { PROFILE_FIELDS } from '../../profiles/model/settings.ts';
import { SUBJECT_FORMAT_TEMPLATES } from '../../profiles/model/profile-names.ts';
import { unusedSettingsOf } from '../../profiles/model/unused-settings.ts';
import { validateProfile } from '../../profiles/model/validate-profile.ts';
import { APPLICATION_POLICIES } from '../service/ca/template.ts';
import { child, type At, type Checker } from './checker.ts';
import { readCertificateAccess } from './read-certificate-access.ts';
import { IMPORTED_PROFILE_KEYS, readImportedSettings } from './read-imported.ts';
import { readProfileValidity } from './read-validity.ts';
import { readAssignment, readIncludeExclude, unknownProfile } from './selectors.ts';
import {
  readScepSettings,
  SCEP_DELIVERED_FAMILIES,
  SCEP_KEYS,
  SCEP_SERVER_PLACEHOLDER,
} from './read-scep-settings.ts';
import type { MapNode } from './yaml-tree.ts';
import { CA_ISSUING_PLACEHOLDER } from './bind-issuing.ts';
import type { ScenarioProfile, TrustedSource } from './types.ts';

/** The CA host and name inline PKCS profiles point to unless they say otherwise (the fresh CA's own). */
export const DEFAULT_CERTIFICATION_AUTHORITY = 'ca01.certfleet.test';
/** See {@link DEFAULT_CERTIFICATION_AUTHORITY}. */
export const DEFAULT_CERTIFICATION_AUTHORITY_NAME = 'Certfleet Issuing CA';

/** A minimal DER SEQUENCE standing in for the CA root until the run's CA exists ({@link bindCaRoot}). */
export const CA_ROOT_PLACEHOLDER: Uint8Array = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);

const TYPES: Record<string, ProfileKind> = {
  'trusted-certificate': 'trusted-certificate',
  trusted: 'trusted-certificate',
  pkcs: 'pkcs-certificate',
  'pkcs-certificate': 'pkcs-certificate',
  scep: 'scep-certificate',
  'scep-certificate': 'scep-certificate',
  'pkcs-imported': 'pkcs-imported-certificate',
  'pkcs-imported-certificate': 'pkcs-imported-certificate',
};
const COMMON_KEYS = ['name', 'type', 'description', 'platforms', 'assign'] as const;
const TRUSTED_KEYS = ['certificate', 'certFileName', 'destinationStore', 'deploymentChannel'] as const;
const PKCS_KEYS = [
  'template',
  'certificateType',
  'subject',
  'san',
  'renewalThreshold',
  'validity',
  'keyStorageProvider',
  'keySize',
  'extendedKeyUsages',
  'certificateAccess',
  'allowAllAppsAccess',
  'deploymentChannel',
  'certificationAuthority',
  'certificationAuthorityName',
  'certificationAuthorityType',
] as const;
const GRAPH_KEYS = ['name', 'graph', 'assign', 'keySize', 'type'] as const;
const SAN_WORDS: Record<string, SanType> = {
  email: 'emailAddress',
  upn: 'userPrincipalName',
  dns: 'domainNameService',
  uri: 'universalResourceIdentifier',
  aad: 'customAzureADAttribute',
};
const KEY_SIZES = [2048, 3072, 4096];

/** Scenario key of each model property (for problem positions). */
const MODEL_TO_SCENARIO: Record<string, string> = {
  displayName: 'name',
  renewalThresholdPercentage: 'renewalThreshold',
  certificateTemplateName: 'template',
  subjectNameFormat: 'subject',
  subjectNameFormatString: 'subject',
  customSubjectAlternativeNames: 'san',
  subjectAlternativeNameType: 'san',
  subjectAlternativeNameFormatString: 'san',
  intendedPurpose: 'purpose',
};

type Rec = Record<string, unknown>;

/** Reads `profiles:` and applies `assignments:`; undefined when anything is wrong (all recorded). */
export function readProfiles(
  c: Checker,
  at: At | undefined,
  assignmentsAt: At | undefined,
  baseDir: string,
): ScenarioProfile[] | undefined {
  const r = readProfilesAll(c, at, assignmentsAt, baseDir);
  return r.ok ? r.profiles : undefined;
}

/**
 * Reads `profiles:` and applies `assignments:`: the profiles that read without a problem, and whether all
 * did — so that checks across sections (their CA templates) run in the same pass as the problems of
 * other profiles (issue 13 point 5).
 */
export function readProfilesAll(
  c: Checker,
  at: At | undefined,
  assignmentsAt: At | undefined,
  baseDir: string,
): { profiles: ScenarioProfile[]; ok: boolean } {
  const before = c.problems.length;
  const items = at === undefined ? [] : (c.list(at) ?? []);
  const out: ScenarioProfile[] = [];
  const seen = new Map<string, number>();
  const assignedInline = new Set<string>();
  for (const item of items) {
    const r = readProfile(c, item, baseDir);
    if (r === undefined) continue;
    const p = r.profile;
    if (r.hasAssign) assignedInline.add(p.name);
    if (seen.has(p.name)) {
      c.add(
        item.node.pos,
        item.path,
        `a profile named '${p.name}' is already defined on line ${seen.get(p.name)}: give each profile its own name`,
      );
      continue;
    }
    seen.set(p.name, p.line);
    out.push(p);
  }
  if (assignmentsAt !== undefined) applyAssignments(c, assignmentsAt, out, items, assignedInline);
  return { profiles: out, ok: c.problems.length === before };
}

function applyAssignments(
  c: Checker,
  at: At,
  profiles: ScenarioProfile[],
  items: At[],
  assigned: Set<string>,
): void {
  const names = profiles.map((p) => p.name);
  for (const item of c.list(at) ?? []) {
    const map = c.map(item, 'a map {profile, include, exclude}');
    if (map === undefined) continue;
    const nameAt = c.get(map, 'profile');
    if (nameAt === undefined) {
      c.add(map.node.pos, child(map.path, 'profile'), 'is required');
      continue;
    }
    const assignment = readIncludeExclude(c, map, ['profile']);
    const name = c.string(nameAt, true);
    if (name === undefined || assignment === undefined) continue;
    const profile = profiles.find((p) => p.name === name);
    if (profile === undefined) {
      if (
        !items.some(
          (i) =>
            i.node.type === 'map' &&
            i.node.entries.some(
              (e) => e.key === 'name' && e.value.type === 'scalar' && e.value.value === name,
            ),
        )
      )
        unknownProfile(c, nameAt, name, names);
      continue;
    }
    if (assigned.has(name)) {
      c.add(
        nameAt.node.pos,
        nameAt.path,
        `profile '${name}' is already assigned (here or with assign: in the profile): keep one assignment per profile`,
      );
      continue;
    }
    assigned.add(name);
    profile.assign = assignment;
    profile.assignedToGroups = true;
  }
}

function readProfile(
  c: Checker,
  at: At,
  baseDir: string,
): { profile: ScenarioProfile; hasAssign: boolean } | undefined {
  const map = c.map(at, 'a map with name, type and settings (or graph: file.json)');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  const graphAt = c.get(map, 'graph');
  const assignAt = c.get(map, 'assign');
  const assign = readAssignment(c, assignAt);
  let result: ScenarioProfile | undefined;
  if (graphAt !== undefined) {
    c.keys(map, GRAPH_KEYS);
    result = readGraphProfile(c, map, graphAt, baseDir);
  } else {
    result = readInlineProfile(c, map, baseDir);
  }
  if (result === undefined || assign === undefined || c.problems.length > before) return undefined;
  result.assign = assign;
  if (assignAt !== undefined) result.assignedToGroups = true;
  return { profile: result, hasAssign: assignAt !== undefined };
}

function readKeySize(c: Checker, map: At<MapNode>, kind: ProfileKind | undefined): PkcsKeySize | undefined {
  const at = c.get(map, 'keySize');
  if (at === undefined) return undefined;
  if (kind === 'trusted-certificate') return c.add(at.node.pos, at.path, 'applies to PKCS profiles only');
  if (kind === 'pkcs-imported-certificate')
    return c.add(
      at.node.pos,
      at.path,
      'does not apply to an imported-PKCS profile: its key comes with the user’s imported PFX, nothing is generated',
    );
  const v = c.number(at, 2048, 4096, true);
  if (v !== undefined && !KEY_SIZES.includes(v))
    return c.add(at.node.pos, at.path, `must be one of ${KEY_SIZES.join(', ')}`);
  return v as PkcsKeySize | undefined;
}

function readGraphProfile(
  c: Checker,
  map: At<MapNode>,
  graphAt: At,
  baseDir: string,
): ScenarioProfile | undefined {
  const file = c.string(graphAt);
  if (file === undefined) return undefined;
  const full = resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    return c.add(graphAt.node.pos, graphAt.path, `cannot read ${full}: ${readFailureReason(e)}`);
  }
  const r = importGraphProfile(text);
  if (!r.ok) {
    return c.add(
      graphAt.node.pos,
      graphAt.path,
      `${file}: [${r.error.code}] ${r.error.message.replace(/\n/g, '; ')}`,
    );
  }
  let profile = r.profile;
  // A Graph SCEP profile: the same families as an inline `type: scep` profile enrol in a run, and the
  // run's own SCEP server (loopback) stands in for the servers the export names, which the simulated
  // devices cannot reach.
  if (profile.kind === 'scep-certificate') {
    if (!SCEP_DELIVERED_FAMILIES.includes(profile.family)) {
      return c.add(
        graphAt.node.pos,
        graphAt.path,
        `${file}: SCEP profiles are delivered in runs to ${SCEP_DELIVERED_FAMILIES.join(', ')} devices only so far; the ${profile.family} device side does not enrol over SCEP yet`,
      );
    }
    c.warn(
      graphAt.node.pos,
      graphAt.path,
      `${file}: scepServerUrls (${profile.scepServerUrls.join(', ')}) are replaced in the run by the run's own SCEP server on loopback; the devices enrol there`,
    );
    profile = { ...profile, scepServerUrls: [SCEP_SERVER_PLACEHOLDER] };
  }
  // what the run reads past: unknown or ineffective Graph properties, advisories (issue 13 point 5)
  for (const u of r.unused) c.warn(graphAt.node.pos, graphAt.path, `${file}: ${u.path} ${u.message}`);
  for (const w of r.warnings) c.warn(graphAt.node.pos, graphAt.path, `${file}: ${w.path}: ${w.advice}`);
  for (const u of unusedSettingsOf(r.profile))
    c.warn(graphAt.node.pos, graphAt.path, `${file}: ${u.path}: [${u.code}] ${u.advice}`);
  const typeAt = c.get(map, 'type');
  const type = typeAt && readType(c, typeAt);
  if (type !== undefined && type !== profile.kind) {
    return c.add(typeAt!.node.pos, typeAt!.path, `${file} is a ${profile.kind} profile, not ${type}`);
  }
  const nameAt = c.get(map, 'name');
  const name = nameAt === undefined ? profile.displayName : c.string(nameAt, true);
  const keySize = readKeySize(c, map, profile.kind);
  if (name === undefined) return undefined;
  return {
    name,
    kind: profile.kind,
    families: [profile.family],
    models: { [profile.family]: profile },
    ...(profile.kind === 'trusted-certificate' && { trustedSource: { type: 'inline' as const } }),
    ...(keySize !== undefined && { keySize }),
    graphFile: full,
    assign: { include: [{}], exclude: [] },
    line: map.node.pos.line,
  };
}

function readType(c: Checker, at: At): ProfileKind | undefined {
  const v = c.oneOf(at, Object.keys(TYPES), 'profile type');
  return v === undefined ? undefined : TYPES[v];
}

function readFamilies(c: Checker, map: At<MapNode>): ProfileFamily[] | undefined {
  const at = c.get(map, 'platforms');
  if (at === undefined)
    return c.add(
      map.node.pos,
      child(map.path, 'platforms'),
      `is required: list profile families (${PROFILE_FAMILIES.join(', ')}) or write all`,
    );
  if (at.node.type === 'scalar' && at.node.value === 'all') return [...PROFILE_FAMILIES];
  const before = c.problems.length;
  const items = c.list(at, true) ?? [];
  const out: ProfileFamily[] = [];
  for (const i of items) {
    // `android` alone would be ambiguous: the three Android families take different profiles.
    if (i.node.type === 'scalar' && i.node.value === 'android') {
      c.add(
        i.node.pos,
        i.path,
        'name the Android family: android-work-profile, android-device-owner or android-device-admin',
      );
      continue;
    }
    const f = c.oneOf(i, PROFILE_FAMILIES, 'platform');
    if (f !== undefined && !out.includes(f)) out.push(f);
  }
  return out.length > 0 && c.problems.length === before ? out : undefined;
}

function readInlineProfile(c: Checker, map: At<MapNode>, baseDir: string): ScenarioProfile | undefined {
  const before = c.problems.length;
  const typeAt = c.get(map, 'type');
  if (typeAt === undefined) {
    c.add(
      map.node.pos,
      child(map.path, 'type'),
      'is required: trusted-certificate, pkcs, pkcs-imported or scep (or give graph: file.json)',
    );
  }
  const kind = typeAt && readType(c, typeAt);
  const allowed =
    kind === 'trusted-certificate'
      ? [...COMMON_KEYS, ...TRUSTED_KEYS]
      : kind === 'pkcs-certificate'
        ? [...COMMON_KEYS, ...PKCS_KEYS]
        : kind === 'scep-certificate'
          ? [...COMMON_KEYS, ...SCEP_KEYS]
          : kind === 'pkcs-imported-certificate'
            ? [...COMMON_KEYS, ...IMPORTED_PROFILE_KEYS]
            : [
                ...COMMON_KEYS,
                ...TRUSTED_KEYS,
                ...PKCS_KEYS,
                ...SCEP_KEYS,
                ...IMPORTED_PROFILE_KEYS,
                'graph',
              ];
  c.keys(map, allowed, ['name']);
  const name = c.string(c.get(map, 'name'), true);
  const families = readFamilies(c, map);
  const descriptionAt = c.get(map, 'description');
  const description = descriptionAt === undefined ? undefined : c.string(descriptionAt);
  if (kind === undefined || families === undefined) return undefined;
  // a profile whose name has a problem is still checked with a stand-in name, so that every problem of it
  // shows in one pass (issue 13 point 5)
  const base: Rec = {
    kind,
    displayName: name ?? 'profile',
    ...(description !== undefined && { description }),
  };
  let trustedSource: TrustedSource | undefined;
  let keySize: PkcsKeySize | undefined;
  let settings: Rec | undefined;
  if (kind === 'trusted-certificate') {
    const r = readTrustedSettings(c, map, name ?? 'profile', baseDir);
    trustedSource = r?.source;
    settings = r?.settings;
  } else if (kind === 'scep-certificate') {
    settings = readScepSettings(c, map, readNameSettings(c, map), families);
  } else if (kind === 'pkcs-imported-certificate') {
    settings = readImportedSettings(c, map);
  } else {
    settings = readPkcsSettings(c, map);
    keySize = readKeySize(c, map, kind);
  }
  if (settings === undefined) return undefined;
  // Keys that already have a problem: the model's view of the same key would only repeat it (a template
  // that is not text is also "required" to the model). Every other key is still checked by the model.
  const flagged = c.problems.slice(before).map((p) => p.path);
  const alreadyFlagged = (path: string): boolean =>
    flagged.some((f) => f === path || f.startsWith(`${path}.`) || f.startsWith(`${path}[`));

  // Every scenario key must apply to at least one listed family; each family takes the ones that apply.
  const models: Partial<Record<ProfileFamily, CertificateProfile>> = {};
  for (const key of Object.keys(settings)) {
    if (families.some((f) => (PROFILE_FIELDS[kind][f] as readonly string[]).includes(key))) continue;
    const scenarioKey = MODEL_TO_SCENARIO[key] ?? key;
    const at = c.get(map, scenarioKey);
    c.add(
      at?.node.pos ?? map.node.pos,
      child(map.path, scenarioKey),
      `does not apply to any listed platform (${families.join(', ')})`,
    );
  }
  const modelProblems = new Map<string, { problem: ProfileProblem; families: ProfileFamily[] }>();
  const advisories = new Map<string, { warning: ProfileWarning; families: ProfileFamily[] }>();
  for (const family of families) {
    const own = adaptToFamily(c, map, family, settings);
    if (own === undefined) continue;
    const input: Rec = { ...base, family };
    for (const [k, v] of Object.entries(own)) {
      if ((PROFILE_FIELDS[kind][family] as readonly string[]).includes(k)) input[k] = v;
    }
    // `certificate: root` is a placeholder until bindCaRoot puts the run's CA root in.
    const r = validateProfile(input, {
      certificateBoundLater: trustedSource?.type === 'ca-root' || trustedSource?.type === 'ca-issuing',
    });
    for (const w of r.warnings) {
      const key = `${w.path}\u0000${w.advice}`;
      const seen = advisories.get(key);
      if (seen === undefined) advisories.set(key, { warning: w, families: [family] });
      else seen.families.push(family);
    }
    if (r.ok) {
      models[family] = r.value;
      // settings no component acts on are said, never silently dropped (issue 12 point 1)
      for (const u of unusedSettingsOf(r.value)) {
        const at = c.get(map, MODEL_TO_SCENARIO[u.path] ?? u.path);
        c.warn(
          at?.node.pos ?? map.node.pos,
          child(map.path, MODEL_TO_SCENARIO[u.path] ?? u.path),
          `for ${family}: [${u.code}] ${u.advice}`,
        );
      }
    } else {
      for (const p of r.problems) {
        const key = `${p.path}\u0000${p.rule}\u0000${p.code}`;
        const seen = modelProblems.get(key);
        if (seen === undefined) modelProblems.set(key, { problem: p, families: [family] });
        else seen.families.push(family);
      }
    }
  }
  // `platforms: all` with a setting that a few families refuse (fewer than half: else the setting is what
  // is wrong): say which families to list instead
  const platformsAt = c.get(map, 'platforms');
  const wroteAll = platformsAt?.node.type === 'scalar' && platformsAt.node.value === 'all';
  for (const { problem, families: fs } of modelProblems.values()) {
    const others = families.filter((f) => !fs.includes(f));
    const few = wroteAll && fs.length * 2 < families.length;
    reportModelProblem(c, map, fs, problem, alreadyFlagged, few ? others : undefined);
  }
  for (const { warning, families: fs } of advisories.values()) {
    const top = /^[A-Za-z]+/.exec(warning.path)?.[0] ?? '';
    const key = MODEL_TO_SCENARIO[top] ?? top;
    const at = c.get(map, key);
    c.warn(at?.node.pos ?? map.node.pos, child(map.path, key), `for ${fs.join(', ')}: ${warning.advice}`);
  }
  if (c.problems.length > before || name === undefined) return undefined;
  return {
    name,
    kind,
    families,
    models,
    ...(trustedSource !== undefined && { trustedSource }),
    ...(keySize !== undefined && { keySize }),
    assign: { include: [{}], exclude: [] },
    line: map.node.pos.line,
  };
}

function reportModelProblem(
  c: Checker,
  map: At<MapNode>,
  families: ProfileFamily[],
  p: ProfileProblem,
  alreadyFlagged: (path: string) => boolean = () => false,
  listInsteadOfAll?: readonly ProfileFamily[],
): void {
  const top = /^[A-Za-z]+/.exec(p.path)?.[0] ?? '';
  const scenarioKey = MODEL_TO_SCENARIO[top] ?? top;
  const rest = p.path.slice(top.length);
  const at = c.get(map, scenarioKey);
  if (alreadyFlagged(child(map.path, scenarioKey))) return;
  const path = child(map.path, scenarioKey) + (scenarioKey === top ? rest : '');
  const code = p.code === 'PROFILE_INVALID' ? '' : ` [${p.code}]`;
  const label = families.length === 1 ? ` (${PROFILE_FAMILY_INFO[families[0]!].label})` : '';
  const where = scenarioKey === top ? '' : ` (${p.path})`;
  const instead = listInsteadOfAll
    ? `; \`platforms: all\` includes ${families.join(', ')}: list the platforms instead, e.g. platforms: [${listInsteadOfAll.join(', ')}]`
    : '';
  c.add(
    at?.node.pos ?? map.node.pos,
    path,
    `for ${families.join(', ')}${label}${where}: ${p.rule}${code}${instead}`,
  );
}

/**
 * Family-specific reshaping for Android device administrator, whose Graph type has neither a custom
 * subject nor custom SANs: a custom subject that is exactly a named format's template, case aside
 * (`CN={{UserName}}` or `CN={{username}}` is `commonName`, profiles/model/profile-names.ts), becomes that
 * format, and the e-mail / UPN SANs (`{{EmailAddress}}`, `{{UserPrincipalName}}`, case aside) become the
 * SAN type flags.
 */
function adaptToFamily(c: Checker, map: At<MapNode>, family: ProfileFamily, input: Rec): Rec | undefined {
  if (family !== 'android-device-admin') return input;
  let settings = input;
  if (settings['subjectNameFormat'] === 'custom') {
    const subject = settings['subjectNameFormatString'];
    // variable names match case-insensitively, as everywhere (profiles/variables/catalogue.ts), and so do
    // DN attribute types (pki/dn-attributes.ts): `cn={{imei}}` is commonNameAsIMEI
    const named = Object.entries(SUBJECT_FORMAT_TEMPLATES).find(
      ([, t]) => typeof subject === 'string' && t.user.template.toLowerCase() === subject.toLowerCase(),
    )?.[0];
    if (named === undefined) {
      const at = c.get(map, 'subject');
      const forms = Object.entries(SUBJECT_FORMAT_TEMPLATES)
        .map(([name, t]) => `${name} (${t.user.template})`)
        .join(', ');
      c.add(
        at?.node.pos ?? map.node.pos,
        child(map.path, 'subject'),
        `for android-device-admin: device administrator profiles take only a named subject format, not a custom subject; use one of ${forms}, or drop android-device-admin from platforms`,
      );
      return undefined;
    }
    const { subjectNameFormatString: _s, ...rest } = settings;
    settings = { ...rest, subjectNameFormat: named };
  }
  if (settings['customSubjectAlternativeNames'] === undefined) return settings;
  const sans = settings['customSubjectAlternativeNames'] as { sanType: SanType; name: string }[];
  const flags: SanType[] = [];
  const sanAt = c.get(map, 'san');
  for (const [i, s] of sans.entries()) {
    const ok =
      (s.sanType === 'emailAddress' && s.name.toLowerCase() === '{{emailaddress}}') ||
      (s.sanType === 'userPrincipalName' && s.name.toLowerCase() === '{{userprincipalname}}');
    if (ok) flags.push(s.sanType);
    else {
      const item = sanAt && c.list(sanAt)?.[i];
      c.add(
        (item ?? sanAt)?.node.pos ?? map.node.pos,
        item?.path ?? child(map.path, 'san'),
        'android-device-admin profiles only take the e-mail SAN {{EmailAddress}} and the UPN SAN {{UserPrincipalName}} (Graph has no custom SANs for this type): drop android-device-admin from platforms or use one of these',
      );
      return undefined;
    }
  }
  const { customSubjectAlternativeNames: _drop, ...rest } = settings;
  return { ...rest, subjectAlternativeNameType: flags };
}

function readTrustedSettings(
  c: Checker,
  map: At<MapNode>,
  name: string,
  baseDir: string,
): { source: TrustedSource; settings: Rec } | undefined {
  const certAt = c.get(map, 'certificate');
  const cert = certAt === undefined ? 'root' : c.string(certAt);
  if (cert === undefined) return undefined;
  let source: TrustedSource;
  let der: Uint8Array;
  if (cert === 'root') {
    source = { type: 'ca-root' };
    der = CA_ROOT_PLACEHOLDER;
  } else if (cert === 'issuing') {
    source = { type: 'ca-issuing' };
    der = CA_ISSUING_PLACEHOLDER;
  } else {
    const full = resolve(baseDir, cert);
    try {
      der = certificateBytes(readFileSync(full));
    } catch (e) {
      return c.add(
        certAt!.node.pos,
        certAt!.path,
        `cannot read the certificate ${full}: ${readFailureReason(e)} (write root for the run's CA root, issuing for its issuing CA)`,
      );
    }
    source = { type: 'file', path: full };
  }
  const settings: Rec = {
    certificate: der,
    certFileName:
      optionalString(c, c.get(map, 'certFileName')) ?? `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.cer`,
  };
  const storeAt = c.get(map, 'destinationStore');
  if (storeAt !== undefined)
    settings['destinationStore'] = c.oneOf(
      storeAt,
      Object.keys(CERTIFICATE_DESTINATION_STORE),
      'destination store',
    );
  const channelAt = c.get(map, 'deploymentChannel');
  if (channelAt !== undefined)
    settings['deploymentChannel'] = c.oneOf(
      channelAt,
      ['deviceChannel', 'userChannel'],
      'deployment channel',
    );
  return { source, settings };
}

/** DER bytes of a PEM or DER certificate file. */
function certificateBytes(buf: Buffer): Uint8Array {
  const text = buf.toString('latin1');
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
  return new Uint8Array(m?.[1] === undefined ? buf : Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

function optionalString(c: Checker, at: At | undefined): string | undefined {
  return at === undefined ? undefined : c.string(at, true);
}

function readPkcsSettings(c: Checker, map: At<MapNode>): Rec {
  const s: Rec = {
    certificationAuthority:
      optionalString(c, c.get(map, 'certificationAuthority')) ?? DEFAULT_CERTIFICATION_AUTHORITY,
    certificationAuthorityName:
      optionalString(c, c.get(map, 'certificationAuthorityName')) ?? DEFAULT_CERTIFICATION_AUTHORITY_NAME,
  };
  const templateAt = c.get(map, 'template');
  if (templateAt === undefined)
    c.add(map.node.pos, child(map.path, 'template'), 'is required: the CA template name, e.g. CertfleetUser');
  else s['certificateTemplateName'] = c.string(templateAt, true);
  Object.assign(s, readNameSettings(c, map));
  const channelAt = c.get(map, 'deploymentChannel');
  if (channelAt !== undefined)
    s['deploymentChannel'] = c.oneOf(channelAt, ['deviceChannel', 'userChannel'], 'deployment channel');
  const caTypeAt = c.get(map, 'certificationAuthorityType');
  if (caTypeAt !== undefined)
    s['certificationAuthorityType'] = c.oneOf(
      caTypeAt,
      ['notConfigured', 'microsoft', 'digiCert'],
      'CA type',
    );
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

/**
 * The settings PKCS and SCEP profiles share (subject, SANs, certificate type, renewal, validity, KSP, EKUs,
 * Android certificate access, macOS all-apps access), each key mapped to its model property; what was read,
 * also when some keys have problems.
 */
function readNameSettings(c: Checker, map: At<MapNode>): Rec {
  const s: Rec = {};
  const typeAt = c.get(map, 'certificateType');
  if (typeAt !== undefined) s['certificateType'] = c.oneOf(typeAt, ['user', 'device'], 'certificate type');
  const subjectAt = c.get(map, 'subject');
  if (subjectAt !== undefined) {
    const subject = c.string(subjectAt, true);
    if (subject !== undefined && subject.includes('=')) {
      s['subjectNameFormat'] = 'custom';
      s['subjectNameFormatString'] = subject;
    } else if (subject !== undefined) {
      s['subjectNameFormat'] = c.oneOf(
        subjectAt,
        Object.keys(SUBJECT_NAME_FORMAT),
        'subject format (write a DN such as CN={{UserName}} or a named format)',
      );
    }
  }
  const sanAt = c.get(map, 'san');
  if (sanAt !== undefined) {
    const sans = (c.list(sanAt) ?? []).map((item) => {
      const m = c.map(item, 'a map {type: email|upn|dns|uri, value}');
      if (m === undefined) return undefined;
      c.keys(m, ['type', 'value'], ['type', 'value']);
      const type = c.oneOf(c.get(m, 'type'), Object.keys(SAN_WORDS), 'SAN type');
      const value = c.string(c.get(m, 'value'), true);
      return type === undefined || value === undefined
        ? undefined
        : { sanType: SAN_WORDS[type], name: value };
    });
    if (sans.every((x) => x !== undefined)) s['customSubjectAlternativeNames'] = sans;
  }
  const thresholdAt = c.get(map, 'renewalThreshold');
  if (thresholdAt !== undefined) {
    const v = c.scalar(thresholdAt, 'a percentage from 1 to 99');
    s['renewalThresholdPercentage'] =
      typeof v === 'string' && /^\d+\s*%$/.test(v) ? Number.parseInt(v, 10) : v;
  }
  const validityAt = c.get(map, 'validity');
  if (validityAt !== undefined) s['validity'] = readProfileValidity(c, validityAt);
  const kspAt = c.get(map, 'keyStorageProvider');
  if (kspAt !== undefined)
    s['keyStorageProvider'] = c.oneOf(kspAt, Object.keys(KEY_STORAGE_PROVIDER), 'key storage provider');
  const ekuAt = c.get(map, 'extendedKeyUsages');
  if (ekuAt !== undefined) {
    const ekus = (c.list(ekuAt, true) ?? []).map((item) => {
      if (item.node.type === 'map') {
        const m = c.map(item)!;
        c.keys(m, ['name', 'oid'], ['name', 'oid']);
        const name = c.string(c.get(m, 'name'), true);
        const oid = c.string(c.get(m, 'oid'), true);
        return name === undefined || oid === undefined ? undefined : { name, objectIdentifier: oid };
      }
      const word = c.oneOf(item, Object.keys(APPLICATION_POLICIES), 'extended key usage (or {name, oid})');
      return word === undefined
        ? undefined
        : { name: word, objectIdentifier: APPLICATION_POLICIES[word as keyof typeof APPLICATION_POLICIES] };
    });
    if (ekus.every((x) => x !== undefined)) s['extendedKeyUsages'] = ekus;
  }
  const accessAt = c.get(map, 'certificateAccess');
  if (accessAt !== undefined) s['certificateAccess'] = readCertificateAccess(c, accessAt);
  const allAppsAt = c.get(map, 'allowAllAppsAccess');
  if (allAppsAt !== undefined) s['allowAllAppsAccess'] = c.boolean(allAppsAt);
  // what was read, also when some keys have problems: the model checks the others in the same pass
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}
