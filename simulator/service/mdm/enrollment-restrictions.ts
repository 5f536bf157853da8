/**
 * Enrollment restrictions, as Intune has them (admin center › Devices › Enrollment restrictions): a device
 * platform restriction (platform allowed or blocked, personally-owned devices allowed or blocked, minimum OS
 * version per platform) and a device limit restriction (how many devices one user may enrol, 1–15, default 5
 * in Intune). Each failure has its own code: ENROLL_PLATFORM_BLOCKED, ENROLL_OS_TOO_OLD, ENROLL_DEVICE_LIMIT.
 * Checked in that order, as the service evaluates the platform restriction before counting devices.
 */
import type { ErrorCode } from '../../../pki/errors.ts';
import type { EnrollmentKind, Platform } from '../../../profiles/model/platform.ts';
import { compareVersions } from '../../../profiles/variables/facts.ts';

/** The restriction set of a tenant; everything allowed when a field is absent. */
export interface EnrollmentRestrictions {
  /** Platforms that may not enrol. */
  blockedPlatforms?: Platform[];
  /** Enrollment kinds that may not enrol (e.g. `device-admin`, blocked by default in new tenants). */
  blockedKinds?: EnrollmentKind[];
  /** Platforms whose personally-owned devices may not enrol. */
  blockPersonal?: Platform[];
  /** Minimum OS version per platform (dotted, compared numerically part by part). */
  minOsVersion?: Partial<Record<Platform, string>>;
  /** Devices one user may enrol (user-less devices do not count). */
  deviceLimit?: number;
}

/** What a restriction check looks at. */
export interface EnrollmentCandidate {
  platform: Platform;
  kind: EnrollmentKind;
  osVersion: string;
  ownership: 'corporate' | 'personal';
  /** Devices the same user already has enrolled (0 for a user-less device). */
  enrolledByUser: number;
  /** False for user-less devices, which the device limit does not count. */
  hasUser: boolean;
}

/** The refusal, when a restriction applies. */
export interface EnrollmentRefusal {
  code: Extract<ErrorCode, 'ENROLL_PLATFORM_BLOCKED' | 'ENROLL_OS_TOO_OLD' | 'ENROLL_DEVICE_LIMIT'>;
  message: string;
}

export { compareVersions }; // profiles/variables/facts.ts: the device side compares builds with it too

/**
 * The first restriction that refuses `c`, or undefined when the device may enrol.
 *
 * @example
 * checkEnrollment({ minOsVersion: { android: '10' } }, { platform: 'android', osVersion: '9', … });
 * // → { code: 'ENROLL_OS_TOO_OLD', message: 'Android 9 is below the minimum 10 …' }
 */
export function checkEnrollment(
  r: EnrollmentRestrictions,
  c: EnrollmentCandidate,
): EnrollmentRefusal | undefined {
  if (r.blockedPlatforms?.includes(c.platform)) {
    return {
      code: 'ENROLL_PLATFORM_BLOCKED',
      message: `The device platform restriction blocks ${c.platform} devices from enrolling. Allow the platform in the enrollment restrictions, or enrol another device.`,
    };
  }
  if (r.blockedKinds?.includes(c.kind)) {
    return {
      code: 'ENROLL_PLATFORM_BLOCKED',
      message: `The device platform restriction blocks ${c.platform} ${c.kind} enrollment. Allow that enrollment type, or enrol the device another way.`,
    };
  }
  if (c.ownership === 'personal' && r.blockPersonal?.includes(c.platform)) {
    return {
      code: 'ENROLL_PLATFORM_BLOCKED',
      message: `The device platform restriction blocks personally owned ${c.platform} devices. Enrol a corporate-owned device, or allow personal ${c.platform} devices.`,
    };
  }
  const min = r.minOsVersion?.[c.platform];
  if (min !== undefined && compareVersions(c.osVersion, min) < 0) {
    return {
      code: 'ENROLL_OS_TOO_OLD',
      message: `${c.platform} ${c.osVersion} is below the minimum OS version ${min} the device platform restriction sets. Update the device, or lower the minimum.`,
    };
  }
  if (r.deviceLimit !== undefined && c.hasUser && c.enrolledByUser >= r.deviceLimit) {
    return {
      code: 'ENROLL_DEVICE_LIMIT',
      message: `The user already has ${c.enrolledByUser} enrolled devices, the device limit of ${r.deviceLimit}. Retire one of the user's devices, or raise the limit.`,
    };
  }
  return undefined;
}
