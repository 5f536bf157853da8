/**
 * The run's SCEP server URL in a scenario's SCEP profiles (issue 14 point 2): an inline `type: scep` profile
 * names no server (read-scep-settings.ts); its `scepServerUrls` hold {@link SCEP_SERVER_PLACEHOLDER} until
 * the run has started its SCEP server on loopback (simulator/fleet/compose/scep-server.ts), which binds its
 * URL here. A URL the scenario did not leave as the placeholder is kept.
 */
import { SCEP_SERVER_PLACEHOLDER } from './read-scep-settings.ts';
import type { Scenario } from './types.ts';

/** True when a profile of the scenario is a SCEP profile (the run then starts a SCEP server). */
export function needsScepServer(scenario: Scenario): boolean {
  return scenario.profiles.some((p) => Object.values(p.models).some((m) => m?.kind === 'scep-certificate'));
}

/** The scenario with `url` in place of the placeholder in every SCEP profile. Returns a new scenario. */
export function bindScepServer(scenario: Scenario, url: string): Scenario {
  return {
    ...scenario,
    profiles: scenario.profiles.map((p) => ({
      ...p,
      models: Object.fromEntries(
        Object.entries(p.models).map(([f, m]) => [
          f,
          m?.kind === 'scep-certificate'
            ? { ...m, scepServerUrls: m.scepServerUrls.map((u) => (u === SCEP_SERVER_PLACEHOLDER ? url : u)) }
            : m,
        ]),
      ),
    })),
  };
}
