/**
 * The operation behind `certfleet replay ID --run DIR [--out DIR2]`: re-run one device of a finished run
 * alone, to reproduce its failure. The run folder's `run.json` gives the scenario text, the seed and the
 * fleet size; the run database gives the device's index and its outcomes. A device's plan (platform,
 * attributes, enrol time, offline windows…) depends only on the seed, its index and the fleet size, so
 * `runFleet({ only: [index] })` brings up the same device, with the same service, connectors and CA
 * templates, on the same virtual clock.
 *
 * Retire actions are the one part of a scenario that chooses among the fleet (`retire: {platform: ios,
 * count: 1}` takes the first enrolled iOS devices then): chosen again in a fleet of one, the replayed device
 * would always be first. The truth is the original run's `retired` event, so the replay pins each retire
 * action to what the original did (scenario-actions.ts pinRetirements): the device is retired at the action
 * that retired it in the original run, and by no other (none at all when the original never retired it).
 * The other actions (removeProfile, caRequests, renewIssuingCa, uploadIssuingCa) and connector outages act
 * on a profile, the CA or a connector, whatever the fleet: they run as written.
 *
 * The replay matches when the device has the same id, is retired at the same instant (or in neither run),
 * and every profile ends with the same status and code as in the original run. What can legitimately
 * differ: effects of other devices (an enrollment device limit, connector contention) — the comparison then
 * shows which profile moved.
 */
import { join } from 'node:path';
import type { DeviceProfileOutcome, RunEvent, RunInterruption } from '../run-model.ts';
import type { DeviceStory } from '../report/run-db.ts';
import { painter } from '../report/ansi.ts';
import { runFleet, type BrokerChoice } from './run-fleet.ts';
import { readRunManifest, resolveRunFolder } from './run-folder.ts';
import { loadDeviceStory } from './show-device.ts';

/** Options of {@link replayDevice}. */
export interface ReplayOptions {
  /** A device id, a unique id prefix, or `#N`. */
  device: string;
  /** The original run folder (default: the newest under `runs/`). */
  run?: string;
  /** Where to look for the newest run. */
  runsDir?: string;
  /** The replay's own run folder (default `<run>/replay/<device id>/`). */
  out?: string;
  broker?: BrokerChoice;
  color?: boolean;
}

/** One profile of the replayed device: the original and the replayed outcome. */
export interface ReplayRow {
  profile: string;
  original?: Pick<DeviceProfileOutcome, 'status' | 'code' | 'message' | 'renewals'>;
  replay?: Pick<DeviceProfileOutcome, 'status' | 'code' | 'message' | 'renewals'>;
  /** Same status and code (and both present). */
  same: boolean;
}

/** When the device was retired (its `retired` event, ISO time), in the original run and in the replay. */
export interface ReplayRetirement {
  /** Absent: never retired in that run. */
  original?: string;
  replay?: string;
  /** Retired at the same instant in both runs, or in neither. */
  same: boolean;
}

/** What {@link replayDevice} found. */
export interface ReplayResult {
  /** The original run folder and the replay's folder. */
  run: string;
  out: string;
  device: DeviceStory['device'];
  /** The device id the replay generated (equal to `device.id` unless the scenario changed). */
  replayedId: string | undefined;
  rows: ReplayRow[];
  /** The device's retirement in both runs (the replay retires it only where the original did). */
  retirement: ReplayRetirement;
  /** Same device id, same retirement, same profiles, each with the same status and code. */
  match: boolean;
  /** Set when the original run was interrupted (issue 10 point 7): its outcomes stop at that instant. */
  originalInterrupted?: RunInterruption;
  /** The comparison as text (ends with a newline). */
  text: string;
}

function pick(o: DeviceProfileOutcome): NonNullable<ReplayRow['original']> {
  return { status: o.status, code: o.code, message: o.message, renewals: o.renewals };
}

/** Compares the outcomes of the original run with the replay's, by profile. */
export function compareOutcomes(
  original: DeviceProfileOutcome[],
  replay: DeviceProfileOutcome[],
): ReplayRow[] {
  const profiles = [...new Set([...original, ...replay].map((o) => o.profile))].sort();
  return profiles.map((profile) => {
    const a = original.find((o) => o.profile === profile);
    const b = replay.find((o) => o.profile === profile);
    const row: ReplayRow = {
      profile,
      same: a !== undefined && b !== undefined && a.status === b.status && a.code === b.code,
    };
    if (a) row.original = pick(a);
    if (b) row.replay = pick(b);
    return row;
  });
}

/** The instant of the first `retired` event of `device` among `events`, if any. */
function retiredAt(events: readonly RunEvent[], device: string | undefined): string | undefined {
  return events.find((e) => e.type === 'retired' && e.device === device)?.at;
}

