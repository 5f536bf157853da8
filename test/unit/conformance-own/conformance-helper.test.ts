/**
 * The conformance helper (test/fixtures/conformance-files.ts): where the folder is, what is missing, whether
 * missing material fails the run, and the one line global setup prints. Every case passes its own environment,
 * so the real one (and the real folder) do not matter.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFORMANCE_FILES,
  conformanceDir,
  conformancePath,
  conformanceRequired,
  conformanceStatusLine,
  hasConformance,
  missingConformance,
  missingMessage,
  REPO_ROOT,
} from '../../fixtures/conformance-files.ts';

let full: string;
let partial: string;
/** The one file the partial folder holds. */
const ONE_PRESENT =
  'corpus/windows-devdetail/hotnops-Imitune__src_imitune_data__managementTree.json.template.json';

beforeAll(() => {
  full = mkdtempSync(join(tmpdir(), 'certfleet-conformance-full-'));
  partial = mkdtempSync(join(tmpdir(), 'certfleet-conformance-partial-'));
  for (const rel of CONFORMANCE_FILES) {
    mkdirSync(dirname(join(full, rel)), { recursive: true });
    writeFileSync(join(full, rel), 'placeholder written by the test');
  }
  mkdirSync(dirname(join(partial, ONE_PRESENT)), { recursive: true });
  writeFileSync(join(partial, ONE_PRESENT), 'placeholder written by the test');
});
afterAll(() => {
  rmSync(full, { recursive: true, force: true });
  rmSync(partial, { recursive: true, force: true });
});

describe('conformance folder', () => {
  it('the repository root is the folder holding package.json and this test', () => {
    expect(resolve(REPO_ROOT, 'test/unit/conformance-own')).toBe(dirname(fileURLToPath(import.meta.url)));
  });

  it('defaults to ../shared from the repository root, whatever the working directory', () => {
    expect(conformanceDir({})).toBe(resolve(REPO_ROOT, '..', 'shared'));
    expect(conformanceDir({ CERTFLEET_CONFORMANCE_DIR: '' })).toBe(resolve(REPO_ROOT, '..', 'shared'));
  });

  it('takes CERTFLEET_CONFORMANCE_DIR, a relative value from the repository root', () => {
    expect(conformanceDir({ CERTFLEET_CONFORMANCE_DIR: full })).toBe(full);
    expect(conformanceDir({ CERTFLEET_CONFORMANCE_DIR: '../elsewhere' })).toBe(
      resolve(REPO_ROOT, '../elsewhere'),
    );
    expect(conformancePath('corpus/x.json', { CERTFLEET_CONFORMANCE_DIR: full })).toBe(
      join(full, 'corpus/x.json'),
    );
  });

  it('lists 20 distinct relative files (payloads and schemas)', () => {
    expect(CONFORMANCE_FILES).toHaveLength(20);
    expect(new Set(CONFORMANCE_FILES).size).toBe(20);
    for (const rel of CONFORMANCE_FILES) expect(rel).toMatch(/^(corpus|schemas)\/[^/]/);
  });

  it('tells what is missing: nothing, some files, or everything', () => {
    expect(missingConformance(CONFORMANCE_FILES, { CERTFLEET_CONFORMANCE_DIR: full })).toEqual([]);
    expect(hasConformance(CONFORMANCE_FILES, { CERTFLEET_CONFORMANCE_DIR: full })).toBe(true);
    const some = missingConformance(CONFORMANCE_FILES, { CERTFLEET_CONFORMANCE_DIR: partial });
    expect(some).toEqual(CONFORMANCE_FILES.filter((f) => f !== ONE_PRESENT));
    expect(hasConformance([ONE_PRESENT], { CERTFLEET_CONFORMANCE_DIR: partial })).toBe(true);
    expect(hasConformance(['schemas'], { CERTFLEET_CONFORMANCE_DIR: partial })).toBe(false);
    const none = { CERTFLEET_CONFORMANCE_DIR: join(partial, 'no-such-folder') };
    expect(missingConformance(CONFORMANCE_FILES, none)).toEqual([...CONFORMANCE_FILES]);
    expect(hasConformance([], none)).toBe(false); // no folder at all
  });

  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['1', true],
    ['true', true],
  ])('CERTFLEET_CONFORMANCE_REQUIRED=%j → required %s', (v, required) => {
    expect(conformanceRequired(v === undefined ? {} : { CERTFLEET_CONFORMANCE_REQUIRED: v })).toBe(required);
  });
});

describe('the messages', () => {
  it('missing folder: one line saying what is skipped, why, and how to run it', () => {
    const line = conformanceStatusLine({ CERTFLEET_CONFORMANCE_DIR: '/nonexistent-conformance' });
    expect(line).not.toContain('\n');
    expect(line).toMatch(
      /^conformance suite skipped: \/nonexistent-conformance \(CERTFLEET_CONFORMANCE_DIR\) not found/,
    );
    expect(line).toContain('20 files of third-party payloads/schemas');
    expect(line).toContain('are not in this repository');
    expect(line).toContain('run it with CERTFLEET_CONFORMANCE_DIR=/path/to/shared npm test');
    expect(conformanceStatusLine({})).toMatch(/^conformance suite(: runs against| skipped:) \.\.\/shared /);
  });

  it('some files missing: one line naming them', () => {
    const line = conformanceStatusLine({ CERTFLEET_CONFORMANCE_DIR: partial });
    expect(line).not.toContain('\n');
    expect(line).toContain('conformance suite partly skipped: 19 of 20 files not found');
    expect(line).toContain('schemas/apple/commands/information.device.yaml');
  });

  it('everything present: one line saying it runs', () => {
    expect(conformanceStatusLine({ CERTFLEET_CONFORMANCE_DIR: full })).toBe(
      `conformance suite: runs against ${full} (20 files of third-party payloads/schemas)`,
    );
  });

  it('required but missing: names the path and both variables', () => {
    const gone = join(partial, 'gone');
    const folder = missingMessage(CONFORMANCE_FILES, { CERTFLEET_CONFORMANCE_DIR: gone });
    expect(folder).toContain(`the folder ${gone} does not exist`);
    expect(folder).toContain(`CERTFLEET_CONFORMANCE_DIR=${gone}`);
    expect(folder).toMatch(/^CERTFLEET_CONFORMANCE_REQUIRED=1 but the conformance material is missing/);
    const files = missingMessage(['corpus/graph-json/a.json'], { CERTFLEET_CONFORMANCE_DIR: partial });
    expect(files).toContain(`1 file(s) missing from ${partial}: corpus/graph-json/a.json`);
  });
});
