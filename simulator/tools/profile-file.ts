/**
 * Reading a profile file for `certfleet profile import|compile`. Two formats are accepted, told apart by
 * their keys:
 * - Microsoft Graph (beta) JSON — an object with `@odata.type` (docs/formats.md §4), imported with
 *   profiles/graph importGraphProfile (enums by name or number, problems with Graph paths);
 * - certfleet's own profile JSON — an object with `kind` and `family` (profiles/model, the shape
 *   {@link profileToJson} writes and `profile import --json` prints), validated with validateProfile;
 *   the certificate is base64.
 * Either way the result is a validated {@link CertificateProfile}, or one CertfleetError that lists every
 * problem with its path. Used by the `profile` tools beside it (profile-commands.ts, device-file.ts).
 */
import { readFileSync } from 'node:fs';
import { CertfleetError } from '../../pki/errors.ts';
import { graphPathOf, importGraphProfile, type GraphUnused } from '../../profiles/graph/import-graph.ts';
import type { GraphTypeName } from '../../profiles/graph/odata-types.ts';
import { profileInvalidError, type ProfileWarning } from '../../profiles/model/problem.ts';
import type { CertificateProfile } from '../../profiles/model/profile.ts';
import { unsimulatedKeySizeRule } from '../../profiles/model/scep-profile.ts';
import { unusedSettingsOf, type UnusedSetting } from '../../profiles/model/unused-settings.ts';
import { validateProfile } from '../../profiles/model/validate-profile.ts';

/** A loaded profile and where it came from. */
export interface LoadedProfile {
  profile: CertificateProfile;
  format: 'graph' | 'certfleet';
  /** The Graph type, for Graph JSON. */
  graphType?: GraphTypeName;
  /** Graph properties certfleet does not model (ignored), for Graph JSON. */
  ignored: string[];
  /**
   * What has no effect, each with why (profiles/graph GraphUnused): Graph properties the import reads past
   * (unknown ones included), then the settings nothing acts on ({@link unusedSettings}, code
   * `PROFILE_SETTING_UNUSED`), as a run warns of both.
   */
  unused: GraphUnused[];
  /**
   * The settings set (to other than their default) that nothing acts on: profiles/model unusedSettingsOf, the
   * run's `PROFILE_SETTING_UNUSED` warnings, with the path of the file's format (Graph or model).
   */
  unusedSettings: UnusedSetting[];
  /** Advisory warnings (documented risky variable uses); the profile loaded anyway. */
  warnings: ProfileWarning[];
}

/** Reads a file as UTF-8, or throws IO naming it. */
export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CertfleetError('IO', `Cannot read the ${what} file ${file}: ${(cause as Error).message}.`, {
      cause,
      // an input the command reads: the CLI exits 3 (cli/output.ts isInputError)
      details: { file, input: true },
    });
  }
}

/**
 * Parses profile JSON text (Graph or certfleet's own, see the module comment).
 *
 * @throws CertfleetError GRAPH_PARSE (bad JSON, with line/column), GRAPH_UNSUPPORTED_TYPE, PROFILE_INVALID
 *   (every problem with its path)
 */
export function parseProfileText(text: string, source: string): LoadedProfile {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined; // importGraphProfile reports the syntax error with line and column
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(json) && !('@odata.type' in json) && 'kind' in json) {
    // `profile import --json` prints the model with its import warnings and the export's properties without
    // effect beside it: they are output, not settings, so reading the file back drops them; and the model of
    // an accepted Graph import loads again, with the same warnings (validateProfile asGraphService, issue 12
    // point 9).
    const { warnings: printed, unused: printedUnused, ...model } = json;
    const output = Array.isArray(printed) || Array.isArray(printedUnused);
    const r = validateProfile(output ? model : json, { asGraphService: true });
    if (!r.ok) throw profileInvalidError(`The certfleet profile ${source}`, r.problems);
    // the simulator's limit, as the Graph import and a scenario refuse it (profiles/model/scep-profile.ts)
    const keySize =
      r.value.kind === 'scep-certificate' ? unsimulatedKeySizeRule(r.value.keySize, (k) => k) : undefined;
    if (keySize !== undefined)
      throw profileInvalidError(`The certfleet profile ${source}`, [
        { path: 'keySize', rule: keySize, code: 'PROFILE_INVALID' },
      ]);
    return withUnusedSettings({
      profile: r.value,
      format: 'certfleet',
      ignored: [],
      unused: [],
      warnings: r.warnings,
    });
  }
  const r = importGraphProfile(text);
  if (!r.ok) {
    throw new CertfleetError(r.error.code, `${source}: ${r.error.message}`, {
      cause: r.error,
      details: r.error.details,
    });
  }
  return withUnusedSettings({
    profile: r.profile,
    format: 'graph',
    graphType: r.graphType,
    ignored: r.ignored,
    unused: r.unused,
    warnings: r.warnings,
  });
}

/**
 * Adds the settings nothing acts on (profiles/model unusedSettingsOf, the very list a run warns of) to a
 * loaded profile, at the path of its format; one the import already lists (the `rootCertificate` link) is
 * not said twice.
 */
function withUnusedSettings(loaded: Omit<LoadedProfile, 'unusedSettings'>): LoadedProfile {
  const unusedSettings = unusedSettingsOf(loaded.profile).map((u) => ({
    ...u,
    path: loaded.format === 'graph' ? graphPathOf(u.path) : u.path,
  }));
  const listed = (path: string): boolean =>
    loaded.unused.some((u) => u.path === path || u.path.startsWith(`${path}@`));
  const unused: GraphUnused[] = [
    ...loaded.unused,
    ...unusedSettings
      .filter((u) => !listed(u.path))
      .map((u) => ({ path: u.path, message: `has no effect [${u.code}]: ${u.advice}`, code: u.code })),
  ];
  return { ...loaded, unused, unusedSettings };
}

/** Reads and parses a profile file. */
export function loadProfileFile(file: string): LoadedProfile {
  return parseProfileText(readTextFile(file, 'profile'), file);
}

/** The profile as certfleet's own JSON (the certificate as base64), which {@link parseProfileText} reads back. */
export function profileToJson(profile: CertificateProfile): Record<string, unknown> {
  if (profile.kind === 'trusted-certificate') {
    return { ...profile, certificate: Buffer.from(profile.certificate).toString('base64') };
  }
  return { ...profile };
}
