#!/usr/bin/env node
// The certfleet command: runs the TypeScript CLI through tsx, so `npx certfleet …` works after `npm ci`,
// from any working directory (tsx is pointed at the project's own tsconfig.json).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/main.ts');
