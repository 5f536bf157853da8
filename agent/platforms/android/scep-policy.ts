/**
 * The network half of an Android policy with `ENROLL_SCEP` commands (docs/formats.md §3.5): before the policy
 * is planned and applied (adapter.ts, one transaction), the device enrols for each SCEP command it would act
 * on (scep-enrol.ts) with a key made in its key store (agent/scep-device-key.ts). A command the planner
 * refuses anyway (SILENT access outside device-owner modes) is not enrolled, so its one-time challenge is not
 * spent. The results go to the planner by command index.
 */
import type { AndroidPolicy } from '../../../profiles/android/policy-model.ts';
import type { AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import { deviceScepKey } from '../../scep-device-key.ts';
import { ANDROID_KIND_RULES } from './enrollment-rules.ts';
import { enrolAndroidScep, type AndroidScepResult } from './scep-enrol.ts';

/** Enrols the policy's SCEP commands, one after the other; undefined when it has none. */
export async function enrolScepCommands(
  ctx: DeviceContext,
  kind: AndroidEnrollmentKind,
  policy: AndroidPolicy,
): Promise<Map<number, AndroidScepResult> | undefined> {
  const commands = policy.certificateCommands ?? [];
  if (!commands.some((c) => c.type === 'ENROLL_SCEP')) return undefined;
  const out = new Map<number, AndroidScepResult>();
  for (const [i, c] of commands.entries()) {
    if (c.type !== 'ENROLL_SCEP') continue;
    if (c.access.type === 'SILENT' && !ANDROID_KIND_RULES[kind].silentAccessAllowed) continue;
    out.set(
      i,
      await enrolAndroidScep(c, { keyPair: (bits) => deviceScepKey(ctx, bits), now: () => ctx.clock.now() }),
    );
  }
  return out;
}
