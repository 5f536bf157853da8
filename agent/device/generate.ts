/**
 * Seeded device generation: `generateDevice({seed, index})` gives the same device, byte for byte
 * (`JSON.stringify` equal), every time; another index gives another device.
 *
 * Each device draws from its own stream `seed/device/<index>`, split into independent sub-streams
 * (`platform`, `hardware`, `os`, `ids`, `user`), so device #i never depends on how many numbers device #i-1
 * took, and a new draw in one part does not shift the others. The tenant (domain, domain SID) comes from
 * `seed/tenant` and is shared by the whole fleet.
 */
import {
  ENROLLMENT_KINDS,
  PLATFORMS,
  isEnrollmentKindOf,
  isPlatform,
  type EnrollmentKind,
  type Platform,
} from '../../profiles/model/platform.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { createRandom, type Random, type Seed, type Weighted } from '../../protocol/runtime/random.ts';
import { absenceRule, type AvailabilityContext } from './availability.ts';
import { luhnCheckDigit, meidCheckDigit } from './check-digits.ts';
import { drawMeid } from './meid.ts';
import {
  ATTRIBUTE_NAMES,
  type AbsenceReason,
  type AttributeName,
  type Device,
  type DeviceHardware,
  type DeviceUser,
  type LockState,
  type Ownership,
  type Tenant,
} from './device.ts';
import { findModel, modelsOf, type HardwareModel } from './hardware-catalog.ts';
import { OS_RELEASES, drawRelease, type OsRelease } from './os-versions.ts';
import { drawTenant } from './tenant.ts';
import { drawUser } from './user.ts';
import { serialNumber, wifiMacAddress } from './vendors.ts';

/** Choices a caller can force instead of drawing them. Anything left out is drawn from the seed. */
export interface DeviceOverrides {
  /** A model id from hardware-catalog.ts, of the device's platform. */
  modelId?: string;
  /** Current OS version (`14`, `17.5.1`, `10.0.22631.4037`). */
  osVersion?: string;
  /** OS version at enrollment (defaults to a draw for Android, to `osVersion` elsewhere). */
  enrolledOsVersion?: string;
  supervised?: boolean;
  ownership?: Ownership;
  /** False makes a user-less device. */
  hasUser?: boolean;
  /** The user is synchronised from on-premises AD. */
  userSynced?: boolean;
  cellular?: boolean;
  tpm?: boolean;
  /** Windows: Windows Hello for Business provisioned (default true on Windows, false elsewhere). */
  windowsHello?: boolean;
  lockState?: LockState;
  /** Attribute values to force: a string sets the value, `null` makes it absent (`not-reported`). */
  attributes?: Partial<Record<AttributeName, string | null>>;
}

/** Options of {@link generateDevice}. */
export interface GenerateDeviceOptions {
  seed: Seed;
  /** Position in the fleet, a non-negative integer. */
  index: number;
  /** Drawn from the seed when left out. */
  platform?: Platform;
  /** Drawn from the seed when left out; must be a kind of the platform. */
  kind?: EnrollmentKind;
  /** Defaults to the seed's tenant (`seed/tenant`). */
  tenant?: Tenant;
  overrides?: DeviceOverrides;
}

const PLATFORM_WEIGHTS: readonly Weighted<Platform>[] = [
  ['windows', 40],
  ['ios', 25],
  ['android', 25],
  ['macos', 10],
];

const KIND_WEIGHTS: { readonly [P in Platform]: readonly Weighted<EnrollmentKind<P>>[] } = {
  windows: [
    ['entra-joined', 50],
    ['hybrid-joined', 35],
    ['workplace', 15],
  ],
  macos: [
    ['device', 85],
    ['user', 15],
  ],
  ios: [
    ['device', 70],
    ['user', 30],
  ],
  android: [
    ['work-profile-personal', 35],
    ['fully-managed', 25],
    ['work-profile-corporate', 15],
    ['dedicated', 15],
    ['device-admin', 10],
  ],
};

const IMSI_PREFIXES = ['310410', '310260', '311480', '234150', '262010'] as const;
const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/** The tenant every device of `seed` belongs to (unless the caller passes another). */
export function tenantOf(seed: Seed): Tenant {
  return drawTenant(createRandom(seed).fork('tenant'));
}

