import { describe, expect, it } from 'vitest';
import { isValidImei, luhnCheckDigit, meidCheckDigit } from '../../../agent/device/check-digits.ts';
import { meidPrefixesOf } from '../../../agent/device/meid.ts';
import { ATTRIBUTE_NAMES, type Device } from '../../../agent/device/device.ts';
import { generateDevice, tenantOf } from '../../../agent/device/generate.ts';
import { HARDWARE_MODELS, findModel } from '../../../agent/device/hardware-catalog.ts';
import { MANUFACTURER_OUIS, SERIAL_PATTERNS } from '../../../agent/device/vendors.ts';
import {
  ENROLLMENT_KINDS,
  PLATFORMS,
  type EnrollmentKind,
  type Platform,
} from '../../../profiles/model/platform.ts';

const PLATFORM_KINDS: [Platform, EnrollmentKind][] = PLATFORMS.flatMap((p) =>
  ENROLLMENT_KINDS[p].map((k): [Platform, EnrollmentKind] => [p, k]),
);

/** Many devices of one platform/kind, over several seeds. */
function fleet(platform: Platform, kind: EnrollmentKind, n = 60): Device[] {
  return Array.from({ length: n }, (_, i) =>
    generateDevice({ seed: `seed-${i % 5}`, index: i, platform, kind }),
  );
}

describe('determinism', () => {
  it.each([
    [0, 0],
    ['alpha', 7],
    [12345, 999],
  ])('seed %j index %i gives the same device, byte for byte', (seed, index) => {
    expect(JSON.stringify(generateDevice({ seed, index }))).toBe(
      JSON.stringify(generateDevice({ seed, index })),
    );
  });

  it.each(PLATFORMS)('%s: another index gives another device', (platform) => {
    const a = generateDevice({ seed: 's', index: 1, platform });
    const b = generateDevice({ seed: 's', index: 2, platform });
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(a.attributes.intuneDeviceId).not.toBe(b.attributes.intuneDeviceId);
  });

  it('device #i does not depend on other devices having been generated', () => {
    const alone = JSON.stringify(generateDevice({ seed: 'solo', index: 5 }));
    for (let i = 0; i < 5; i++) generateDevice({ seed: 'solo', index: i });
    expect(JSON.stringify(generateDevice({ seed: 'solo', index: 5 }))).toBe(alone);
  });

  it('all devices of one seed share the tenant (domain and domain SID)', () => {
    const tenant = tenantOf('t');
    for (let i = 0; i < 10; i++) expect(generateDevice({ seed: 't', index: i }).tenant).toEqual(tenant);
    expect(tenantOf('u')).not.toEqual(tenant);
  });

  it('draws every platform and kind from the seed when not given', () => {
    const devices = Array.from({ length: 400 }, (_, i) => generateDevice({ seed: 'mix', index: i }));
    expect(new Set(devices.map((d) => d.platform))).toEqual(new Set(PLATFORMS));
    expect(new Set(devices.map((d) => `${d.platform}/${d.enrollmentKind}`)).size).toBe(PLATFORM_KINDS.length);
  });
});

describe('regression issue 4: CDMA phones have hexadecimal MEIDs', () => {
  it('a fleet of phones includes MEIDs, each with a valid base-16 check digit', () => {
    const phones = [...fleet('ios', 'device', 200), ...fleet('android', 'fully-managed', 200)];
    const meids = phones.flatMap((d) => (d.attributes.meid === undefined ? [] : [d]));
    expect(meids.length).toBeGreaterThan(0);
    for (const d of meids) expect(luhnCheckDigit(d.attributes.meid!, 16)).toBe(d.hardware.meidCheckDigit);
  });
});

