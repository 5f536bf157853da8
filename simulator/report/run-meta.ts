/**
 * The run's metadata in report.json and report.html (issue 13 point 6): which certfleet ran (version), the
 * command line, the scenario (name, description, file and the SHA-256 of its text as the run read it), the
 * seed, the wall-clock start, and the machine (OS, architecture, CPUs, Node.js). Read from the run folder's
 * `run.json` (written when the run starts) and from the process that writes the reports, which is the one
 * that ran the command. Option values that look secret (`--fleet-secret`, `--password`…) are never kept.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, release, type as osType } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';

/** `report.json` `run`. */
export interface RunMeta {
  /** certfleet's version (package.json). */
  version: string;
  /** The command line, `certfleet …` (secret option values replaced by `***`). */
  command: string;
  scenario: {
    name: string;
    description?: string;
    file?: string;
    /** SHA-256 of the scenario text the run read, hex. */
    sha256?: string;
  };
  seed: string;
  /** Wall-clock time the run started (ISO), when known. */
  wallStart?: string;
  /** Agent hosts the fleet was spread over (`run --workers N`, `serve --hosts K`); absent: one process. */
  hosts?: number;
  /** The broker of a one-process run (run.json `broker`): in the run's process, a child process, Mosquitto, external. */
  broker?: 'embedded' | 'child' | 'mosquitto' | 'external';
  /** Present when the run went on a scaled wall clock (`serve --wall-paced`): NOT reproducible. */
  wallPaced?: { timeScale: number };
  machine: { os: string; arch: string; cpus: number; cpuModel: string; node: string };
}

const BROKERS: readonly NonNullable<RunMeta['broker']>[] = ['embedded', 'child', 'mosquitto', 'external'];

const SECRET_OPTION = /secret|password|passphrase|token|credential/i;

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line as a person would type it again: `certfleet` and the arguments after the script, each
 * shell-quoted when needed; the value of an option whose name looks secret is replaced by `***`.
 */
export function commandLineOf(argv: readonly string[]): string {
  const script = argv[1] ?? '';
  const isCertfleet = /certfleet(\.m?[jt]s)?$/.test(basename(script)) || /cli[\\/]main\.ts$/.test(script);
  const args = isCertfleet ? argv.slice(2) : argv.slice(1).map((a, i) => (i === 0 ? basename(a) : a));
  const out: string[] = [isCertfleet ? 'certfleet' : basename(argv[0] ?? 'node')];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = /^(--?[^=]+)=(.*)$/s.exec(a);
    if (eq && SECRET_OPTION.test(eq[1]!)) {
      out.push(`${eq[1]}=***`);
      continue;
    }
    out.push(quote(a));
    if (/^--?[^=]+$/.test(a) && SECRET_OPTION.test(a) && i + 1 < args.length) {
      out.push('***');
      i += 1;
    }
  }
  return out.join(' ');
}

let version: string | undefined;
/** certfleet's version, from its package.json. */
export function certfleetVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** The machine the reports are written on. */
export function machineOf(): RunMeta['machine'] {
  const list = cpus();
  return {
    os: `${osType()} ${release()} (${platform()})`,
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
  };
}

/** What {@link runMetaOf} reads from the run folder's `run.json` (written by simulator/fleet/run-folder.ts). */
interface ManifestLike {
  scenario?: { name?: unknown; file?: unknown; text?: unknown };
  startedAt?: unknown;
  hosts?: unknown;
  broker?: unknown;
  wallPaced?: { timeScale?: unknown };
}

/** The scenario's `description:`, if its text is YAML with one. */
function descriptionOf(text: string): string | undefined {
  try {
    const doc = parse(text) as unknown;
    if (typeof doc === 'object' && doc !== null && 'description' in doc) {
      const d = (doc as { description?: unknown }).description;
      if (typeof d === 'string' && d.trim() !== '') return d.trim();
    }
  } catch {
    // a scenario that ran parsed; anything else has no description to show
  }
  return undefined;
}

/**
 * The metadata of the run in folder `dir` (its `run.json`, when there is one) for a run of `scenario` and
 * `seed`, written by this process (`argv`, default `process.argv`).
 */
export function runMetaOf(
  dir: string,
  run: { scenario: string; seed: string },
  argv: readonly string[] = process.argv,
): RunMeta {
  let manifest: ManifestLike = {};
  const file = join(dir, 'run.json');
  if (existsSync(file)) {
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8')) as ManifestLike;
    } catch {
      manifest = {};
    }
  }
  const s = manifest.scenario ?? {};
  let text = typeof s.text === 'string' ? s.text : undefined;
  const scenarioFile = typeof s.file === 'string' ? s.file : undefined;
  if (text === undefined && scenarioFile !== undefined && existsSync(scenarioFile)) {
    try {
      text = readFileSync(scenarioFile, 'utf8');
    } catch {
      text = undefined;
    }
  }
  const scenario: RunMeta['scenario'] = { name: typeof s.name === 'string' ? s.name : run.scenario };
  const description = text === undefined ? undefined : descriptionOf(text);
  if (description !== undefined) scenario.description = description;
  if (scenarioFile !== undefined) scenario.file = scenarioFile;
  if (text !== undefined) scenario.sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  const meta: RunMeta = {
    version: certfleetVersion(),
    command: commandLineOf(argv),
    scenario,
    seed: run.seed,
    machine: machineOf(),
  };
  if (typeof manifest.startedAt === 'string') meta.wallStart = manifest.startedAt;
  if (typeof manifest.hosts === 'number' && Number.isInteger(manifest.hosts) && manifest.hosts > 0)
    meta.hosts = manifest.hosts;
  if (BROKERS.includes(manifest.broker as NonNullable<RunMeta['broker']>))
    meta.broker = manifest.broker as NonNullable<RunMeta['broker']>;
  const scale = manifest.wallPaced?.timeScale;
  if (typeof scale === 'number' && Number.isFinite(scale) && scale > 0) meta.wallPaced = { timeScale: scale };
  return meta;
}