/**
 * Generate one device.
 *
 * @throws CertfleetError `USAGE` for a bad index, an unknown platform, a kind that is not a kind of the
 *   platform, or an override naming a model of another platform.
 * @example
 * const d = generateDevice({ seed: 'demo', index: 0, platform: 'android', kind: 'work-profile-personal' });
 * d.absent.imei; // 'android12-work-profile' when it enrolled on Android 12 or later
 */
export function generateDevice(options: GenerateDeviceOptions): Device {
  const { seed, index, overrides = {} } = options;
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new CertfleetError(
      'USAGE',
      `The device index must be a non-negative integer, not ${String(index)}.`,
    );
  }
  const root = createRandom(seed).fork(`device/${index}`);
  const tenant = options.tenant ?? tenantOf(seed);

  // --- platform, kind, ownership -------------------------------------------------------------------------
  const rp = root.fork('platform');
  const platform = choosePlatform(rp, options.platform, options.kind);
  const kind = chooseKind(rp, platform, options.kind);
  const ownership = overrides.ownership ?? drawOwnership(rp, platform, kind);
  const isApple = platform === 'macos' || platform === 'ios';
  const supervised =
    overrides.supervised ?? (isApple && kind === 'device' && ownership === 'corporate' && rp.chance(0.75));
  if (supervised && !(isApple && kind === 'device')) {
    throw new CertfleetError('USAGE', 'Only Apple devices in device enrollment can be supervised.');
  }
  const hasUser = overrides.hasUser ?? !(platform === 'android' && kind === 'dedicated');
  const userSynced = overrides.userSynced ?? (kind === 'hybrid-joined' || rp.chance(0.6));
  const lockState: LockState = overrides.lockState ?? (isApple && rp.chance(0.25) ? 'locked' : 'unlocked');

  // --- hardware ------------------------------------------------------------------------------------------
  const rh = root.fork('hardware');
  const model = chooseModel(rh, platform, overrides.modelId);
  const cellular =
    overrides.cellular ??
    (model.cellular === 'always'
      ? true
      : model.cellular === 'none'
        ? false
        : rh.chance(model.cellular.probability));
  const cdma = cellular && model.cdma;

  // --- OS ------------------------------------------------------------------------------------------------
  const ro = root.fork('os');
  const release = chooseRelease(ro, platform, model, overrides.osVersion);
  const osVersion = overrides.osVersion ?? release.version;
  const enrolledOsVersion =
    overrides.enrolledOsVersion ??
    (platform === 'android'
      ? String(ro.int(model.osMajors[0], Math.max(model.osMajors[0], release.major)))
      : osVersion);
  const tpm = overrides.tpm ?? (platform === 'windows' && (release.major >= 11 || ro.chance(0.85)));
  // Not drawn (no random stream consumed, so existing fleets stay the same): present on every PC unless the
  // scenario or the caller says otherwise (fleet mix `windowsHello`, inspect --windows-hello false).
  const windowsHello = platform === 'windows' && (overrides.windowsHello ?? true);
  const osEdition =
    platform === 'windows'
      ? ro.weighted<string>(
          ownership === 'personal'
            ? [
                ['Pro', 80],
                ['Enterprise', 20],
              ]
            : [
                ['Enterprise', 70],
                ['Pro', 30],
              ],
        )
      : undefined;

  // --- identifiers ---------------------------------------------------------------------------------------
  const ri = root.fork('ids');
  const intuneDeviceId = ri.uuid();
  const entraDeviceId = ri.uuid();
  const serial = serialNumber(ri, model.serialStyle);
  const wifiMac = wifiMacAddress(ri, model.manufacturer);
  let imei: string | undefined;
  let meid: string | undefined;
  let imsi: string | undefined;
  if (cellular) {
    const tac = model.tacs.length > 0 ? ri.pick(model.tacs) : `35${ri.chars(DIGITS, 6)}`;
    const body = tac + ri.chars(DIGITS, 6);
    imei = body + luhnCheckDigit(body);
    // A CDMA-capable phone has a hexadecimal MEID of its manufacturer (meid.ts, 3GPP2 S.R0048), drawn from
    // its own fork so that the other identifiers of a seed stay what they were.
    if (cdma) meid = drawMeid(root.fork('meid'), model.manufacturer).meid;
    imsi = ri.pick(IMSI_PREFIXES) + ri.chars(DIGITS, 9);
  }
  const udid = isApple ? drawUdid(ri, platform, model) : undefined;
  const user: DeviceUser | null = hasUser ? drawUser(root.fork('user'), tenant, userSynced) : null;
  const deviceName = drawDeviceName(ri, platform, model, user);
  const deviceSid = `${tenant.domainSid}-${ri.int(1_100, 250_000)}`;

  // --- attributes: candidates, then the availability rules ----------------------------------------------
  const candidates: Partial<Record<AttributeName, string>> = {
    userName: user?.userName,
    userPrincipalName: user?.userPrincipalName,
    emailAddress: user?.mail,
    entraDeviceId,
    intuneDeviceId,
    serialNumber: serial,
    imei,
    meid,
    wifiMacAddress: wifiMac,
    deviceName,
    fullyQualifiedDomainName: platform === 'windows' ? `${deviceName}.${tenant.adDomain}` : undefined,
    onPremisesDistinguishedName: user?.onPremises?.distinguishedName,
    onPremisesSamAccountName: user?.onPremises?.samAccountName,
    userSid: user?.onPremises?.sid,
    deviceSid: platform === 'windows' ? deviceSid : undefined,
    udid,
    department: user?.department,
  };
  const context: AvailabilityContext = {
    platform,
    enrollmentKind: kind,
    enrolledOsVersion,
    hasUser,
    userSynced: user?.synced ?? false,
    cellular,
    cdma,
    wifi: model.wifi,
  };
  const attributes: Partial<Record<AttributeName, string>> = {};
  const absent: Partial<Record<AttributeName, AbsenceReason>> = {};
  for (const name of ATTRIBUTE_NAMES) {
    const forced = overrides.attributes?.[name];
    const rule = absenceRule(context, name);
    const value = forced === undefined ? (rule === undefined ? candidates[name] : undefined) : forced;
    if (value === null || value === undefined || value === '') absent[name] = rule?.reason ?? 'not-reported';
    else attributes[name] = value;
  }

  const hardware: DeviceHardware = {
    modelId: model.id,
    productName: model.productName,
    formFactor: model.formFactor,
    wifi: model.wifi,
    cdma,
    ...(model.apple && {
      modelName: model.apple.modelName,
      modelNumber: ri.pick(model.apple.modelNumbers),
      appleSilicon: model.apple.appleSilicon,
    }),
    ...(model.android && { brand: model.android.brand, board: model.android.hardware }),
    ...(model.windows && { firmwareVersion: model.windows.firmware, ramMb: model.windows.ramMb }),
    ...(meid !== undefined && { meidCheckDigit: meidCheckDigit(meid) }),
    ...(imsi !== undefined && { imsi }),
  };

  return {
    id: intuneDeviceId,
    seed: String(seed),
    index,
    platform,
    enrollmentKind: kind,
    supervised,
    ownership,
    manufacturer: model.manufacturer,
    model: model.model,
    osVersion,
    osBuild: release.build,
    ...(osEdition !== undefined && { osEdition }),
    enrolledOsVersion,
    tpm,
    windowsHello,
    cellular,
    lockState,
    hardware,
    tenant,
    user,
    attributes,
    absent,
  };
}

