/**
 * The operations behind `certfleet profile import|compile`: each takes plain options, does the work, and
 * returns what the CLI prints; failures are CertfleetErrors (the CLI prints `error CODE: message`). The CLI
 * only parses arguments and calls these (docs/architecture.md house rule 8).
 *
 * A tool beside the service (simulator/tools/): `--device` reads a simulated device file (device-file.ts), so
 * it lives outside simulator/service/, which never imports the agent; issuance goes through the service's
 * own issueForDevice and EnterpriseCa.
 */
import { CertfleetError } from '../../pki/errors.ts';
import { randomPassword } from '../../pki/secret-witness.ts';
import { parseCertificate } from '../../pki/index.ts';
import { compileProfile, seededIds, type IssuedIdentity } from '../../profiles/compile/index.ts';
import { PROFILE_FAMILY_INFO } from '../../profiles/model/platform.ts';
import type { ProfileWarning } from '../../profiles/model/problem.ts';
import type { PkcsCertificateProfile } from '../../profiles/model/profile.ts';
import { subjectTemplateOf, sanTemplatesOf } from '../../profiles/model/profile-names.ts';
import type { UnusedSetting } from '../../profiles/model/unused-settings.ts';
import { CaDirectory } from '../service/ca/ca-directory.ts';
import { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import { reserveOutput, type ReservedOutput } from '../service/ca/output-file.ts';
import { CONNECTOR_GROUP } from '../service/ca/template.ts';
import { loadDeviceFile, type LoadedDevice } from './device-file.ts';
import {
  issueForDevice,
  type IssueFailure,
  type SubmittedRequest,
} from '../service/compile/issue-for-device.ts';
import { importedSummaryRows } from './imported-summary.ts';
import { loadProfileFile, profileToJson, type LoadedProfile } from './profile-file.ts';
import { scepEnrolmentOf, scepSummaryRows } from './scep-profile-summary.ts';

/**
 * `profile import`: the validated model, as JSON-ready data and as a readable summary, with the profile's
 * advisory warnings in `warnings` (the CLI prints them on stderr in both modes, so `--json` stays the model
 * that imports again).
 */
export function profileImport(o: { file: string }): LoadedProfile & {
  json: Record<string, unknown>;
  summary: string;
} {
  const loaded = loadProfileFile(o.file);
  // --json: the model, and the import's warnings beside it (read back, the key is dropped: profile-file.ts)
  const json: Record<string, unknown> = {
    ...profileToJson(loaded.profile),
    ...(loaded.warnings.length > 0 && { warnings: loaded.warnings.map((w) => ({ ...w })) }),
    // the export's properties without effect (unknown ones with their likely correction), as the text says
    ...(loaded.unused.length > 0 && { unused: loaded.unused.map((u) => ({ ...u })) }),
  };
  return { ...loaded, json, summary: summarizeProfile(loaded) };
}

/** A readable summary of a loaded profile. */
export function summarizeProfile(loaded: LoadedProfile): string {
  const p = loaded.profile;
  const kind =
    p.kind === 'pkcs-certificate'
      ? 'PKCS certificate'
      : p.kind === 'scep-certificate'
        ? 'SCEP certificate'
        : p.kind === 'pkcs-imported-certificate'
          ? 'PKCS imported certificate'
          : 'trusted certificate';
  const from = loaded.graphType
    ? ` (Graph #microsoft.graph.${loaded.graphType})`
    : ' (certfleet profile JSON)';
  const rows: [string, string][] = [];
  if (p.kind === 'trusted-certificate') {
    try {
      const c = parseCertificate(p.certificate);
      rows.push([
        'certificate',
        `${c.subjectText} (SHA-1 ${c.sha1Thumbprint}, until ${c.notAfter.toISOString()})`,
      ]);
    } catch {
      rows.push(['certificate', `${p.certificate.length} bytes (not parseable as X.509)`]);
    }
    rows.push(['file name', p.certFileName]);
    if (p.family === 'windows') rows.push(['destination store', p.destinationStore]);
    if (p.family === 'macos') rows.push(['deployment channel', p.deploymentChannel]);
  } else if (p.kind === 'scep-certificate') {
    rows.push(...scepSummaryRows(p));
  } else if (p.kind === 'pkcs-imported-certificate') {
    rows.push(...importedSummaryRows(p));
  } else {
    rows.push(['CA', `${p.certificationAuthority} (${p.certificationAuthorityName})`]);
    rows.push(['template', p.certificateTemplateName]);
    rows.push(['certificate type', p.certificateType]);
    rows.push(['subject', `${subjectTemplateOf(p).template} (format ${p.subjectNameFormat})`]);
    const sans = sanTemplatesOf(p).map((s) => `${s.target.replace('san:', '')} ${s.template}`);
    rows.push(['SANs', sans.length > 0 ? sans.join(', ') : 'none']);
    rows.push(['validity', `${p.validity.value} ${p.validity.unit}`]);
    rows.push(['renewal', `at ${p.renewalThresholdPercentage} % of the lifetime remaining`]);
    if (p.family === 'windows') {
      rows.push(['key storage', p.keyStorageProvider]);
      rows.push([
        'EKUs',
        p.extendedKeyUsages.map((e) => `${e.name} ${e.objectIdentifier}`).join(', ') || 'none',
      ]);
    }
    if (p.family === 'macos') {
      rows.push(['deployment channel', p.deploymentChannel]);
      rows.push(['all apps access', String(p.allowAllAppsAccess)]);
    }
    if (p.family === 'android-device-owner') {
      const a = p.certificateAccess;
      rows.push([
        'certificate access',
        a.type === 'specificApps' ? `silent for ${a.packageIds.join(', ')}` : a.type,
      ]);
    }
  }
  // unknown properties (with the likely correction) and known ones without effect (a subject string under
  // a named format…), as a scenario run warns
  for (const u of loaded.unused)
    rows.push([loaded.ignored.includes(u.path) ? 'ignored' : 'no effect', `${u.path} ${u.message}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `${p.displayName} — ${kind} profile for ${PROFILE_FAMILY_INFO[p.family].label}${from}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
  ].join('\n');
}

/** The CertfleetError a failed issuance or compilation ends the command with (exit 1). */
export function outcomeError(outcome: IssueFailure): CertfleetError {
  if (outcome.kind === 'MissingVariable') {
    return new CertfleetError(
      'VARIABLE_MISSING',
      `${outcome.variable} cannot be filled on this device (variable ${outcome.variable}, attribute ${outcome.attribute}, reason ${outcome.reason}, at ${outcome.path}). ${outcome.message}`,
      {
        details: {
          variable: outcome.variable,
          attribute: outcome.attribute,
          reason: outcome.reason,
          path: outcome.path,
        },
      },
    );
  }
  const { kind: _kind, code, message, ...rest } = outcome;
  return new CertfleetError(code, message, { details: { ...rest } });
}

/** Options of {@link profileCompile}. */
export interface ProfileCompileOptions {
  profile: string;
  device: string;
  /** CA folder; required for PKCS profiles. */
  ca?: string;
  out: string;
  /** The PFX password; a random one (crypto.randomInt) when absent — never derived from the seed. */
  password?: string;
  /** Seed of the payload ids. */
  seed: string;
  now?: Date;
  /** SCEP profiles: the one-time challenge the device enrols with (a secret: never printed). */
  challenge?: string;
  /** SCEP profiles: the SCEP server URL in place of the profile's `scepServerUrls`. */
  scepUrl?: string;
}

/** What {@link profileCompile} returns. */
export interface ProfileCompileResult {
  summary: string;
  format: string;
  request?: SubmittedRequest;
  /** The profile's advisory warnings (the CLI prints them on stderr); the payload was written anyway. */
  warnings: ProfileWarning[];
  /**
   * The profile's settings that nothing acts on (`PROFILE_SETTING_UNUSED`, as a run warns of them; the CLI
   * prints them on stderr): the payload was written without them.
   */
  unusedSettings: UnusedSetting[];
}

/**
 * `profile compile`: the native payload a device of that inventory receives, written to `out`. A PKCS
 * certificate is issued from the CA in `ca` first (issueForDevice), when the profile names that CA as a run's
 * connector finds it (CA_UNAVAILABLE otherwise). Any outcome that stops it — a missing variable, the
 * escaped-subject issue, a CA denial — is thrown as its CertfleetError and nothing is written.
 */
export async function profileCompile(o: ProfileCompileOptions): Promise<ProfileCompileResult> {
  const { profile, warnings, unusedSettings } = loadProfileFile(o.profile);
  const { device, facts } = loadDeviceFile(o.device);
  if (profile.kind === 'pkcs-imported-certificate') {
    throw new CertfleetError(
      'USAGE',
      `"${profile.displayName}" is an imported-PKCS profile: it delivers a user's imported PFX, which only a run has (a scenario's importedPfx: with a pkcs-imported profile, or certfleet pfx import before serve); profile compile cannot make one up.`,
    );
  }
  if (profile.kind === 'pkcs-certificate' && o.ca === undefined) {
    throw new CertfleetError(
      'USAGE',
      `--ca is required: "${profile.displayName}" is a PKCS profile, and the certificate is issued from that CA.`,
    );
  }
  // --out reserved before the CA issues anything: an unwritable --out leaves no issued record behind
  // (docs/architecture.md house rule 7), as `ca issue` does
  const reserved = reserveOutput(o.out, 0o600);
  try {
    return { ...(await compileInto(o, reserved, { profile, warnings, device, facts })), unusedSettings };
  } finally {
    reserved.abort(); // nothing once committed
  }
}

/**
 * Throws the connector's CA_UNAVAILABLE (0x800706BA) when the profile's `certificationAuthority` /
 * `certificationAuthorityName` do not name the CA of `--ca`: the very check a run's connector makes
 * (simulator/service/ca/ca-directory.ts CaDirectory.find, with the run's one CA), so the export a run fails
 * with does not compile here from another CA. Nothing is issued.
 */
function reachableCa(ca: EnterpriseCa, profile: PkcsCertificateProfile, folder: string): void {
  const found = CaDirectory.of(ca).find(profile.certificationAuthority, profile.certificationAuthorityName);
  if (found.ok) return;
  const e = found.error;
  throw new CertfleetError(
    e.code,
    `${e.message} Compiling, the connector reaches only the CA of --ca ${folder} (${ca.configString}): give the --ca folder of the CA the profile names, or set the profile's certificationAuthority and certificationAuthorityName to that CA's.`,
    {
      details: {
        ...e.details,
        certificationAuthority: profile.certificationAuthority,
        certificationAuthorityName: profile.certificationAuthorityName,
        caFolder: folder,
        caConfigString: ca.configString,
      },
    },
  );
}

async function compileInto(
  o: ProfileCompileOptions,
  reserved: ReservedOutput,
  loaded: Pick<LoadedProfile, 'profile' | 'warnings'> & Pick<LoadedDevice, 'device' | 'facts'>,
): Promise<Omit<ProfileCompileResult, 'unusedSettings'>> {
  const { profile, warnings, device, facts } = loaded;
  const ids = seededIds(o.seed);
  let issued: IssuedIdentity | undefined;
  let request: SubmittedRequest | undefined;
  const lines: string[] = [];
  if (profile.kind === 'pkcs-certificate' && o.ca !== undefined) {
    const ca = EnterpriseCa.open(o.ca);
    reachableCa(ca, profile, o.ca);
    const r = await issueForDevice(ca, profile, facts, {
      requester: { identity: 'certfleet-connector', groups: [CONNECTOR_GROUP] },
      password: o.password ?? randomPassword(20, 'pfx-password'),
      now: o.now ?? new Date(),
    });
    if (!r.ok) throw outcomeError(r.outcome);
    issued = r.issued;
    request = r.request;
    const c = r.issued.certificate;
    lines.push(
      `  certificate  ${c.subjectText} from template ${request.template} (serial ${c.serialNumber}, SHA-1 ${c.sha1Thumbprint})`,
      `  SANs         ${c.subjectAltName.map((s) => `${s.type}:${s.value}`).join(', ') || 'none'}`,
      ...request.notes.map((n) => `  note         ${n}`),
    );
  }
  const scep = profile.kind === 'scep-certificate' ? scepEnrolmentOf(profile.displayName, o) : undefined;
  const compiled = compileProfile(profile, facts, {
    ids,
    ...(issued !== undefined && { issued }),
    ...(scep !== undefined && { scep }),
  });
  if (!compiled.ok) throw outcomeError(compiled.outcome);
  const { payload } = compiled;
  reserved.commit(payload.bytes);
  const summary = [
    `Wrote the ${payload.format} payload of "${profile.displayName}" for ${device.platform} device ${device.id} (${device.enrollmentKind}) to ${o.out} (${payload.bytes.length} bytes)`,
    ...lines,
    '',
  ].join('\n');
  return { summary, format: payload.format, warnings, ...(request !== undefined && { request }) };
}