describe.each(PLATFORM_KINDS)('%s / %s', (platform, kind) => {
  const devices = fleet(platform, kind);

  it('has the requested platform and kind, and a model of that platform', () => {
    for (const d of devices) {
      expect(d.platform).toBe(platform);
      expect(d.enrollmentKind).toBe(kind);
      expect(findModel(d.hardware.modelId)?.platform).toBe(platform);
    }
  });

  it('accounts for every attribute exactly once (a value or an absence reason)', () => {
    for (const d of devices) {
      for (const name of ATTRIBUTE_NAMES) {
        const has = d.attributes[name] !== undefined;
        const why = d.absent[name] !== undefined;
        expect(has !== why, `${name} on ${d.hardware.modelId}`).toBe(true);
        if (has) expect(d.attributes[name]).not.toBe('');
      }
    }
  });

  it('IMEIs are 15 digits with a valid Luhn check digit and a catalogue TAC', () => {
    for (const d of devices) {
      const imei = d.attributes.imei;
      if (imei === undefined) continue;
      expect(isValidImei(imei)).toBe(true);
      const tacs = findModel(d.hardware.modelId)?.tacs ?? [];
      if (tacs.length > 0) expect(tacs).toContain(imei.slice(0, 8));
    }
  });

  it('regression issue 4: MEIDs are 14 hex digits (RR A0–FF), only on CDMA phones, with a valid check digit', () => {
    for (const d of devices) {
      const meid = d.attributes.meid;
      if (meid === undefined) continue;
      // 3GPP2 S.R0048: RR XXXXXX ZZZZZZ, a globally administered regional code A0–FF (hexadecimal MEID).
      expect(meid).toMatch(/^[A-F][0-9A-F]{13}$/);
      expect(Number.parseInt(meid.slice(0, 2), 16)).toBeGreaterThanOrEqual(0xa0);
      expect(d.hardware.cdma).toBe(true);
      // The check digit is Luhn in base 16 (S.R0048 Annex A): the 15 hex digits sum to 0 mod 16.
      const check = d.hardware.meidCheckDigit;
      expect(check).toMatch(/^[0-9A-F]$/);
      expect(check).toBe(meidCheckDigit(meid));
      expect(luhnCheckDigit(meid, 16)).toBe(check);
      // The manufacturer code is one of the manufacturer's.
      expect(meidPrefixesOf(d.manufacturer)).toContain(meid.slice(0, 8));
      // Not derived from the IMEI any more.
      expect(d.attributes.imei?.slice(0, 14)).not.toBe(meid);
    }
  });

  it('regression issue 4: the MEID is part of the seeded device (same seed and index → same MEID)', () => {
    expect(fleet(platform, kind).map((d) => [d.attributes.meid, d.hardware.meidCheckDigit])).toEqual(
      devices.map((d) => [d.attributes.meid, d.hardware.meidCheckDigit]),
    );
  });

  it("Wi-Fi MACs carry one of the manufacturer's OUIs, universally administered and unicast", () => {
    for (const d of devices) {
      const mac = d.attributes.wifiMacAddress;
      if (mac === undefined) continue;
      expect(mac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
      expect(MANUFACTURER_OUIS[d.manufacturer] as readonly string[]).toContain(
        mac.replace(/:/g, '').slice(0, 6),
      );
      const first = Number.parseInt(mac.slice(0, 2), 16);
      expect(first & 0x02).toBe(0);
      expect(first & 0x01).toBe(0);
    }
  });

  it("serial numbers follow the vendor's pattern", () => {
    for (const d of devices) {
      const serial = d.attributes.serialNumber;
      if (serial === undefined) continue;
      const style = findModel(d.hardware.modelId)!.serialStyle;
      expect(serial).toMatch(SERIAL_PATTERNS[style]);
    }
  });

  it('Entra and Intune device IDs are GUIDs', () => {
    for (const d of devices) {
      expect(d.attributes.entraDeviceId).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
      expect(d.attributes.intuneDeviceId).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
    }
  });
});

describe('formats per platform', () => {
  it.each([
    ['windows', /^10\.0\.(19045|22631|26100)\.\d+$/],
    ['macos', /^1[3-5](\.\d+){1,2}$/],
    ['ios', /^1[6-8](\.\d+){1,2}$/],
    ['android', /^(1[0-5])$/],
  ] as const)('%s OS versions look like %s and fit the model', (platform, pattern) => {
    for (let i = 0; i < 60; i++) {
      const d = generateDevice({ seed: 'os', index: i, platform });
      expect(d.osVersion).toMatch(pattern);
      const [min, max] = findModel(d.hardware.modelId)!.osMajors;
      const major =
        platform === 'windows'
          ? d.osVersion.startsWith('10.0.19')
            ? 10
            : 11
          : Number.parseInt(d.osVersion, 10);
      expect(major).toBeGreaterThanOrEqual(min);
      expect(major).toBeLessThanOrEqual(max);
      if (platform === 'android') {
        expect(Number(d.enrolledOsVersion)).toBeLessThanOrEqual(major);
        expect(Number(d.enrolledOsVersion)).toBeGreaterThanOrEqual(min);
      } else {
        expect(d.enrolledOsVersion).toBe(d.osVersion);
      }
    }
  });

  it.each([
    ['windows', /^(DESKTOP-[0-9A-Z]{7}|LAPTOP-[0-9A-Z]{8})$/],
    ['macos', /^[A-Z][a-z]+\u2019s (MacBook Air|MacBook Pro|iMac|Mac mini)$/],
    ['ios', /^([A-Z][a-z]+\u2019s )?(iPhone|iPad)$/],
    ['android', /^(SM-[A-Z]\d{3}[A-Z]?|Pixel \d+a?|moto .+|TC5\d|ET40)$/],
  ] as const)('%s device names look like %s', (platform, pattern) => {
    for (let i = 0; i < 40; i++)
      expect(generateDevice({ seed: 'names', index: i, platform }).attributes.deviceName).toMatch(pattern);
  });

  it.each([
    ['apple-iphone-15-pro', /^00008130-00[0-9A-F]{14}$/],
    ['apple-iphone-8', /^[0-9a-f]{40}$/],
    ['apple-macbook-air-m2', /^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$/],
  ])('UDID of %s looks like %s', (modelId, pattern) => {
    const platform = findModel(modelId)!.platform;
    const d = generateDevice({ seed: 'udid', index: 1, platform, kind: 'device', overrides: { modelId } });
    expect(d.attributes.udid).toMatch(pattern);
  });

  it('hybrid-joined Windows: FQDN is the device name in the AD domain; SIDs share the domain SID', () => {
    const d = generateDevice({ seed: 'h', index: 0, platform: 'windows', kind: 'hybrid-joined' });
    expect(d.attributes.fullyQualifiedDomainName).toBe(`${d.attributes.deviceName}.${d.tenant.adDomain}`);
    expect(d.attributes.userSid).toMatch(new RegExp(`^${d.tenant.domainSid}-\\d+$`));
    expect(d.attributes.deviceSid).toMatch(new RegExp(`^${d.tenant.domainSid}-\\d+$`));
    expect(d.tenant.domainSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    expect(d.attributes.onPremisesDistinguishedName).toMatch(/^CN=[^,]+,OU=.+,DC=corp,DC=/);
    expect(d.attributes.onPremisesSamAccountName!.length).toBeLessThanOrEqual(20);
  });

  it('Windows 11 devices always have a TPM; non-Windows devices never report one', () => {
    for (let i = 0; i < 60; i++) {
      const d = generateDevice({ seed: 'tpm', index: i });
      if (d.platform !== 'windows') expect(d.tpm).toBe(false);
      else if (!d.osVersion.startsWith('10.0.19')) expect(d.tpm).toBe(true);
    }
  });

  it('only Apple device enrollment is ever supervised, and only Apple devices are ever locked', () => {
    for (let i = 0; i < 200; i++) {
      const d = generateDevice({ seed: 'sup', index: i });
      const apple = d.platform === 'macos' || d.platform === 'ios';
      if (d.supervised) expect([apple, d.enrollmentKind]).toEqual([true, 'device']);
      if (!apple) expect(d.lockState).toBe('unlocked');
    }
  });

  it('the catalogue has models for every platform and every OS major the brief names', () => {
    const span = (p: Platform): number[] =>
      HARDWARE_MODELS.filter((m) => m.platform === p).flatMap((m) =>
        Array.from({ length: m.osMajors[1] - m.osMajors[0] + 1 }, (_, i) => m.osMajors[0] + i),
      );
    expect(new Set(span('android'))).toEqual(new Set([10, 11, 12, 13, 14, 15]));
    expect(new Set(span('ios'))).toEqual(new Set([16, 17, 18]));
    expect(new Set(span('macos'))).toEqual(new Set([13, 14, 15]));
    expect(new Set(span('windows'))).toEqual(new Set([10, 11]));
  });
});

describe('bad options are USAGE errors', () => {
  it.each([
    ['negative index', { seed: 1, index: -1 }],
    ['fractional index', { seed: 1, index: 1.5 }],
    ['unknown platform', { seed: 1, index: 0, platform: 'beos' as Platform }],
    [
      'kind of another platform',
      { seed: 1, index: 0, platform: 'windows' as Platform, kind: 'dedicated' as EnrollmentKind },
    ],
    ['unknown kind', { seed: 1, index: 0, kind: 'jailbroken' as EnrollmentKind }],
    [
      'model of another platform',
      { seed: 1, index: 0, platform: 'ios' as Platform, overrides: { modelId: 'dell-latitude-7440' } },
    ],
    [
      'non-numeric OS version',
      { seed: 1, index: 0, platform: 'android' as Platform, overrides: { osVersion: 'Tiramisu' } },
    ],
    [
      'supervised Android',
      { seed: 1, index: 0, platform: 'android' as Platform, overrides: { supervised: true } },
    ],
  ])('%s', (_name, options) => {
    expect(() => generateDevice(options)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('a kind alone picks a platform that has it', () => {
    expect(generateDevice({ seed: 1, index: 0, kind: 'dedicated' }).platform).toBe('android');
    expect(['macos', 'ios']).toContain(generateDevice({ seed: 1, index: 0, kind: 'user' }).platform);
  });
});
