/** The benchmark suites `npm run bench` knows, by name. */
import { benchFleet } from './fleet.ts';
import { benchPkcs12 } from './pkcs12.ts';
import { benchPki } from './pki.ts';

export const suites: Record<string, () => Promise<void>> = {
  pki: benchPki,
  pkcs12: benchPkcs12,
  fleet: benchFleet,
};
