/** The benchmark suites `npm run bench` knows, by name. */
import type { BenchArgs } from './args.ts';
import { benchCheckpoint } from './checkpoint.ts';
import { benchFleet } from './fleet.ts';
import { benchIdle } from './idle.ts';
import { benchPkcs12 } from './pkcs12.ts';
import { benchPki } from './pki.ts';

/** Each suite gets the parsed command line (bench/args.ts); pki and pkcs12 print text only. */
export const suites: Record<string, (args: BenchArgs) => Promise<void>> = {
  pki: benchPki,
  pkcs12: benchPkcs12,
  fleet: benchFleet,
  idle: benchIdle,
  checkpoint: benchCheckpoint,
};
