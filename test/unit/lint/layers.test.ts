/**
 * The layer rules of eslint.config.js really hold (docs/architecture.md "Layers"; regression issue 8: a
 * later `no-restricted-imports` block replaced the earlier one, so each layer silently dropped the global
 * bans and nothing stopped simulator/ importing cli/). Each case lints a small in-memory file placed in a
 * layer's folder through ESLint's own API and the project's config, and expects the error — or its absence.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The `no-restricted-imports` messages ESLint gives `source` as if it were the file `path` of the repo. */
async function restricted(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${ROOT}${path}` });
  if (result === undefined) throw new Error('ESLint returned no result');
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`parse error: ${fatal.map((m) => m.message).join('; ')}`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

/** An import of `target` (a repo path) from a file one folder deep in `layer`. */
const importOf = (target: string): string => `import { x } from '../../${target}';\nexport const y = x;\n`;

// Each layer, a folder above it that it must not import, and one below it that it may.
const LAYERS = [
  {
    layer: 'pki',
    forbidden: ['profiles/model/x.ts', 'agent/x.ts', 'simulator/x.ts', 'cli/x.ts'],
    allowed: [],
  },
  { layer: 'profiles', forbidden: ['agent/x.ts', 'simulator/x.ts', 'cli/x.ts'], allowed: ['pki/x.ts'] },
  { layer: 'agent', forbidden: ['simulator/x.ts', 'cli/x.ts'], allowed: ['profiles/x.ts', 'pki/x.ts'] },
  { layer: 'simulator', forbidden: ['cli/x.ts'], allowed: ['agent/x.ts', 'profiles/x.ts', 'pki/x.ts'] },
  { layer: 'cli', forbidden: [], allowed: ['simulator/x.ts', 'agent/x.ts', 'profiles/x.ts', 'pki/x.ts'] },
] as const;

describe.each(LAYERS)('layer $layer/', ({ layer, forbidden, allowed }) => {
  const file = `${layer}/sub/probe.ts`;

  it.each(forbidden.map((t) => [t]))('may not import %s', async (target) => {
    const messages = await restricted(file, importOf(target));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/never imports|knows nothing|may only depend/);
  });

  if (allowed.length > 0) {
    it.each(allowed.map((t) => [t]))('may import %s', async (target) => {
      expect(await restricted(file, importOf(target))).toEqual([]);
    });
  }

  it("keeps the global ban on node-forge's RSA", async () => {
    const messages = await restricted(
      file,
      "import rsa from 'node-forge/lib/rsa.js';\nexport const r = rsa;\n",
    );
    expect(messages.some((m) => m.includes('Use native crypto for RSA'))).toBe(true);
  });

  it('may not import node-forge (a dev dependency) or the tests', async () => {
    expect(await restricted(file, "import forge from 'node-forge';\nexport const f = forge;\n")).toEqual([
      expect.stringContaining('dev dependency'),
    ]);
    expect(await restricted(file, importOf('test/fixtures/key-pool.ts'))).toEqual([
      expect.stringContaining('never imports tests'),
    ]);
  });
});

describe('outside the product', () => {
  it("bench/ may use node-forge (its baseline) but not node-forge's RSA", async () => {
    expect(
      await restricted('bench/probe.ts', "import forge from 'node-forge';\nexport const f = forge;\n"),
    ).toEqual([]);
    expect(
      await restricted('bench/probe.ts', "import rsa from 'node-forge/lib/rsa.js';\nexport const r = rsa;\n"),
    ).toHaveLength(1);
  });

  it('the repository as committed lints without a layer violation', async () => {
    const results = await eslint.lintFiles(['pki', 'profiles', 'agent', 'simulator', 'cli']);
    expect(results.length).toBeGreaterThan(200);
    const violations = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(violations).toEqual([]);
  });
});
