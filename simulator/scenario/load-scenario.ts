/**
 * Loads a scenario file: YAML → positioned tree → every section checked → a {@link Scenario}, or one
 * CertfleetError (SCENARIO_PARSE for YAML syntax, SCENARIO_INVALID listing every problem with
 * `file:line:column`, its key path and, for typos, the closest valid key or value). Nothing half-loaded.
 * The format is documented in scenarios/README.md.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CertfleetError } from '../../pki/errors.ts';
import { readFailureReason } from '../../pki/fs-error.ts';
import { formatBytes, MAX_DESCRIPTION_CHARS, MAX_SCENARIO_BYTES } from '../../pki/limits.ts';
import { MDM_DEVICE_TEMPLATE } from '../service/mdm/mdm-device-template.ts';
import { Checker, quoted, scenarioInvalid, type At } from './checker.ts';
import { DURATION_UNITS, formatDuration } from './durations.ts';
import { readCa } from './read-ca.ts';
import { readExpectations } from './read-expectations.ts';
import { readFleet } from './read-fleet.ts';
import { readProfilesAll, CA_ROOT_PLACEHOLDER } from './read-profiles.ts';
import { readImportedPfx } from './read-imported.ts';
import { readRestrictions } from './read-restrictions.ts';
import { readActions } from './read-actions.ts';
import { closest } from './suggest.ts';
import type { CaSpec, Scenario } from './types.ts';
import { entryOf, parseYamlTree, type MapNode, type Position } from './yaml-tree.ts';

/** Default virtual start of a run. */
export const DEFAULT_START = '2026-01-01T00:00:00Z';
/** Most connectors a scenario may run. */
export const MAX_CONNECTORS = 100;

const TOP_KEYS = [
  'name',
  'description',
  'seed',
  'duration',
  'checkInInterval',
  'start',
  'fleet',
  'ca',
  'connectors',
  'connectorPollInterval',
  'enrollmentRestrictions',
  'profiles',
  'assignments',
  'actions',
  'importedPfx',
  'expect',
] as const;

/** Where a scenario comes from: a file path, or text (with the name to show in messages and the folder for relative paths). */
export type ScenarioSource = string | { text: string; file?: string; baseDir?: string };

/**
 * Loads and validates a scenario.
 * @throws CertfleetError IO (unreadable file), SCENARIO_PARSE (bad YAML), SCENARIO_INVALID (every problem).
 * @example
 * const s = loadScenario('scenarios/missing-imei.yaml');
 * s.fleet.devices; // 40
 */
