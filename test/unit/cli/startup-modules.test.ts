/**
 * The CLI loads a command's implementation when the command runs, not when the CLI starts: `certfleet
 * --help`, `certfleet ca …` or `certfleet show …` do not load the fleet engine, the agents or the broker
 * (measured here: `certfleet --help` 1.85 s → 0.66 s of wall time); a command line that names its command
 * loads only that command's definition (`certfleet profile compile --help`: 116 of the project's modules →
 * 29). Each case starts the real CLI with module hooks that list every module it loads
 * (test/fixtures/module-trace/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv } from '../../e2e/fixtures/certfleet-cli.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
/** Every command definition's file (cli/commands/, index.ts aside). */
const COMMAND_FILES = readdirSync(join(ROOT, 'cli/commands'))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .sort();
const REGISTER = join(ROOT, 'test/fixtures/module-trace/register.mjs');
const work = mkdtempSync(join(tmpdir(), 'certfleet-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The project's own modules (repo paths) and the npm packages `certfleet ...args` loaded. */
function loaded(args: string[]): { own: string[]; packages: string[]; status: number | null } {
  const trace = join(work, `trace-${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`);
  const env = cliEnv({ CERTFLEET_TEST_MODULE_TRACE: trace });
  // the timeout only ends a hung child (spawnSync blocks the test's own timer)
  const r = spawnSync(process.execPath, ['--import', REGISTER, BIN, ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const own = urls
    .filter((u) => u.startsWith('file://') && !u.includes('/node_modules/'))
    .map((u) => u.slice(`file://${ROOT}/`.length));
  const packages = [
    ...new Set(
      urls
        .filter((u) => u.includes('/node_modules/'))
        .map((u) => (/\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u) as RegExpExecArray)[1] as string),
    ),
  ];
  return { own, packages, status: r.status };
}

/** What only a fleet run needs: the engine, the agents, the MDM service, the broker, the reports. */
const FLEET_ONLY = [
  'simulator/fleet/engine-fleet.ts',
  'simulator/fleet/run-command.ts',
  'simulator/engine/coordinator.ts',
  'agent/runtime/device-agent.ts',
  'simulator/service/mdm/mdm-service.ts',
  'simulator/broker/embedded-broker.ts',
  'simulator/report/write-reports.ts',
];

describe('the CLI starts without the fleet engine', () => {
  it.each([[['--help']], [['show', '--help']], [['ca', '--help']], [['diff', '--help']]])(
    'certfleet %j loads no fleet module and no broker package',
    (args) => {
      const { own, packages, status } = loaded(args);
      expect(status).toBe(0);
      expect(own).toContain('cli/main.ts'); // the trace saw the CLI itself
      expect(own.filter((m) => FLEET_ONLY.includes(m))).toEqual([]);
      expect(packages).not.toContain('aedes');
      expect(packages).not.toContain('mqtt');
    },
  );

  it('certfleet --help loads every command definition, a named command only its own', () => {
    const definitions = (own: string[]): string[] =>
      [...new Set(own.filter((m) => m.startsWith('cli/commands/') && m !== 'cli/commands/index.ts'))].sort();
    const all = loaded(['--help']);
    expect(all.status).toBe(0);
    expect(definitions(all.own)).toEqual(COMMAND_FILES.map((f) => `cli/commands/${f}`));
    const ca = loaded(['ca', '--help']);
    expect(ca.status).toBe(0);
    expect(definitions(ca.own)).toEqual(['cli/commands/ca.ts']);
    // a mistyped command: refused before any command is loaded, the closest name from the list of names
    const typo = loaded(['profil', 'compile']);
    expect(typo.status).toBe(2);
    expect(definitions(typo.own)).toEqual([]);
  });

  it('a command that runs still loads what it needs (the trace would see the fleet engine)', () => {
    // `replay` with no run folder fails before it replays anything, after loading its implementation
    const { own, status } = loaded(['replay', 'device-that-is-not-there', '--run', join(work, 'no-run')]);
    expect(status).not.toBe(0);
    expect(own).toContain('simulator/fleet/replay.ts');
  });
});
