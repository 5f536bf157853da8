/**
 * `certfleet inspect`: a device-side dry run. Detects the native format of a payload from its content,
 * delivers it to a fresh simulated device of the platform (an in-memory key store), and says what that
 * device would install and what it would refuse, with codes and paths.
 */
import { CertfleetError } from '../pki/errors.ts';
import {
  ENROLLMENT_KINDS,
  isEnrollmentKindOf,
  type EnrollmentKind,
  type Platform,
} from '../profiles/model/platform.ts';
import { generateDevice } from './device/generate.ts';
import { StoreDb } from './keystore/store-db.ts';
import type { HeldCertificate, PayloadFormat, PlatformAdapter } from './platform-adapter.ts';
import { FixedClock, type Clock } from '../protocol/runtime/clock.ts';

/** The JSON `inspect --json` prints (issue 4). */
export interface InspectReport {
  format: PayloadFormat;
  platform: Platform;
  ok: boolean;
  items: {
    kind: HeldCertificate['kind'];
    subject: string;
    issuer: string;
    notAfter: string;
    thumbprint: string;
    store: string;
    /** False when the device installs it but does not trust it (its chain leads to no installed root). */
    trusted: boolean;
    /** Why it is not trusted (INSTALL_UNTRUSTED_CHAIN: installable, so not an error; the exit code stays 0). */
    warning?: string;
  }[];
  errors: { code: string; message: string; path: string }[];
}

/** Which platforms receive each format, the first being the default. */
const PLATFORMS_OF: Record<PayloadFormat, Platform[]> = {
  mobileconfig: ['macos', 'ios'],
  syncml: ['windows'],
  'android-policy': ['android'],
};

/** Detects the payload format from its first bytes: an XML plist, a SyncML message, or JSON. */
export function detectFormat(bytes: Buffer): PayloadFormat | undefined {
  const head = bytes
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('{')) return 'android-policy';
  if (/<plist[\s>]/.test(head) || /<!DOCTYPE plist/i.test(head)) return 'mobileconfig';
  if (/<SyncML[\s>]/.test(head)) return 'syncml';
  if (head.startsWith('bplist')) return 'mobileconfig';
  return undefined;
}

/**
 * Inspects `bytes` as a fresh device of `platform` (default: the format's usual platform) would.
 * Throws USAGE when the format is unknown or does not belong to the platform.
 */
export function inspectPayload(
  bytes: Buffer,
  adapters: Record<Platform, PlatformAdapter>,
  options: { platform?: Platform; kind?: string; clock?: Clock; seed?: string } = {},
): InspectReport {
  const format = detectFormat(bytes);
  if (!format) {
    throw new CertfleetError(
      'USAGE',
      'Cannot tell the payload format: expected an Apple .mobileconfig (XML plist), a Windows SyncML message or Android policy JSON.',
    );
  }
  const platform = options.platform ?? PLATFORMS_OF[format][0]!;
  if (!PLATFORMS_OF[format].includes(platform)) {
    throw new CertfleetError(
      'USAGE',
      `A ${format} payload is not what a ${platform} device receives (it goes to ${PLATFORMS_OF[format].join(' or ')}).`,
    );
  }
  let kind: EnrollmentKind | undefined;
  if (options.kind !== undefined) {
    if (!isEnrollmentKindOf(platform, options.kind)) {
      throw new CertfleetError(
        'USAGE',
        `'${options.kind}' is not an enrollment kind of ${platform}; use one of ${ENROLLMENT_KINDS[platform].join(', ')}.`,
      );
    }
    kind = options.kind;
  }
  // Without --kind the kind is drawn from the seed (Android results depend on it: pass --kind to pin it).
  const device = generateDevice({
    seed: options.seed ?? 'inspect',
    index: 0,
    platform,
    ...(kind !== undefined && { kind }),
  });
  const db = StoreDb.open(':memory:');
  try {
    const ctx = { device, db, clock: options.clock ?? new FixedClock(Date.now()) };
    const adapter = adapters[platform];
    const result = adapter.deliver(ctx, bytes);
    // Every refusal, with every decode problem behind it listed once with its own path; a payload the
    // simulator skips (e.g. SCEP, not simulated) would not install either, so it is listed too.
    const errors: InspectReport['errors'] = [];
    const seen = new Set<string>();
    for (const o of result.outcomes) {
      if (o.status === 'installed' || o.code === 'UNCHANGED') continue;
      const entries = o.problems?.length
        ? o.problems
        : [{ code: o.code, message: o.message, path: o.path ?? o.payload }];
      for (const e of entries) {
        const key = `${e.code}|${e.path}|${e.message}`;
        if (!seen.has(key)) {
          seen.add(key);
          errors.push(e);
        }
      }
    }
    // An identity installed but not trusted is reported by its outcome (INSTALL_UNTRUSTED_CHAIN, status
    // installed): its message becomes the item's warning.
    const untrusted = result.outcomes
      .filter((o) => o.status === 'installed' && o.code === 'INSTALL_UNTRUSTED_CHAIN')
      .map((o) => o.message);
    const items = adapter.held(ctx, 'admin').map((h) => {
      const item: InspectReport['items'][number] = {
        kind: h.kind,
        subject: h.subject,
        issuer: h.issuer,
        notAfter: h.notAfter,
        thumbprint: h.thumbprint,
        store: h.store,
        trusted: h.trusted,
      };
      if (!h.trusted) {
        const own =
          h.kind !== 'identity'
            ? undefined
            : (untrusted.find((m) => m.includes(h.thumbprint)) ??
              (untrusted.length === 1 ? untrusted[0] : undefined));
        item.warning =
          own ?? `${h.subject} is installed but not trusted: its chain does not lead to an installed root.`;
      }
      return item;
    });
    return { format, platform, ok: errors.length === 0 && result.outcomes.length > 0, items, errors };
  } finally {
    db.close();
  }
}
