// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node-forge/lib/rsa*'], message: 'Use native crypto for RSA.' }] },
      ],
    },
  },
  // Layering (docs/architecture.md): dependencies point downwards only.
  {
    files: ['pki/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/profiles/**', '**/agent/**', '**/simulator/**', '**/cli/**'],
              message: 'pki/ knows nothing of devices, profiles or the simulator.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['profiles/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/agent/**', '**/simulator/**', '**/cli/**'],
              message: 'profiles/ may only depend on pki/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/simulator/**', '**/cli/**'], message: 'The agent never imports the simulator.' },
          ],
        },
      ],
    },
  },
);
