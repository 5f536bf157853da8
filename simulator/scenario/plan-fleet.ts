/**
 * The fleet plan: for each device index, what the scenario makes of it — mix entry, platform, kind,
 * model and OS version when the entry constrains them, missing attributes, locked state, enrolment time
 * within the ramp, check-in phase, offline windows and slowness — and the `generateDevice` options that
 * build it. Deterministic: device #i draws only from `<seed>/plan/device/<i>` (protocol/runtime/random.ts
 * forks), so the same scenario gives the same plan, and planning a slice (a shard) gives the same devices
 * as planning the whole fleet.
 */
import type { AttributeName } from '../../agent/device/device.ts';
import type { DeviceOverrides, GenerateDeviceOptions } from '../../agent/device/generate.ts';
import { createRandom, type Random } from '../../protocol/runtime/random.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { ENROLLMENT_KINDS, type EnrollmentKind, type Platform } from '../../profiles/model/platform.ts';
import { mixCandidates, type MixCandidate } from './mix-candidates.ts';
import type { MixEntry, Scenario, Share } from './types.ts';

/** A period of virtual time, epoch milliseconds, `from` inclusive, `to` exclusive. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** What the scenario decided for one device. */
export interface DevicePlan {
  index: number;
  /** Index of the fleet.mix entry it was drawn from. */
  mixEntry: number;
  platform: Platform;
  kind: EnrollmentKind;
  tags: string[];
  /** Virtual time it enrols (within the ramp), epoch ms. */
  enrolAt: number;
  /** When it is offline (sorted, may overlap). */
  offline: TimeWindow[];
  /** Delay before it answers each payload; 0 when it is not a slow device. */
  slowDelayMs: number;
  /** Apple: locked at check-ins; a due renewal waits `unlockAfterMs`, then the device unlocks. */
  locked: boolean;
  unlockAfterMs?: number;
  /** Options for agent/device generateDevice. */
  generate: GenerateDeviceOptions;
}

/** What the scenario decided for one connector. */
export interface ConnectorPlan {
  id: string;
  /** When the connector is down (stopped). */
  down: TimeWindow[];
}

/** Options of {@link planFleet}: plan only indices `[from, to)` (a shard). */
export interface PlanOptions {
  from?: number;
  to?: number;
}

function shareOf(r: Random, share: Share | undefined): boolean | undefined {
  if (share === undefined) return undefined;
  if (typeof share === 'boolean') return share;
  if (share <= 0) return false;
  if (share >= 1) return true;
  return r.chance(share);
}

function constrained(entry: MixEntry): boolean {
  return (
    entry.models !== undefined ||
    entry.osVersions !== undefined ||
    entry.enrolledOsVersions !== undefined ||
    entry.cellular !== undefined
  );
}

