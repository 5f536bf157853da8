/**
 * The operation behind `certfleet show device ID [--run DIR] [--json]`: find the run folder (the newest
 * under `runs/` when none is given), resolve ID (a full id, a unique prefix, or `#index`), and return the
 * device's story from the run database — attributes, store contents at the end of the run, outcomes,
 * deliveries and timeline — as text or as JSON.
 */
import { renderDeviceStory } from '../report/device-story.ts';
import { RunDb, type DeviceStory } from '../report/run-db.ts';
import { CertfleetError } from '../../pki/errors.ts';
import { readRunManifest, resolveRunFolder } from './run-folder.ts';

/** What `show device` says of the key stores of a wall-paced run, which collects none. */
export const WALL_PACED_STORES =
  "a wall-paced run (serve --wall-paced) does not collect the devices' key stores; each certfleet agents keeps its devices' stores in the agents.db of its --out folder";

/** True when the run folder's manifest says the run went on a scaled wall clock (false when it cannot say). */
function wallPaced(dir: string): boolean {
  try {
    return readRunManifest(dir).wallPaced !== undefined;
  } catch {
    return false; // a folder without a readable manifest (an older run): its stores are what run.db holds
  }
}

/** Options of {@link showDevice}. */
export interface ShowDeviceOptions {
  /** A device id, a unique id prefix, or `#N` (its index). */
  device: string;
  /** The run folder; default the newest folder under `runsDir`. */
  run?: string;
  /** Where to look for the newest run (default `runs/` in the working folder). */
  runsDir?: string;
  json?: boolean;
  color?: boolean;
  /** Print the whole inventory in the text form. */
  inventory?: boolean;
}

/** What {@link showDevice} found: the folder, the story, and the text to print. */
export interface ShownDevice {
  dir: string;
  story: DeviceStory;
  /** The text (or JSON document) to print, ending with a newline. */
  text: string;
}

/**
 * Loads one device's story from a run folder.
 * @throws CertfleetError USAGE (no run folder, unknown or ambiguous device), IO (unreadable run database).
 */
export function loadDeviceStory(
  query: string,
  run: string | undefined,
  runsDir?: string,
): { dir: string; story: DeviceStory } {
  const dir = resolveRunFolder(run, runsDir);
  const db = RunDb.open(dir);
  try {
    const id = db.resolveDevice(query);
    const story = db.deviceStory(id);
    if (!story) throw new CertfleetError('USAGE', `No device "${query}" in the run ${dir}.`);
    if (wallPaced(dir)) story.storesNotCollected = WALL_PACED_STORES;
    return { dir, story };
  } finally {
    db.close();
  }
}

/** Finds the device and renders its story (see the file comment). */
export function showDevice(o: ShowDeviceOptions): ShownDevice {
  const { dir, story } = loadDeviceStory(o.device, o.run, o.runsDir);
  const text = o.json
    ? `${JSON.stringify({ runFolder: dir, ...story }, null, 2)}\n`
    : renderDeviceStory(story, { color: o.color ?? false, inventory: o.inventory ?? false });
  return { dir, story, text };
}