export function loadScenario(source: ScenarioSource): Scenario {
  let text: string;
  let file: string;
  let baseDir: string;
  if (typeof source === 'string') {
    file = source;
    baseDir = dirname(resolve(source));
    try {
      const size = statSync(source).size;
      if (size > MAX_SCENARIO_BYTES) throw tooLarge(source, size);
      text = readFileSync(source, 'utf8');
    } catch (e) {
      if (e instanceof CertfleetError) throw e;
      throw new CertfleetError(
        'IO',
        `Cannot read the scenario ${source}: ${readFailureReason(e)}.`,
        // an input the command reads: the CLI exits 3 (cli/output.ts isInputError)
        { cause: e, details: { file: source, input: true } },
      );
    }
  } else {
    text = source.text;
    file = source.file ?? 'scenario.yaml';
    baseDir = source.baseDir ?? (source.file === undefined ? process.cwd() : dirname(resolve(source.file)));
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SCENARIO_BYTES) throw tooLarge(file, bytes);
  const tree = parseYamlTree(text, file);
  const c = new Checker(file);
  const root: At = { node: tree, path: '' };
  if (tree.type !== 'map') {
    throw scenarioInvalid(file, [
      {
        file,
        line: tree.pos.line,
        column: tree.pos.column,
        path: '',
        message: 'a scenario is a map of settings (name:, fleet:, profiles:, expect: …)',
      },
    ]);
  }
  const map = root as At<MapNode>;
  c.keys(map, TOP_KEYS);
  const nameAt = c.get(map, 'name');
  const name = nameAt === undefined ? basename(file).replace(/\.ya?ml$/i, '') : c.string(nameAt, true);
  const descAt = c.get(map, 'description');
  let description = descAt === undefined ? '' : c.string(descAt, true);
  if (descAt !== undefined && description !== undefined && description.length > MAX_DESCRIPTION_CHARS) {
    description = c.add(
      descAt.node.pos,
      descAt.path,
      `is ${description.length} characters long; keep it to ${MAX_DESCRIPTION_CHARS} (it is shown in the reports)`,
    );
  }
  const seedAt = c.get(map, 'seed');
  const seedValue = seedAt === undefined ? name : c.scalar(seedAt, 'a text or a number');
  if (
    seedAt !== undefined &&
    seedValue !== undefined &&
    typeof seedValue !== 'string' &&
    !(typeof seedValue === 'number' && Number.isFinite(seedValue))
  ) {
    c.add(seedAt.node.pos, seedAt.path, 'must be a text or a number');
  } else if (seedAt !== undefined && typeof seedValue === 'string' && seedValue.trim() === '') {
    // every host of the run's clock is sent the seed, and the clock protocol refuses an empty one
    // (protocol/wire/clock-messages.ts): said here, on its line, before anything is written
    c.add(
      seedAt.node.pos,
      seedAt.path,
      `must not be empty: write a text or a number (the same seed gives the same fleet), or leave seed out to use the name${name === undefined ? '' : ` ('${quoted(name)}')`}`,
    );
  }
  const durationAt = c.get(map, 'duration');
  const durationMs =
    durationAt === undefined ? 30 * DURATION_UNITS.d : c.duration(durationAt, DURATION_UNITS.m);
  const intervalAt = c.get(map, 'checkInInterval');
  const checkInIntervalMs =
    intervalAt === undefined ? 8 * DURATION_UNITS.h : c.duration(intervalAt, DURATION_UNITS.m);
  const startAt = c.get(map, 'start');
  const startText = startAt === undefined ? DEFAULT_START : c.string(startAt);
  const start = startText === undefined ? undefined : Date.parse(startText);
  if (
    startAt !== undefined &&
    startText !== undefined &&
    (start === undefined || Number.isNaN(start) || !/^\d{4}-\d{2}-\d{2}/.test(startText))
  ) {
    c.add(startAt.node.pos, startAt.path, `'${startText}' is not an ISO date-time such as ${DEFAULT_START}`);
  }
  const fleet = readFleet(c, c.get(map, 'fleet'), root);
  const ca = readCa(c, c.get(map, 'ca'), baseDir);
  const connectors = readConnectors(c, c.get(map, 'connectors'), c.get(map, 'connectorPollInterval'));
  const enrollmentRestrictions = readRestrictions(c, c.get(map, 'enrollmentRestrictions'));
  const read = readProfilesAll(c, c.get(map, 'profiles'), c.get(map, 'assignments'), baseDir);
  const profiles = read.ok ? read.profiles : undefined;
  const profileNames = profiles?.map((p) => p.name) ?? collectNames(map);
  const expect = readExpectations(c, c.get(map, 'expect'), profileNames);
  const actions = readActions(
    c,
    c.get(map, 'actions'),
    durationMs,
    profileNames,
    profiles?.filter((p) => p.trustedSource?.type === 'ca-issuing').map((p) => p.name),
  );
  const importedPfx = readImportedPfx(c, c.get(map, 'importedPfx'));
  // A template the CA lacks or does not publish is accepted, as a real tenant accepts the profile; each
  // request for it then fails at the CA with CA_TEMPLATE_NOT_SUPPORTED (0x80094800, docs/errors.md §4.1) —
  // issue 12 point 2. The scenario says so as a warning, for every profile (issue 13 point 5), on its
  // `template:` line, with the closest template's name and the templates the run's CA has: the scenario's
  // and the MDM service's own, added at service start (simulator/service/mdm/mdm-device-template.ts). The
  // CA finds a template whatever its case, as AD CS does (simulator/service/ca/policy-module.ts).
  if (ca?.type === 'fresh') {
    const templates = ca.templates.map((t) => t.name);
    const serviceAdds = !templates.some((t) => t.toLowerCase() === MDM_DEVICE_TEMPLATE.toLowerCase());
    if (serviceAdds) templates.push(MDM_DEVICE_TEMPLATE);
    const unpublished = new Set((ca.unpublished ?? []).map((t) => t.toLowerCase()));
    const warnOf = (name: string): string | undefined => {
      const known = templates.find((t) => t.toLowerCase() === name.toLowerCase());
      if (known === undefined) {
        const near = closest(name, templates);
        return `the CA has no template '${quoted(name)}'${near === undefined ? '' : `: did you mean '${near}'?`} (the CA's templates: ${templates.join(', ')}); each request fails at the CA with CA_TEMPLATE_NOT_SUPPORTED (0x80094800): add it under ca.templates if that is not the point`;
      }
      if (serviceAdds && known === MDM_DEVICE_TEMPLATE)
        return `template '${known}' is the MDM service's own (device-management certificates), which only the service may enrol for: each request fails at the CA with CA_TEMPLATE_DENIED (0x80094012); name another of the CA's templates (${templates.filter((t) => t !== known).join(', ')})`;
      return unpublished.has(known.toLowerCase())
        ? `template '${known}' is not published on the CA: each request fails at the CA with CA_TEMPLATE_NOT_SUPPORTED (0x80094800)`
        : undefined;
    };
    for (const p of read.profiles) {
      for (const m of Object.values(p.models)) {
        const w = m?.kind === 'pkcs-certificate' ? warnOf(m.certificateTemplateName) : undefined;
        if (w !== undefined) {
          const where = templateAt(map, p.line);
          c.warn(where.pos, where.path, w);
          break;
        }
      }
    }
  }
  // A ramp longer than the run plans devices to enrol after its end: they never enrol and their rows are
  // DEVICE_NEVER_ENROLLED, which fails the run unless an expectation names them (scenarios/README.md
  // "expect"). That may be the point of a scenario, so it is a warning, not a problem.
  if (fleet !== undefined && durationMs !== undefined && fleet.rampMs > durationMs) {
    const fleetAt = c.get(map, 'fleet');
    const rampAt = fleetAt?.node.type === 'map' ? c.get(fleetAt as At<MapNode>, 'ramp') : undefined;
    const late = lateDevices(fleet.devices, fleet.rampMs, durationMs);
    c.warn(
      rampAt?.node.pos ?? map.node.pos,
      rampAt?.path ?? 'fleet.ramp',
      `${durationText(rampAt, fleet.rampMs)} is longer than duration ${durationAt === undefined ? `${formatDuration(durationMs)} (the default)` : durationText(durationAt, durationMs)}: ` +
        `the devices planned after the end never enrol (${late}) and are DEVICE_NEVER_ENROLLED; ` +
        'shorten the ramp or lengthen the duration',
    );
  }
  const runStart =
    ca?.type === 'folder' && start !== undefined && !Number.isNaN(start)
      ? checkCaValidity(c, ca, startAt, start, durationMs, durationAt)
      : start;
  if (c.problems.length > 0) throw scenarioInvalid(file, c.problems);
  return {
    name: name!,
    description: description!,
    file,
    baseDir,
    seed: String(seedValue),
    start: runStart!,
    ...(startAt !== undefined ? { startLine: startAt.node.pos.line } : {}),
    durationMs: durationMs!,
    checkInIntervalMs: checkInIntervalMs!,
    fleet: fleet!,
    ca: ca!,
    connectors: connectors!,
    enrollmentRestrictions: enrollmentRestrictions!,
    profiles: profiles!,
    actions: actions!,
    ...(importedPfx !== undefined && importedPfx.length > 0 && { importedPfx }),
    expect: expect!,
    warnings: [...c.warnings].sort((a, b) => a.line - b.line || a.column - b.column),
  };
}

