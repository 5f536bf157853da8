/**
 * The long fuzz run: `npm run fuzz -- --time N [--seed S]` runs cases for N seconds (default 60) over every
 * decoder and prints the cases run, how many broke the property with an uncoded or INTERNAL error, and how
 * many took 2 s or more. Exit 1 when any did. Each failure line gives the seed and case to reproduce it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { describeFailures, runFuzz } from './property.ts';
import { buildTargets } from './targets.ts';

const { values } = parseArgs({
  options: { time: { type: 'string', default: '60' }, seed: { type: 'string' } },
});
const seconds = Number(values.time);
if (!Number.isFinite(seconds) || seconds <= 0) {
  process.stderr.write(`--time must be a number of seconds above 0, not '${values.time}'.\n`);
  process.exit(2);
}
const seed = values.seed === undefined ? (Date.now() % 2 ** 31) >>> 0 : Number(values.seed) >>> 0;
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const targets = buildTargets(key);
process.stdout.write(`fuzz: seed ${seed}, ${seconds} s over ${targets.length} targets\n`);
const t0 = Date.now();
const stats = runFuzz(targets, { seed, untilMs: t0 + seconds * 1000 });
const took = ((Date.now() - t0) / 1000).toFixed(1);
process.stdout.write(
  `cases run: ${stats.cases} in ${took} s\n` +
    Object.entries(stats.perTarget)
      .map(([t, n]) => `  ${t}: ${n}\n`)
      .join('') +
    `INTERNAL or uncoded: ${stats.internal}\n` +
    `over 2 s: ${stats.slow}\n`,
);
if (stats.failures.length > 0) {
  process.stdout.write(`${describeFailures(stats.failures)}\n`);
  process.exit(1);
}
