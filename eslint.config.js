// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Import bans that hold in every folder. ESLint's flat config does not merge a rule's options across
 * blocks: a later `no-restricted-imports` block REPLACES an earlier one for the files it matches, so every
 * layer block below repeats these (through `layerRule`) instead of inheriting them.
 */
const EVERYWHERE = [{ group: ['node-forge/lib/rsa*'], message: 'Use native crypto for RSA.' }];

/** Bans for the product's code (every layer): dev-only packages and the test/bench trees. */
const PRODUCT = [
  {
    group: ['node-forge', 'node-forge/**'],
    message:
      'node-forge is a dev dependency (the pkcs12 bench baseline): product code uses node:crypto and pki/.',
  },
  { group: ['**/test/**', '**/bench/**'], message: 'Product code never imports tests or benchmarks.' },
];

/**
 * The layers (docs/architecture.md "Layers"): dependencies point downwards only,
 * cli/ → simulator/ → agent/ → protocol/ → profiles/ → pki/, and the service side (simulator/service/) skips
 * agent/: it meets the devices only through the neutral protocol/ layer (wire protocol, runtime ports,
 * transport). The rest of simulator/ (the fleet, which hosts agents; tools/) may import agent/.
 * Each entry: the folder, the folders it must not import, and why. A more specific folder comes after the
 * folder that contains it, so that its block (carrying the full list) replaces the outer one for its files.
 */
const LAYERS = [
  {
    folder: 'pki',
    banned: ['profiles', 'protocol', 'agent', 'simulator', 'cli'],
    message: 'pki/ knows nothing of devices, profiles or the simulator.',
  },
  {
    folder: 'profiles',
    banned: ['protocol', 'agent', 'simulator', 'cli'],
    message: 'profiles/ may only depend on pki/.',
  },
  {
    folder: 'protocol',
    banned: ['agent', 'simulator', 'cli'],
    message:
      'protocol/ is the neutral layer both sides share: it never imports the agent, the simulator or the CLI (only profiles/ and pki/).',
  },
  {
    folder: 'agent',
    banned: ['simulator', 'cli'],
    message: 'The agent never imports the simulator (nor the CLI): it only sees native payloads.',
  },
  {
    folder: 'simulator',
    banned: ['cli'],
    message: 'simulator/ never imports the CLI: cli/ delegates to it.',
  },
  {
    folder: 'simulator/service',
    banned: ['agent', 'cli'],
    message:
      'The service side never imports the agent (what both share is in protocol/) nor the CLI; only the fleet hosts agents.',
  },
];

/**
 * The full `no-restricted-imports` rule for one layer: the global bans, the product bans and its own.
 * @param {{ folder: string, banned: string[], message: string }} layer
 */
function layerRule(layer) {
  return [
    'error',
    {
      patterns: [
        ...EVERYWHERE,
        ...PRODUCT,
        { group: layer.banned.map((f) => `**/${f}/**`), message: layer.message },
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'runs/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: EVERYWHERE }],
    },
  },
  // The CLI is the top layer: it may import every layer, but not tests, benchmarks or dev-only packages.
  {
    files: ['cli/**/*.ts', 'bin/**/*.mjs'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...EVERYWHERE, ...PRODUCT] }] },
  },
  ...LAYERS.map((layer) => ({
    files: [`${layer.folder}/**/*.ts`],
    rules: { 'no-restricted-imports': layerRule(layer) },
  })),
);