/** SCENARIO_INVALID for a file over MAX_SCENARIO_BYTES (pki/limits.ts), checked before it is parsed. */
function tooLarge(file: string, bytes: number): CertfleetError {
  return scenarioInvalid(file, [
    {
      file,
      line: 1,
      column: 1,
      path: '',
      message: `the file is ${bytes} bytes; a scenario may be at most ${formatBytes(MAX_SCENARIO_BYTES)} (the shipped ones are under 10 KB)`,
    },
  ]);
}

/**
 * The run must fit the validity of a reused CA (`ca: {dir}`): leaves issued before the issuing CA's
 * notBefore, or after its notAfter, would not chain (RFC 5280 §6.1.3 (a)(2): each certificate in the path
 * must be valid at the time checked). Without `start`, the run starts at the CA's notBefore when the
 * default start is earlier (a CA made by `certfleet ca init` today); an explicit `start` that does not fit
 * is a problem on its line that says which start to set. Returns the start to use.
 */
function checkCaValidity(
  c: Checker,
  ca: Extract<CaSpec, { type: 'folder' }>,
  startAt: At | undefined,
  start: number,
  durationMs: number | undefined,
  durationAt: At | undefined,
): number {
  const { notAfter } = ca.validity;
  // Leaves are back-dated 10 minutes (EnterpriseCa.issue, as AD CS does for clock skew): the earliest start
  // whose leaves all begin inside the CA's validity.
  const notBefore = ca.validity.notBefore + CA_BACKDATE_MS;
  const iso = (ms: number): string => new Date(ms).toISOString();
  let runStart = start;
  if (start < notBefore) {
    if (startAt === undefined) runStart = notBefore;
    else {
      c.add(
        startAt.node.pos,
        startAt.path,
        `${iso(start)} is too early for the CA in ${ca.dir} (valid from ${iso(ca.validity.notBefore)}; leaves are back-dated 10 min): set start: ${iso(notBefore)} or later, or leave start out to begin then`,
      );
      return runStart;
    }
  }
  if (durationMs !== undefined && runStart + durationMs > notAfter) {
    const at = durationAt ?? startAt;
    c.add(
      at?.node.pos ?? { line: ca.line, column: 1 },
      at?.path ?? 'ca.dir',
      `the run ends ${iso(runStart + durationMs)}, after the CA in ${ca.dir} expires (notAfter ${iso(notAfter)}): set an earlier start: or a shorter duration:`,
    );
  }
  return runStart;
}

