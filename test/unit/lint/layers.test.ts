/**
 * The layer rules of eslint.config.js really hold (docs/architecture.md "Layers"; regression issue 8: a
 * later `no-restricted-imports` block replaced the earlier one, so each layer silently dropped the global
 * bans and nothing stopped simulator/ importing cli/; issue 9: the neutral protocol/ layer, and the service
 * side, simulator/service/, which may not import agent/ while the rest of simulator/ may). Each case lints a
 * small in-memory file placed in a layer's folder through ESLint's own API and the project's config, and
 * expects the error — or its absence.
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

/** An import of `target` (a repo path) from the file `from` (a repo path), as a relative specifier. */
const importFrom = (target: string, from: string): string =>
  `import { x } from '${'../'.repeat(from.split('/').length - 1)}${target}';\nexport const y = x;\n`;

// Each layer (a folder, or a sub-folder with its own rule), folders it must not import, and ones it may.
const LAYERS = [
  {
    layer: 'pki',
    forbidden: ['profiles/model/x.ts', 'protocol/wire/x.ts', 'agent/x.ts', 'simulator/x.ts', 'cli/x.ts'],
    allowed: [],
  },
  {
    layer: 'profiles',
    forbidden: ['protocol/wire/x.ts', 'agent/x.ts', 'simulator/x.ts', 'cli/x.ts'],
    allowed: ['pki/x.ts'],
  },
  {
    layer: 'protocol',
    forbidden: ['agent/x.ts', 'agent/device/x.ts', 'simulator/x.ts', 'simulator/service/x.ts', 'cli/x.ts'],
    allowed: ['profiles/x.ts', 'pki/x.ts'],
  },
  {
    layer: 'agent',
    forbidden: ['simulator/x.ts', 'cli/x.ts'],
    allowed: ['protocol/wire/x.ts', 'profiles/x.ts', 'pki/x.ts'],
  },
  {
    layer: 'simulator',
    forbidden: ['cli/x.ts'],
    allowed: ['agent/x.ts', 'protocol/wire/x.ts', 'profiles/x.ts', 'pki/x.ts'],
  },
  {
    layer: 'simulator/service',
    forbidden: ['agent/x.ts', 'agent/device/device.ts', 'cli/x.ts'],
    allowed: [
      'simulator/fleet/x.ts',
      'protocol/wire/x.ts',
      'protocol/runtime/x.ts',
      'profiles/x.ts',
      'pki/x.ts',
    ],
  },
  {
    layer: 'simulator/fleet',
    forbidden: ['cli/x.ts'],
    allowed: ['agent/x.ts', 'simulator/service/x.ts', 'protocol/wire/x.ts', 'profiles/x.ts', 'pki/x.ts'],
  },
  {
    layer: 'cli',
    forbidden: [],
    allowed: ['simulator/x.ts', 'agent/x.ts', 'protocol/x.ts', 'profiles/x.ts', 'pki/x.ts'],
  },
] as const;

describe.each(LAYERS)('layer $layer/', ({ layer, forbidden, allowed }) => {
  const file = `${layer}/sub/probe.ts`;
  const importOf = (target: string): string => importFrom(target, file);

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

describe('the service side and the fleet (issue 9 point 5)', () => {
  it('simulator/service/ may not import the agent, in any sub-folder, and says why', async () => {
    for (const file of ['simulator/service/mdm/probe.ts', 'simulator/service/connector/probe.ts']) {
      const messages = await restricted(file, importFrom('agent/device/device.ts', file));
      expect(messages).toEqual([expect.stringContaining('The service side never imports the agent')]);
    }
  });

  it('simulator/fleet/ (which hosts agents) and simulator/tools/ may import the agent and the service', async () => {
    for (const file of ['simulator/fleet/probe.ts', 'simulator/tools/probe.ts']) {
      expect(await restricted(file, importFrom('agent/runtime/device-agent.ts', file))).toEqual([]);
      expect(await restricted(file, importFrom('simulator/service/mdm/index.ts', file))).toEqual([]);
    }
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
    const results = await eslint.lintFiles(['pki', 'profiles', 'protocol', 'agent', 'simulator', 'cli']);
    expect(results.length).toBeGreaterThan(200);
    const violations = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(violations).toEqual([]);
  });
});