/** Re-runs one device of a run alone and compares its outcomes with the original run's. */
export async function replayDevice(o: ReplayOptions): Promise<ReplayResult> {
  const run = resolveRunFolder(o.run, o.runsDir);
  const manifest = readRunManifest(run);
  const { story } = loadDeviceStory(o.device, run);
  const d = story.device;
  const out = o.out ?? join(run, 'replay', d.id);
  const { scenario } = manifest;
  // the replay's retire actions do what the original's did to this device (see the file comment)
  const originalRetired = retiredAt(story.timeline, d.id);
  const fleet = await runFleet({
    scenario:
      scenario.text !== undefined
        ? { text: scenario.text, file: scenario.file, baseDir: scenario.baseDir }
        : scenario.file,
    seed: manifest.seed,
    devices: manifest.devices,
    only: [d.index],
    retired: originalRetired !== undefined ? [{ index: d.index, at: Date.parse(originalRetired) }] : [],
    out,
    ...(o.broker ? { broker: o.broker } : {}),
  });
  const replayedId = fleet.result.devicesList.find((x) => x.index === d.index)?.id;
  const rows = compareOutcomes(
    story.outcomes,
    fleet.result.outcomes.filter((x) => x.device === replayedId),
  );
  const replayRetired = retiredAt(fleet.result.events, replayedId);
  const retirement: ReplayRetirement = {
    ...(originalRetired !== undefined && { original: originalRetired }),
    ...(replayRetired !== undefined && { replay: replayRetired }),
    same: originalRetired === replayRetired,
  };
  // a device retired in both runs may have no outcome rows left (the retirement removed its profiles)
  const match =
    replayedId === d.id &&
    retirement.same &&
    (rows.length > 0 || originalRetired !== undefined) &&
    rows.every((r) => r.same);
  return {
    run,
    out,
    device: d,
    replayedId,
    rows,
    retirement,
    match,
    ...(story.run.interrupted !== undefined && { originalInterrupted: story.run.interrupted }),
    text: renderReplay(d, replayedId, rows, retirement, match, o.color ?? false, out, story.run.interrupted),
  };
}

function renderReplay(
  d: DeviceStory['device'],
  replayedId: string | undefined,
  rows: ReplayRow[],
  retirement: ReplayRetirement,
  match: boolean,
  color: boolean,
  out: string,
  interrupted?: RunInterruption,
): string {
  const paint = painter(color);
  const lines = [
    `Replay of device ${d.id} (#${d.index}) · ${d.platform} / ${d.kind} · OS ${d.osVersion} · ${d.model}`,
  ];
  if (interrupted !== undefined)
    lines.push(
      paint(
        'yellow',
        `The original run was INTERRUPTED by ${interrupted.signal} at virtual ${interrupted.at}: its outcomes are ` +
          'those of that instant, the replay runs to the end, so a DIFFERENT row may only mean the original stopped early ' +
          '(a retire action after that instant retires nobody in the replay: the original never carried it out).',
      ),
    );
  if (replayedId !== d.id)
    lines.push(
      paint(
        'red',
        `The replay generated device ${replayedId ?? '(none)'} at index #${d.index}: the scenario or seed is not the run's.`,
      ),
    );
  const retiredRow = retirement.original !== undefined || retirement.replay !== undefined;
  const w = Math.max(7, ...rows.map((r) => r.profile.length), retiredRow ? '(device)'.length : 0);
  const cell = (x: ReplayRow['original']): string => (x ? `${x.status} ${x.code}` : '(none)').padEnd(34);
  lines.push('', `  ${'PROFILE'.padEnd(w)}  ${'ORIGINAL'.padEnd(34)}  ${'REPLAY'.padEnd(34)}`);
  for (const r of rows) {
    lines.push(
      `  ${r.profile.padEnd(w)}  ${cell(r.original)}  ${cell(r.replay)}  ${r.same ? paint('green', 'same') : paint('red', 'DIFFERENT')}`,
    );
    const message = r.replay?.message ?? r.original?.message;
    if (message && r.replay?.status === 'failed')
      lines.push(`  ${' '.repeat(w)}  ${message.replace(/\s+/g, ' ')}`);
  }
  if (rows.length === 0) lines.push('  (the device has no outcomes in either run)');
  if (retiredRow) {
    const when = (at: string | undefined): string => (at ? `retired ${at}` : 'not retired').padEnd(34);
    lines.push(
      `  ${'(device)'.padEnd(w)}  ${when(retirement.original)}  ${when(retirement.replay)}  ${retirement.same ? paint('green', 'same') : paint('red', 'DIFFERENT')}`,
    );
  }
  lines.push(
    '',
    match
      ? paint(
          'green',
          retirement.original !== undefined
            ? 'Reproduced: retired at the same instant, and every profile ends with the same status and code as in the original run.'
            : 'Reproduced: every profile ends with the same status and code as in the original run.',
        )
      : paint('red', 'Not reproduced: see the rows marked DIFFERENT.'),
    `Replay run folder: ${out} (certfleet show device ${d.id.slice(0, 8)} --run ${out})`,
  );
  return `${lines.join('\n')}\n`;
}