function choosePlatform(
  random: Random,
  platform: Platform | undefined,
  kind: EnrollmentKind | undefined,
): Platform {
  if (platform !== undefined) {
    if (!isPlatform(platform)) {
      throw new CertfleetError(
        'USAGE',
        `Unknown platform "${String(platform)}": use one of ${PLATFORMS.join(', ')}.`,
      );
    }
    return platform;
  }
  if (kind === undefined) return random.weighted(PLATFORM_WEIGHTS);
  const fitting = PLATFORM_WEIGHTS.filter(([p]) => isEnrollmentKindOf(p, kind));
  if (fitting.length === 0) {
    throw new CertfleetError('USAGE', `Unknown enrollment kind "${String(kind)}".`);
  }
  return random.weighted(fitting);
}

function chooseKind(random: Random, platform: Platform, kind: EnrollmentKind | undefined): EnrollmentKind {
  if (kind === undefined) return random.weighted<EnrollmentKind>(KIND_WEIGHTS[platform]);
  if (!isEnrollmentKindOf(platform, kind)) {
    throw new CertfleetError(
      'USAGE',
      `"${String(kind)}" is not an enrollment kind of ${platform}: use one of ${ENROLLMENT_KINDS[platform].join(', ')}.`,
    );
  }
  return kind;
}

