/**
 * The `actions:` section: what the administrator does during the run, at virtual times from the start —
 * retire devices (Intune "Retire": the service revokes the device's PKCS, SCEP and management certificates and
 * removes its profiles) or remove a profile's assignment (the service revokes that profile's PKCS and SCEP
 * certificates and removes it from every device). Each revocation updates the CRL (crl.der in the run folder).
 *
 * ```yaml
 * actions:
 *   - { at: 10d, retire: { platform: ios, count: 3 } }   # a group as in assignments, count: default all
 *   - { at: 20d, removeProfile: Wi-Fi }
 * ```
 */
import type { At, Checker } from './checker.ts';
import { readSelector, unknownProfile } from './selectors.ts';
import type { ScenarioAction } from './types.ts';
import type { MapNode } from './yaml-tree.ts';

const ACTION_KEYS = [
  'at',
  'retire',
  'removeProfile',
  'caRequests',
  'renewIssuingCa',
  'uploadIssuingCa',
] as const;

/**
 * Reads `actions:` (default: none); `durationMs` bounds `at`, `profileNames` the removable profiles,
 * `issuingProfiles` (when the profiles read) the trusted profiles an `uploadIssuingCa` may name.
 */
export function readActions(
  c: Checker,
  at: At | undefined,
  durationMs: number | undefined,
  profileNames: readonly string[],
  issuingProfiles?: readonly string[],
): ScenarioAction[] | undefined {
  if (at === undefined) return [];
  const items = c.list(at);
  if (items === undefined) return undefined;
  const before = c.problems.length;
  const out: ScenarioAction[] = [];
  for (const item of items) {
    const map = c.map(
      item,
      'a map {at: 10d, retire: {platform: ios, count: 3}} or {at: 20d, removeProfile: Wi-Fi}',
    );
    if (map === undefined) continue;
    c.keys(map, ACTION_KEYS, ['at']);
    const atAt = c.get(map, 'at');
    const atMs = c.duration(atAt);
    if (atAt !== undefined && atMs !== undefined && durationMs !== undefined && atMs > durationMs) {
      c.add(
        atAt.node.pos,
        atAt.path,
        `is after the end of the run (duration is ${durationMs / 86_400_000}d)`,
      );
    }
    const retireAt = c.get(map, 'retire');
    const removeAt = c.get(map, 'removeProfile');
    const caAt = c.get(map, 'caRequests');
    const renewAt = c.get(map, 'renewIssuingCa');
    const uploadAt = c.get(map, 'uploadIssuingCa');
    const line = map.node.pos.line;
    if ([retireAt, removeAt, caAt, renewAt, uploadAt].filter((x) => x !== undefined).length !== 1) {
      c.add(
        map.node.pos,
        map.path,
        'needs exactly one of retire, removeProfile, caRequests, renewIssuingCa or uploadIssuingCa',
      );
      continue;
    }
    if (uploadAt !== undefined) {
      const name = c.string(uploadAt, true);
      if (name === undefined) continue;
      if (!profileNames.includes(name)) {
        unknownProfile(c, uploadAt, name, profileNames);
        continue;
      }
      if (issuingProfiles !== undefined && !issuingProfiles.includes(name)) {
        c.add(
          uploadAt.node.pos,
          uploadAt.path,
          `"${name}" is not a trusted-certificate profile with certificate: issuing; the action uploads the CA's current issuing certificate into such a profile` +
            (issuingProfiles.length > 0 ? ` (${issuingProfiles.join(', ')})` : ' (the scenario has none)'),
        );
        continue;
      }
      if (atMs !== undefined) out.push({ type: 'upload-issuing-ca', atMs, line, profile: name });
      continue;
    }
    if (renewAt !== undefined) {
      const yes = c.boolean(renewAt);
      if (yes === false) c.add(renewAt.node.pos, renewAt.path, 'must be true (or leave the action out)');
      else if (yes === true && atMs !== undefined) out.push({ type: 'renew-issuing-ca', atMs, line });
      continue;
    }
    if (caAt !== undefined) {
      const decision = c.oneOf(caAt, ['issue', 'deny'] as const, 'decision on the held requests');
      if (decision !== undefined && atMs !== undefined)
        out.push({ type: 'ca-requests', atMs, line, decision });
      continue;
    }
    if (retireAt !== undefined) {
      const r = readRetire(c, retireAt);
      if (r !== undefined && atMs !== undefined) out.push({ type: 'retire', atMs, line, ...r });
      continue;
    }
    const name = c.string(removeAt, true);
    if (name === undefined || removeAt === undefined) continue;
    if (!profileNames.includes(name)) {
      unknownProfile(c, removeAt, name, profileNames);
      continue;
    }
    if (atMs !== undefined) out.push({ type: 'remove-profile', atMs, line, profile: name });
  }
  return c.problems.length > before ? undefined : out.sort((a, b) => a.atMs - b.atMs);
}

/** `retire: {platform, kind, ownership, tags, count}` or `retire: all`. */
function readRetire(
  c: Checker,
  at: At,
): Omit<Extract<ScenarioAction, { type: 'retire' }>, 'type' | 'atMs' | 'line'> | undefined {
  if (at.node.type === 'scalar' && at.node.value === 'all') return { where: {} };
  const map = c.map(at, 'a group {platform, kind, ownership, tags} with an optional count, or all');
  if (map === undefined) return undefined;
  const countAt = c.get(map, 'count');
  const count = countAt === undefined ? undefined : c.number(countAt, 1, 1_000_000, true);
  if (countAt !== undefined && count === undefined) return undefined;
  // the group itself, without count (readSelector reports any other unknown key)
  const group: At<MapNode> = {
    node: { ...map.node, entries: map.node.entries.filter((e) => e.key !== 'count') },
    path: map.path,
  };
  const where = readSelector(c, group);
  if (where === undefined) return undefined;
  return { where, ...(count !== undefined && { count }) };
}
