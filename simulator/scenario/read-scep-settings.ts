/**
 * The scenario keys of an inline `type: scep` profile (scenarios/README.md "SCEP profiles") beyond those it
 * shares with PKCS (subject, san, certificateType, renewalThreshold, validity, keyStorageProvider,
 * extendedKeyUsages, certificateAccess, allowAllAppsAccess): `keySize` (bits → Graph `keySize`),
 * `keyUsage`, `hashAlgorithm`. A SCEP profile names no CA, template nor server: the run's own SCEP server,
 * backed by the scenario's CA, is the one the devices enrol with, so `scepServerUrls` holds
 * {@link SCEP_SERVER_PLACEHOLDER} until the run binds its URL.
 */
import { HASH_ALGORITHMS, KEY_USAGES } from '../../profiles/model/enums.ts';
import type { ProfileFamily } from '../../profiles/model/platform.ts';
import type { KeySize } from '../../profiles/model/enums.ts';
import { KEY_SIZE_BITS, unsimulatedKeySizeRule } from '../../profiles/model/scep-profile.ts';
import { child, type At, type Checker } from './checker.ts';
import type { MapNode } from './yaml-tree.ts';

/** The keys a `type: scep` profile takes besides name, type, description, platforms and assign. */
export const SCEP_KEYS = [
  'certificateType',
  'subject',
  'san',
  'renewalThreshold',
  'validity',
  'keyStorageProvider',
  'keySize',
  'keyUsage',
  'hashAlgorithm',
  'extendedKeyUsages',
  'certificateAccess',
  'allowAllAppsAccess',
] as const;

/** The SCEP server URL a scenario profile carries until the run puts its in-run server's URL in (RFC 6761 `.invalid`). */
export const SCEP_SERVER_PLACEHOLDER = 'http://scep.certfleet.invalid/certsrv/mscep/mscep.dll';

const KEY_SIZE_OF_BITS: Record<string, string> = {
  '1024': 'size1024',
  '2048': 'size2048',
  '4096': 'size4096',
};

type Rec = Record<string, unknown>;

/**
 * The families whose devices enrol over SCEP in a run (agent/platforms/apple/scep-payload.ts,
 * agent/platforms/windows/scep-apply.ts, agent/platforms/android/scep-policy.ts for Android Enterprise): every
 * family a SCEP profile has (Android device administrator SCEP is not modelled: the profile model refuses it).
 */
export const SCEP_DELIVERED_FAMILIES: readonly ProfileFamily[] = [
  'macos',
  'ios',
  'windows',
  'android-work-profile',
  'android-device-owner',
];

/**
 * The model settings of an inline SCEP profile: `shared` (what readNameSettings read) plus the SCEP keys.
 * A profile listing a family whose device side does not enrol over SCEP yet (see
 * {@link SCEP_DELIVERED_FAMILIES}) is refused at its `type` key with a message that names them — after every
 * other problem of it has been listed.
 */
export function readScepSettings(
  c: Checker,
  map: At<MapNode>,
  shared: Rec,
  families: readonly ProfileFamily[],
): Rec {
  const s: Rec = { ...shared, scepServerUrls: [SCEP_SERVER_PLACEHOLDER] };
  const sizeAt = c.get(map, 'keySize');
  if (sizeAt !== undefined) {
    const bits = c.number(sizeAt, 1024, 4096, true);
    if (bits !== undefined && KEY_SIZE_OF_BITS[String(bits)] === undefined)
      c.add(sizeAt.node.pos, sizeAt.path, `must be one of ${Object.keys(KEY_SIZE_OF_BITS).join(', ')}`);
    else if (bits !== undefined) {
      // Intune offers 1024 (Graph keySize size1024), but the simulated devices make only the RSA sizes pki/keys.ts
      // supports (2048+): refused here, with the reason, rather than failing KEY_UNSUPPORTED on every device
      const size = KEY_SIZE_OF_BITS[String(bits)] as KeySize;
      const why = unsimulatedKeySizeRule(size, (k) => String(KEY_SIZE_BITS[k]));
      if (why !== undefined) c.add(sizeAt.node.pos, sizeAt.path, why);
      else s['keySize'] = size;
    }
  }
  for (const [key, table] of [
    ['keyUsage', KEY_USAGES],
    ['hashAlgorithm', HASH_ALGORITHMS],
  ] as const) {
    const at = c.get(map, key);
    if (at === undefined) continue;
    const items = (c.list(at, true) ?? []).map((i) => c.oneOf(i, Object.keys(table), key));
    if (items.length > 0 && items.every((x) => x !== undefined)) s[key] = items;
  }
  const unwired = families.filter((f) => !SCEP_DELIVERED_FAMILIES.includes(f));
  if (unwired.length > 0) {
    const typeAt = c.get(map, 'type');
    c.add(
      typeAt?.node.pos ?? map.node.pos,
      typeAt?.path ?? child(map.path, 'type'),
      `SCEP profiles are delivered in runs to ${SCEP_DELIVERED_FAMILIES.join(', ')} devices only so far; the ${unwired.join(', ')} device side does not enrol over SCEP yet: list only ${SCEP_DELIVERED_FAMILIES.join(', ')} in platforms, or use type: pkcs for the others`,
    );
  }
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
}
