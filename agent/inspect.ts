/**
 * `certfleet inspect`: a device-side dry run. Detects the native format of a payload from its content,
 * delivers it to a fresh simulated device of the platform (an in-memory key store), and says what that
 * device would install and what it would refuse, with codes and paths.
 *
 * Issue 12 point 8: a SyncML fragment or UTF-16 SyncML is read as a device would receive it
 * (`inspect-input.ts`); a message of Gets is answered as the device answers it (`answers`); every refusal
 * names at least one coded error; each payload's native status is in `outcomes`; the device's traits (TPM,
 * Windows Hello for Business, OS version, enrollment kind) can be set and are reported in `device`.
 */
import { CertfleetError } from '../pki/errors.ts';
import {
  ENROLLMENT_KINDS,
  isEnrollmentKindOf,
  type EnrollmentKind,
  type Platform,
} from '../profiles/model/platform.ts';
import { decodeSyncml } from '../profiles/windows/syncml-decode.ts';
import type { NativeStatus, OutcomeCode } from '../protocol/wire/outcome.ts';
import { generateDevice, type DeviceOverrides } from './device/generate.ts';
import { prepareInspectInput } from './inspect-input.ts';
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
  /** Each payload's outcome with the native status the device sends for it (SyncML/CSP, ErrorChain, AMAPI). */
  outcomes: {
    payload: string;
    status: 'installed' | 'failed' | 'skipped';
    code: OutcomeCode;
    native: NativeStatus;
  }[];
  /**
   * SyncML: the status the device answers each command with, and the values its Results carry (a message
   * of Gets changes nothing and is answered, not refused). Empty for the other formats.
   */
  answers: { cmdRef: number; cmd: string; status: number; results?: { locUri: string; data: string }[] }[];
  /** The fresh device inspect used: the traits that decide the result. */
  device: {
    kind: EnrollmentKind;
    osVersion: string;
    /** Windows: a usable TPM. */
    tpm: boolean;
    /** Windows: Windows Hello for Business provisioned. */
    windowsHello: boolean;
  };
  /** What inspect changed to read the file as a device receives it (UTF-16 → UTF-8, a fragment wrapped). */
  notes: string[];
}

/** Device traits `inspect` can set (issue 12 point 5): the rest is drawn from a fixed seed. */
export interface InspectTraits {
  kind?: string;
  /** Windows: a usable TPM (default: drawn). */
  tpm?: boolean;
  /** Windows: Windows Hello for Business provisioned (default true). */
  windowsHello?: boolean;
  /** The OS version (`10.0.19045.4651`, `17.5.1`, `14`). */
  osVersion?: string;
}

/** The status of every command a SyncML reply answers, with the Results of its Gets. */
function syncmlAnswers(reply: Buffer): InspectReport['answers'] {
  const decoded = decodeSyncml(reply);
  if (!decoded.ok) return [];
  const results = new Map<number, { locUri: string; data: string }[]>();
  for (const c of decoded.message.body) {
    if (c.kind !== 'Results') continue;
    results.set(
      c.cmdRef,
      c.items.map((i) => ({ locUri: i.source ?? i.target ?? '', data: i.data ?? '' })),
    );
  }
  const out: InspectReport['answers'] = [];
  for (const c of decoded.message.body) {
    if (c.kind !== 'Status' || c.cmd === 'SyncHdr') continue;
    const r = results.get(c.cmdRef);
    out.push({ cmdRef: c.cmdRef, cmd: c.cmd, status: c.code, ...(r !== undefined && { results: r }) });
  }
  return out;
}

/** The code a refusal without any problem of its own is reported with, per format. */
const NOTHING_CODE: Record<PayloadFormat, OutcomeCode> = {
  syncml: 'SYNCML_INVALID',
  mobileconfig: 'MOBILECONFIG_INVALID',
  'android-policy': 'ANDROID_POLICY_INVALID',
};

/** Which platforms receive each format, the first being the default. */
const PLATFORMS_OF: Record<PayloadFormat, Platform[]> = {
  mobileconfig: ['macos', 'ios'],
  // Android device administrator takes SyncML too (the Company Portal's OMA-DM; pass --platform android).
  syncml: ['windows', 'android'],
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
  options: { platform?: Platform; clock?: Clock; seed?: string } & InspectTraits = {},
): InspectReport {
  const input = prepareInspectInput(bytes);
  bytes = input.bytes;
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
  if ((options.tpm !== undefined || options.windowsHello !== undefined) && platform !== 'windows') {
    throw new CertfleetError(
      'USAGE',
      `--tpm and --windows-hello describe Windows devices; this is a ${platform} device. Leave them out.`,
    );
  }
  const overrides: DeviceOverrides = {
    ...(options.tpm !== undefined && { tpm: options.tpm }),
    ...(options.windowsHello !== undefined && { windowsHello: options.windowsHello }),
    ...(options.osVersion !== undefined && { osVersion: options.osVersion }),
  };
  // Without --kind the kind is drawn from the seed (Android results depend on it: pass --kind to pin it).
  let device;
  try {
    device = generateDevice({
      seed: options.seed ?? 'inspect',
      index: 0,
      platform,
      ...(kind !== undefined && { kind }),
      overrides,
    });
  } catch (cause) {
    throw new CertfleetError(
      'USAGE',
      `Cannot make a ${platform} device with OS version ${String(options.osVersion)}: ${(cause as Error).message}`,
      { cause },
    );
  }
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
    const answers = format === 'syncml' ? syncmlAnswers(result.reply) : [];
    // A message of Gets (or Alerts) installs nothing and is answered: it is not refused.
    const answered = answers.length > 0 && answers.every((a) => a.status < 300 || a.cmd === 'Get');
    const ok = errors.length === 0 && (result.outcomes.length > 0 || answered);
    if (!ok && errors.length === 0) {
      errors.push({
        code: NOTHING_CODE[format],
        path: format === 'syncml' ? 'SyncML/SyncBody' : format === 'mobileconfig' ? 'PayloadContent' : '$',
        message:
          answers.length > 0
            ? `The device answers ${answers.map((a) => `${a.cmd} ${a.cmdRef}: ${a.status}`).join(', ')} and installs nothing.`
            : 'The payload carries nothing a device installs or answers.',
      });
    }
    const outcomes = result.outcomes.map((o) => ({
      payload: o.payload,
      status: o.status,
      code: o.code,
      native: o.native,
    }));
    const traits = {
      kind: device.enrollmentKind,
      osVersion: device.osVersion,
      tpm: device.tpm,
      windowsHello: device.windowsHello,
    };
    return {
      format,
      platform,
      ok,
      items,
      errors,
      outcomes,
      answers,
      device: traits,
      notes: input.notes,
    };
  } finally {
    db.close();
  }
}
