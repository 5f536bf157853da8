/**
 * Scenario reading for imported PKCS (issue 14 point 3; profiles/model/imported-pkcs.ts):
 *
 * - the settings of an inline `type: pkcs-imported` profile — `purpose` (→ `intendedPurpose`, required),
 *   `renewalThreshold`, `keyStorageProvider` (Windows), `deploymentChannel` (macOS), `certificateAccess`
 *   (Android fully managed);
 * - the top-level `importedPfx:` list: which users the run imports a PFX for before the devices enrol, as
 *   `certfleet pfx import` would — `{purpose, where}`: the users of the devices `where` selects (a group as in
 *   assignments, default every device with a user), one PFX per user and purpose, made by the run's CA
 *   (simulator/fleet/compose/imported-pfx.ts).
 */
import { KEY_STORAGE_PROVIDER } from '../../profiles/model/enums.ts';
import { INTENDED_PURPOSES, type IntendedPurpose } from '../../profiles/model/imported-pkcs.ts';
import { child, type At, type Checker } from './checker.ts';
import { readCertificateAccess } from './read-certificate-access.ts';
import { readSelector } from './selectors.ts';
import type { DeviceSelector } from './types.ts';
import type { MapNode } from './yaml-tree.ts';

/** The scenario keys of an inline imported-PKCS profile (besides name, type, description, platforms, assign). */
export const IMPORTED_PROFILE_KEYS = [
  'purpose',
  'renewalThreshold',
  'keyStorageProvider',
  'deploymentChannel',
  'certificateAccess',
] as const;

/** The model settings of an inline imported-PKCS profile; what was read, also when some keys have problems. */
export function readImportedSettings(c: Checker, map: At<MapNode>): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  const purposeAt = c.get(map, 'purpose');
  if (purposeAt === undefined)
    c.add(
      map.node.pos,
      child(map.path, 'purpose'),
      `is required: the intended purpose of the users' imported PFX to deliver (${INTENDED_PURPOSES.join(', ')})`,
    );
  else s['intendedPurpose'] = c.oneOf(purposeAt, INTENDED_PURPOSES, 'intended purpose');
  const thresholdAt = c.get(map, 'renewalThreshold');
  if (thresholdAt !== undefined) {
    const v = c.scalar(thresholdAt, 'a percentage from 1 to 99');
    s['renewalThresholdPercentage'] =
      typeof v === 'string' && /^\d+\s*%$/.test(v) ? Number.parseInt(v, 10) : v;
  }
  const kspAt = c.get(map, 'keyStorageProvider');
  if (kspAt !== undefined)
    s['keyStorageProvider'] = c.oneOf(kspAt, Object.keys(KEY_STORAGE_PROVIDER), 'key storage provider');
  const channelAt = c.get(map, 'deploymentChannel');
  if (channelAt !== undefined)
    s['deploymentChannel'] = c.oneOf(channelAt, ['deviceChannel', 'userChannel'], 'deployment channel');
  const accessAt = c.get(map, 'certificateAccess');
  if (accessAt !== undefined) s['certificateAccess'] = readCertificateAccess(c, accessAt);
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}

/** One `importedPfx:` entry. */
export interface ImportedPfxSpec {
  purpose: IntendedPurpose;
  /** The devices whose users get an import; every device with a user when absent. */
  where: DeviceSelector;
  /** Line in the scenario file, for messages. */
  line: number;
}

/** Reads `importedPfx:`; undefined when anything is wrong (all recorded). */
export function readImportedPfx(c: Checker, at: At | undefined): ImportedPfxSpec[] | undefined {
  if (at === undefined) return [];
  const before = c.problems.length;
  const out: ImportedPfxSpec[] = [];
  for (const item of c.list(at) ?? []) {
    const map = c.map(item, 'a map {purpose, where}');
    if (map === undefined) continue;
    c.keys(map, ['purpose', 'where'], ['purpose']);
    const purposeAt = c.get(map, 'purpose');
    const purpose = purposeAt && c.oneOf(purposeAt, INTENDED_PURPOSES, 'intended purpose');
    const whereAt = c.get(map, 'where');
    const where = whereAt === undefined ? {} : readSelector(c, whereAt);
    if (purpose !== undefined && where !== undefined)
      out.push({ purpose: purpose as IntendedPurpose, where, line: map.node.pos.line });
  }
  return c.problems.length > before ? undefined : out;
}
