/**
 * What the scenario's connector outages (`fleet.failures.connectorDown`, planned per connector by
 * planConnectors) did to the rows still waiting for a certificate when the run ended. The service only sees
 * that no connector took a request (`CERTIFICATE_NOT_ISSUED`, "Waiting for a certificate connector…"); the
 * run knows why when every connector was down at the end: the row says which connectors, since when and
 * until when, so a QA engineer reads the outage there, not only in run.db's `connector-down` events.
 */
import type { ConnectorPlan } from '../../scenario/index.ts';
import type { DeviceProfileOutcome } from '../../run-model.ts';

/**
 * The sentence a waiting row gets when every connector of `plans` was down at `end` (epoch ms); undefined
 * when one was running (the requests were its to take) or no connector is planned.
 */
export function allConnectorsDownNote(plans: readonly ConnectorPlan[], end: number): string | undefined {
  if (plans.length === 0) return undefined;
  const windows = plans.map((p) => ({ id: p.id, w: p.down.find((w) => w.from <= end && end < w.to) }));
  if (windows.some((x) => x.w === undefined)) return undefined;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const each = windows.map((x) => `${x.id} from ${iso(x.w!.from)} until ${iso(x.w!.to)}`).join(', ');
  const who =
    plans.length === 1
      ? 'The only certificate connector was'
      : `All ${plans.length} certificate connectors were`;
  return `${who} down when the run ended (the scenario's fleet.failures.connectorDown): ${each}.`;
}

/** `outcomes` with the note of {@link allConnectorsDownNote} added to each row still waiting for a certificate. */
export function noteConnectorOutages(
  outcomes: readonly DeviceProfileOutcome[],
  plans: readonly ConnectorPlan[],
  end: number,
): DeviceProfileOutcome[] {
  const note = allConnectorsDownNote(plans, end);
  if (note === undefined) return [...outcomes];
  return outcomes.map((o) =>
    o.status === 'pending' && o.code === 'CERTIFICATE_NOT_ISSUED'
      ? { ...o, message: `${o.message} ${note}` }
      : o,
  );
}
