#!/usr/bin/env node
// The certfleet command: runs the TypeScript CLI through tsx, so `npx certfleet …` works after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
