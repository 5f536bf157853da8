/**
 * `npm run bench [-- SUITE… [options]]`: runs the named benchmark suites (all when none is named) and prints
 * their figures, as text or (`--json`) one JSON object per suite. Timing lives here, never in a test's
 * pass/fail (docs/architecture.md house rule 12). Options: bench/args.ts.
 */
import { isCertfleetError } from '../pki/errors.ts';
import { parseBenchArgs } from './args.ts';
import { suites } from './suites.ts';
import { limitHeapGrowth } from '../simulator/fleet/heap-growth.ts';

// the heap grows as it does in a certfleet process (the fleet suite runs the fleet in this one)
limitHeapGrowth();

let args;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`error ${isCertfleetError(e) ? e.code : 'USAGE'}: ${(e as Error).message}\n`);
  process.exit(2);
}
const names = args.suites.length > 0 ? args.suites : Object.keys(suites);
for (const name of names) {
  if (!suites[name]) {
    process.stderr.write(
      `error USAGE: no benchmark suite '${name}'; known: ${Object.keys(suites).join(', ')}\n`,
    );
    process.exit(2);
  }
}
for (const name of names) {
  if (!args.json) process.stdout.write(`\n== ${name} ==\n`);
  await suites[name]!(args);
}
