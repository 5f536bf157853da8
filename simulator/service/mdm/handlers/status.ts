/**
 * `out/status/{profile}`: the device's native reply to a payload (SyncML status, Apple command response,
 * Android compliance report). The service reads no more than that an answer came: the delivery stops
 * re-sending. What happened is in the typed outcome (handlers/outcome.ts).
 */
import type { ServiceContext } from './context.ts';
import { answered } from './delivery.ts';

/** What the status handler uses. */
export type StatusContext = Pick<ServiceContext, 'deliveries'>;

/** Handles a native reply of `deviceId` about `profile`. */
export function handleStatus(ctx: StatusContext, deviceId: string, profile: string): void {
  const d = ctx.deliveries.get(deviceId, profile);
  if (!d || d.removed) return;
  answered(d);
}
