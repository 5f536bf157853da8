/**
 * `certificate: issuing` in a trusted-certificate profile (issue 12 point 7): the run CA's issuing
 * certificate — an intermediate, which a trusted-certificate profile may carry (docs/formats.md §5.2 "Trust
 * chain", TRUSTDOC). It is the issuing certificate *current when the service binds it*: at the start of the
 * run, and again at each `uploadIssuingCa` action (the administrator uploads the renewed issuing CA into the
 * profile after a rollover; the service re-sends the changed profile). Until bound the model carries
 * {@link CA_ISSUING_PLACEHOLDER}.
 */
import type { Scenario } from './types.ts';

/** A minimal DER SEQUENCE standing in for the issuing CA until the run's CA exists (not the root's placeholder). */
export const CA_ISSUING_PLACEHOLDER: Uint8Array = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01);

/** True when a trusted profile of the scenario says `certificate: issuing`. */
export function needsCaIssuing(scenario: Scenario): boolean {
  return scenario.profiles.some((p) => p.trustedSource?.type === 'ca-issuing');
}

/**
 * The scenario with `issuingDer` put into every trusted profile that says `certificate: issuing`. Returns a
 * new scenario; the one given is not changed.
 */
export function bindCaIssuing(scenario: Scenario, issuingDer: Uint8Array): Scenario {
  return {
    ...scenario,
    profiles: scenario.profiles.map((p) =>
      p.trustedSource?.type !== 'ca-issuing'
        ? p
        : {
            ...p,
            models: Object.fromEntries(
              Object.entries(p.models).map(([f, m]) => [
                f,
                m?.kind === 'trusted-certificate' ? { ...m, certificate: new Uint8Array(issuingDer) } : m,
              ]),
            ),
          },
    ),
  };
}