/** How far EnterpriseCa.issue back-dates a leaf's notBefore (simulator/service/ca/enterprise-ca.ts). */
const CA_BACKDATE_MS = 10 * 60_000;

/** Default idle backoff of a connector: polls that find no work stretch the interval up to this. */
export const DEFAULT_IDLE_BACKOFF_MS = 15 * DURATION_UNITS.m;

/**
 * Reads `connectors:` — a count (`connectors: 4`) or `{count, pollInterval, idleBackoff}` — and the older
 * top-level `connectorPollInterval` (not both poll intervals at once).
 */
function readConnectors(
  c: Checker,
  at: At | undefined,
  legacyPollAt: At | undefined,
): Scenario['connectors'] | undefined {
  const before = c.problems.length;
  let count: number | undefined = 2;
  let pollAt = legacyPollAt;
  let backoffAt: At | undefined;
  let sidSecurityExtension: boolean | undefined = false;
  let pfxChain: 'issuing' | 'leaf' | undefined;
  if (at !== undefined && at.node.type === 'map') {
    const m = at as At<MapNode>;
    c.keys(m, ['count', 'pollInterval', 'idleBackoff', 'sidSecurityExtension', 'pfxChain']);
    const chainAt = c.get(m, 'pfxChain');
    if (chainAt !== undefined) pfxChain = c.oneOf(chainAt, ['issuing', 'leaf'] as const, 'PKCS#12 chain');
    const sidAt = c.get(m, 'sidSecurityExtension');
    if (sidAt !== undefined) sidSecurityExtension = c.boolean(sidAt);
    const countAt = c.get(m, 'count');
    if (countAt !== undefined) count = c.number(countAt, 1, MAX_CONNECTORS, true);
    const inner = c.get(m, 'pollInterval');
    if (inner !== undefined && legacyPollAt !== undefined) {
      c.add(legacyPollAt.node.pos, legacyPollAt.path, 'is also given as connectors.pollInterval: keep one');
    }
    pollAt = inner ?? legacyPollAt;
    backoffAt = c.get(m, 'idleBackoff');
  } else if (at !== undefined) {
    count = c.number(at, 1, MAX_CONNECTORS, true);
  }
  const pollIntervalMs = pollAt === undefined ? 30 * DURATION_UNITS.s : c.duration(pollAt, DURATION_UNITS.s);
  let maxIdlePollIntervalMs: number | undefined = Math.max(DEFAULT_IDLE_BACKOFF_MS, pollIntervalMs ?? 0);
  if (backoffAt !== undefined) {
    if (
      backoffAt.node.type === 'scalar' &&
      (backoffAt.node.value === 'off' || backoffAt.node.value === false)
    ) {
      maxIdlePollIntervalMs = pollIntervalMs;
    } else {
      maxIdlePollIntervalMs = c.duration(backoffAt, DURATION_UNITS.s);
      if (
        maxIdlePollIntervalMs !== undefined &&
        pollIntervalMs !== undefined &&
        maxIdlePollIntervalMs < pollIntervalMs
      ) {
        c.add(
          backoffAt.node.pos,
          backoffAt.path,
          `must be off or at least the poll interval (${pollIntervalMs / 1000}s)`,
        );
      }
    }
  }
  if (c.problems.length > before) return undefined;
  return {
    count: count!,
    pollIntervalMs: pollIntervalMs!,
    maxIdlePollIntervalMs: maxIdlePollIntervalMs!,
    ...(sidSecurityExtension === true && { sidSecurityExtension: true }),
    ...(pfxChain !== undefined && { pfxChain }),
  };
}