/** Plans device `index` of the scenario. */
export function planDevice(scenario: Scenario, index: number): DevicePlan {
  const { fleet } = scenario;
  if (!Number.isSafeInteger(index) || index < 0 || index >= fleet.devices) {
    throw new CertfleetError(
      'USAGE',
      `Device index ${index} is outside the fleet (0..${fleet.devices - 1}).`,
    );
  }
  const r = createRandom(scenario.seed).fork('plan').fork(`device/${index}`);
  const mixEntry = r.fork('mix').weighted(fleet.mix.map((e, j) => [j, e.weight] as const));
  const entry = fleet.mix[mixEntry]!;
  const platform = entry.platform;
  const kind: EnrollmentKind = entry.kind ?? r.fork('kind').pick(ENROLLMENT_KINDS[platform]);
  const overrides: DeviceOverrides = {};

  const cellular = shareOf(r.fork('cellular'), entry.cellular);
  if (constrained(entry)) {
    let candidates: MixCandidate[] = mixCandidates(entry, cellular);
    if (candidates.length === 0) candidates = mixCandidates(entry);
    else if (cellular !== undefined) overrides.cellular = cellular;
    const rm = r.fork('model');
    const pick = rm.weighted(candidates.map((c) => [c, c.model.weight] as const));
    overrides.modelId = pick.model.id;
    if (pick.versions !== undefined) {
      const v = rm.weighted(pick.versions.map((o) => [o, o.weight] as const));
      overrides.osVersion = v.version;
      if (v.enrolled !== undefined) overrides.enrolledOsVersion = rm.pick(v.enrolled);
    }
  }
  const tpm = shareOf(r.fork('tpm'), entry.tpm);
  if (tpm !== undefined) overrides.tpm = tpm;
  const windowsHello = shareOf(r.fork('windows-hello'), entry.windowsHello);
  if (windowsHello !== undefined) overrides.windowsHello = windowsHello;
  const supervised = shareOf(r.fork('supervised'), entry.supervised);
  if (supervised !== undefined) overrides.supervised = supervised;
  if (entry.ownership !== undefined) overrides.ownership = entry.ownership;
  // Cloud-only users (no on-premises SID: KB5014754 strong mapping, docs/formats.md §5.3); a hybrid-joined
  // PC's user signs in with an AD account, so it is always synchronised.
  if (fleet.cloudOnlyUsers !== undefined) {
    overrides.userSynced = kind === 'hybrid-joined' || !r.fork('cloud-only').chance(fleet.cloudOnlyUsers);
  }

  const apple = platform === 'ios' || platform === 'macos';
  const rl = r.fork('lock');
  const locked = apple && (shareOf(rl, entry.locked) ?? rl.chance(fleet.lockedApple.share));
  if (apple) overrides.lockState = locked ? 'locked' : 'unlocked';

  const missing: Partial<Record<AttributeName, string | null>> = {};
  for (const [attr, p] of Object.entries(fleet.missing) as [AttributeName, number][]) {
    if (r.fork(`missing/${attr}`).chance(p)) missing[attr] = null;
  }
  if (Object.keys(missing).length > 0) overrides.attributes = missing;

  const enrolAt =
    scenario.start + Math.floor((fleet.rampMs * (index + r.fork('ramp').next())) / fleet.devices);
  const end = scenario.start + scenario.durationMs;
  const offline: TimeWindow[] = [];
  const ro = r.fork('offline');
  if (ro.chance(fleet.failures.offline.probability)) {
    for (let k = 0; k < fleet.failures.offline.times; k++) {
      const from = enrolAt + Math.floor(ro.next() * Math.max(0, end - enrolAt));
      offline.push({ from, to: from + fleet.failures.offline.durationMs });
    }
    offline.sort((a, b) => a.from - b.from);
  }
  const slowDelayMs = r.fork('slow').chance(fleet.failures.slowDevice.probability)
    ? fleet.failures.slowDevice.delayMs
    : 0;

  return {
    index,
    mixEntry,
    platform,
    kind,
    tags: [...entry.tags],
    enrolAt,
    offline,
    slowDelayMs,
    locked,
    ...(locked && { unlockAfterMs: fleet.lockedApple.unlockAfterMs }),
    generate: { seed: scenario.seed, index, platform, kind, overrides },
  };
}

/**
 * Plans the fleet (or the slice `[from, to)` of it).
 * @example
 * const plans = planFleet(loadScenario('scenarios/default.yaml'));
 * const device = generateDevice(plans[0].generate);
 */
export function planFleet(scenario: Scenario, options: PlanOptions = {}): DevicePlan[] {
  const from = options.from ?? 0;
  const to = Math.min(options.to ?? scenario.fleet.devices, scenario.fleet.devices);
  const out: DevicePlan[] = [];
  for (let i = from; i < to; i++) out.push(planDevice(scenario, i));
  return out;
}

/** Plans the connectors: ids `connector-1`…, and the down window each gets (with `failures.connectorDown`). */
export function planConnectors(scenario: Scenario): ConnectorPlan[] {
  const { probability, durationMs } = scenario.fleet.failures.connectorDown;
  const out: ConnectorPlan[] = [];
  for (let k = 0; k < scenario.connectors.count; k++) {
    const r = createRandom(scenario.seed)
      .fork('plan')
      .fork(`connector/${k + 1}`);
    const down: TimeWindow[] = [];
    if (r.chance(probability)) {
      const from = scenario.start + Math.floor(r.next() * scenario.durationMs);
      down.push({ from, to: from + durationMs });
    }
    out.push({ id: `connector-${k + 1}`, down });
  }
  return out;
}
