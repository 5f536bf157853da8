/**
 * `npm run bench [-- SUITE…]`: runs the named benchmark suites (all when none is named) and prints their
 * figures. Timing lives here, never in a test's pass/fail (docs/architecture.md house rule 12).
 */
import { suites } from './suites.ts';

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(suites);
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    process.stderr.write(
      `error USAGE: no benchmark suite '${name}'; known: ${Object.keys(suites).join(', ')}\n`,
    );
    process.exit(2);
  }
  process.stdout.write(`\n== ${name} ==\n`);
  await suite();
}
