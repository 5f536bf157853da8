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
import { Checker, scenarioInvalid, type At } from './checker.ts';
import { DURATION_UNITS } from './durations.ts';
import { readCa } from './read-ca.ts';
import { readExpectations } from './read-expectations.ts';
import { readFleet } from './read-fleet.ts';
import { readProfilesAll, CA_ROOT_PLACEHOLDER } from './read-profiles.ts';
import { readImportedPfx } from './read-imported.ts';
import { readRestrictions } from './read-restrictions.ts';
import { readActions } from './read-actions.ts';
import type { CaSpec, Scenario } from './types.ts';
import { parseYamlTree, type MapNode } from './yaml-tree.ts';

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
  // issue 12 point 2. The scenario says so as a warning, for every profile (issue 13 point 5).
  if (ca?.type === 'fresh') {
    const templates = ca.templates.map((t) => t.name);
    const unpublished = new Set(ca.unpublished ?? []);
    const warnOf = (name: string): string | undefined =>
      !templates.includes(name)
        ? `the CA has no template '${name}' (templates: ${templates.join(', ')}): each request fails at the CA with CA_TEMPLATE_NOT_SUPPORTED (0x80094800); add it under ca.templates if that is not the point`
        : unpublished.has(name)
          ? `template '${name}' is not published on the CA: each request fails at the CA with CA_TEMPLATE_NOT_SUPPORTED (0x80094800)`
          : undefined;
    for (const p of read.profiles) {
      for (const m of Object.values(p.models)) {
        const w = m?.kind === 'pkcs-certificate' ? warnOf(m.certificateTemplateName) : undefined;
        if (w !== undefined) {
          c.warn({ line: p.line, column: 1 }, `profiles[${profileIndexAt(map, p.line)}].template`, w);
          break;
        }
      }
    }
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