function drawOwnership(random: Random, platform: Platform, kind: EnrollmentKind): Ownership {
  switch (kind) {
    case 'workplace':
    case 'user':
    case 'work-profile-personal':
      return 'personal';
    case 'device-admin':
      return random.chance(0.5) ? 'personal' : 'corporate';
    case 'device':
      return random.chance(platform === 'ios' ? 0.9 : 0.95) ? 'corporate' : 'personal';
    default:
      return 'corporate';
  }
}

function chooseModel(random: Random, platform: Platform, modelId: string | undefined): HardwareModel {
  if (modelId !== undefined) {
    const model = findModel(modelId);
    if (model === undefined || model.platform !== platform) {
      throw new CertfleetError('USAGE', `"${modelId}" is not a ${platform} model certfleet knows.`, {
        details: { known: modelsOf(platform).map((m) => m.id) },
      });
    }
    return model;
  }
  return random.weighted(modelsOf(platform).map((m) => [m, m.weight] as const));
}

function chooseRelease(
  random: Random,
  platform: Platform,
  model: HardwareModel,
  osVersion: string | undefined,
): OsRelease {
  const releases = OS_RELEASES[platform];
  if (osVersion !== undefined) {
    const major = Number(/^(\d+)/.exec(osVersion)?.[1] ?? Number.NaN);
    if (Number.isNaN(major)) {
      throw new CertfleetError('USAGE', `The OS version "${osVersion}" does not start with a number.`);
    }
    const exact = releases.find((r) => r.version === osVersion);
    const windowsMajor = platform === 'windows' ? (osVersion.startsWith('10.0.19') ? 10 : 11) : major;
    const sameMajor = releases.find((r) => r.major === windowsMajor);
    return (
      exact ?? { major: windowsMajor, version: osVersion, build: sameMajor?.build ?? 'custom', weight: 0 }
    );
  }
  const release = drawRelease(random, releases, model.osMajors);
  if (release === undefined) {
    throw new CertfleetError(
      'INTERNAL',
      `No ${platform} release fits model ${model.id} (${model.osMajors.join('-')}).`,
    );
  }
  return release;
}

/**
 * Apple UDIDs: Macs report their hardware UUID (upper-case GUID form); iPhones and iPads from 2018 (A12 on)
 * report `<8-hex chip id>-<16-hex ECID>` (`00008030-001A2C3E0A38802E`); older ones a 40-hex SHA-1 form.
 */
function drawUdid(random: Random, platform: Platform, model: HardwareModel): string {
  if (platform === 'macos') return random.uuid().toUpperCase();
  const chipId = model.apple?.chipId;
  if (chipId === undefined) return Buffer.from(random.bytes(20)).toString('hex');
  return `0000${chipId}-00${random.chars('0123456789ABCDEF', 14)}`;
}

/**
 * Vendor-style device names: Windows OOBE's `DESKTOP-XXXXXXX` / `LAPTOP-XXXXXXXX` (15 characters, the NetBIOS
 * limit); Apple "<Given>’s <ModelName>" (typographic apostrophe, as Apple writes it) or just the model name
 * without a user; Android the model code (`SM-S911B`, `Pixel 8`).
 */
function drawDeviceName(
  random: Random,
  platform: Platform,
  model: HardwareModel,
  user: DeviceUser | null,
): string {
  switch (platform) {
    case 'windows':
      return model.formFactor !== 'desktop' && random.chance(0.5)
        ? `LAPTOP-${random.chars(UPPER_ALNUM, 8)}`
        : `DESKTOP-${random.chars(UPPER_ALNUM, 7)}`;
    case 'macos':
    case 'ios': {
      const modelName = model.apple?.modelName ?? model.model;
      const given = user?.displayName.split(' ')[0];
      return given === undefined ? modelName : `${given}\u2019s ${modelName}`;
    }
    case 'android':
      return model.model;
  }
}
