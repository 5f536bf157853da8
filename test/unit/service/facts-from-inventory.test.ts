import { describe, expect, it } from 'vitest';
import { toDeviceFacts } from '../../../agent/device/facts.ts';
import { generateDevice } from '../../../agent/device/generate.ts';
import { inventoryOf } from '../../../agent/device/inventory.ts';
import type { Device } from '../../../agent/device/device.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { ENROLLMENT_KINDS, PLATFORMS, type EnrollmentKind } from '../../../profiles/model/platform.ts';
import { VARIABLES } from '../../../profiles/variables/catalogue.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import { resolveTemplate } from '../../../profiles/variables/resolve-template.ts';
import { directoryEntryOf } from '../../../simulator/fleet/directory-entry.ts';
import { factsFromInventory } from '../../../simulator/service/mdm/facts-from-inventory.ts';

/** Every documented variable, in the place it may be used, for both certificate types. */
function resolveAll(facts: DeviceFacts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of Object.values(VARIABLES)) {
    const restrictions = spec.restrictions as readonly string[];
    const target = restrictions.includes('uri-san-only') ? 'san:uri' : 'subject';
    const template = target === 'subject' ? `CN={{${spec.name}}}` : `{{${spec.name}}}`;
    for (const certificateType of ['user', 'device'] as const) {
      out[`${spec.name}/${certificateType}`] = resolveTemplate(template, facts, { certificateType, target });
    }
  }
  return out;
}

function serviceFacts(d: Device): DeviceFacts {
  const wire = JSON.parse(JSON.stringify(inventoryOf(d))) as unknown; // as it travels in the EnrollRequest
  return factsFromInventory(d.platform, d.enrollmentKind, wire, directoryEntryOf(d), d.id);
}

const seeded: Device[] = [];
for (let i = 0; i < 300; i++) seeded.push(generateDevice({ seed: 'facts-agreement', index: i }));
const everyKind: Device[] = PLATFORMS.flatMap((platform) =>
  (ENROLLMENT_KINDS[platform] as readonly EnrollmentKind[]).flatMap((kind) =>
    [0, 1, 2, 3, 4, 5].map((i) =>
      generateDevice({ seed: `kind-${platform}-${kind}`, index: i, platform, kind }),
    ),
  ),
);

describe('factsFromInventory(inventoryOf(d), directory) resolves every variable as toDeviceFacts(d)', () => {
  it.each([
    ['300 seeded devices', seeded],
    ['every platform × enrollment kind', everyKind],
  ])('%s', (_label, devices) => {
    for (const d of devices) {
      expect(resolveAll(serviceFacts(d)), `${d.platform}/${d.enrollmentKind} #${d.index}`).toEqual(
        resolveAll(toDeviceFacts(d)),
      );
    }
  });

  it('agrees on the attribute values themselves (absent reasons may differ only where restrictions decide)', () => {
    for (const d of [...seeded, ...everyKind]) {
      const s = serviceFacts(d);
      expect(s.attributes, `${d.platform}/${d.enrollmentKind} #${d.index}`).toEqual(
        toDeviceFacts(d).attributes,
      );
      expect(s.hasUser).toBe(d.user !== null);
      expect(s.osVersion).toBe(d.osVersion);
    }
  });
});

describe('absences the inventory explains', () => {
  it.each([
    ['android', 'work-profile-personal', '13', 'serialNumber', 'android12-work-profile'],
    ['macos', 'device', undefined, 'imei', 'not-on-platform'],
    ['windows', 'entra-joined', undefined, 'fullyQualifiedDomainName', 'not-domain-joined'],
    ['windows', 'workplace', undefined, 'deviceSid', 'not-hybrid-joined'],
    ['android', 'dedicated', undefined, 'userPrincipalName', 'user-less'],
    ['ios', 'device', undefined, 'fullyQualifiedDomainName', 'not-on-platform'],
  ] as const)('%s %s (OS %s): %s is absent because %s', (platform, kind, os, attribute, reason) => {
    const d = generateDevice({
      seed: 'absences',
      index: 1,
      platform,
      kind,
      ...(os !== undefined && { overrides: { osVersion: os, enrolledOsVersion: os } }),
    });
    const facts = serviceFacts(d);
    expect(facts.attributes[attribute]).toBeUndefined();
    expect(facts.absent[attribute]).toBe(reason);
  });

  it('a cloud-only user has no on-premises attributes (not-synced)', () => {
    const d = [...seeded, ...everyKind].find((x) => x.user !== null && !x.user.synced)!;
    expect(serviceFacts(d).absent.onPremisesSamAccountName).toBe('not-synced');
  });

  it.each([
    ['not an object', 'windows', 42],
    ['another platform shape', 'windows', { shape: 'android-device', device: {} }],
    [
      'Android report without hardwareInfo',
      'android',
      { shape: 'android-device', device: { networkInfo: {} } },
    ],
  ] as const)('an inventory that is %s is refused with USAGE', (_label, platform, inventory) => {
    let error: unknown;
    try {
      factsFromInventory(
        platform,
        platform === 'windows' ? 'entra-joined' : 'fully-managed',
        inventory,
        undefined,
      );
    } catch (e) {
      error = e;
    }
    expect(isCertfleetError(error, 'USAGE')).toBe(true);
  });
});