/** The index of the `profiles:` item that starts on `line`. */
function profileIndexAt(map: At<MapNode>, line: number): number {
  const profiles = map.node.entries.find((e) => e.key === 'profiles')?.value;
  return profiles?.type === 'seq' ? profiles.items.findIndex((i) => i.pos.line === line) : -1;
}

/**
 * Where a profile's template is written: its `template:` value, else its `graph:` export (the template is
 * the export's certificateTemplateName), else the profile itself.
 */
function templateAt(map: At<MapNode>, line: number): { pos: Position; path: string } {
  const index = profileIndexAt(map, line);
  const path = `profiles[${index}]`;
  const profiles = map.node.entries.find((e) => e.key === 'profiles')?.value;
  const item = profiles?.type === 'seq' ? profiles.items[index] : undefined;
  if (item?.type !== 'map') return { pos: { line, column: 1 }, path: `${path}.template` };
  for (const key of ['template', 'graph']) {
    const e = entryOf(item, key);
    if (e !== undefined) return { pos: e.value.pos, path: `${path}.${key}` };
  }
  return { pos: item.pos, path: `${path}.template` };
}

/**
 * How many of `devices` a ramp longer than the run plans after its end, as text. Device i enrols at
 * start + ramp × (i + u) / devices, u uniform in [0, 1) (plan-fleet.ts), so on average
 * devices × (ramp − duration) / ramp of them; the same share of a fleet resized with --devices.
 */
function lateDevices(devices: number, rampMs: number, durationMs: number): string {
  const share = (rampMs - durationMs) / rampMs;
  const n = Math.round(devices * share);
  const percent = Math.round(share * 100);
  return n === 0
    ? `perhaps the last of ${devices}`
    : `about ${n} of ${devices}${percent > 0 && percent < 100 ? `, ${percent} % of the fleet` : ''}`;
}

/** A duration as the file writes it (`3d`), else as certfleet writes it. */
function durationText(at: At | undefined, ms: number): string {
  return at?.node.type === 'scalar' && typeof at.node.value === 'string'
    ? quoted(at.node.value.trim())
    : formatDuration(ms);
}

/** Profile names written in the file even when the profiles themselves have problems (for expectation checks). */
function collectNames(map: At<MapNode>): string[] {
  const profiles = map.node.entries.find((e) => e.key === 'profiles')?.value;
  if (profiles?.type !== 'seq') return [];
  return profiles.items.flatMap((i) =>
    i.type === 'map'
      ? i.entries
          .filter((e) => e.key === 'name' && e.value.type === 'scalar')
          .map((e) => String((e.value as { value: unknown }).value))
      : [],
  );
}

/**
 * The scenario with the run's CA root put into every trusted profile that says `certificate: root`.
 * Returns a new scenario; the one given is not changed.
 */
export function bindCaRoot(scenario: Scenario, rootDer: Uint8Array): Scenario {
  return {
    ...scenario,
    profiles: scenario.profiles.map((p) =>
      p.trustedSource?.type !== 'ca-root'
        ? p
        : {
            ...p,
            models: Object.fromEntries(
              Object.entries(p.models).map(([f, m]) => [
                f,
                m?.kind === 'trusted-certificate' ? { ...m, certificate: new Uint8Array(rootDer) } : m,
              ]),
            ),
          },
    ),
  };
}

/** True when a trusted profile still carries the placeholder instead of the CA root. */
export function needsCaRoot(scenario: Scenario): boolean {
  return scenario.profiles.some((p) =>
    Object.values(p.models).some(
      (m) =>
        m?.kind === 'trusted-certificate' &&
        Buffer.from(m.certificate).equals(Buffer.from(CA_ROOT_PLACEHOLDER)),
    ),
  );
}
