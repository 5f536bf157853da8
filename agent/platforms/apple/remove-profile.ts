/**
 * RemoveProfile on a simulated Apple device (docs/formats.md §1.5: key `Identifier` = the profile's
 * PayloadIdentifier): removes exactly that profile's keychain items, in one transaction. An identifier that
 * is not installed answers `MDMErrorDomain 12075` "The profile “X” is not installed." (docs/errors.md §2.3,
 * observed; older OS versions say MCMDMErrorDomain) with outcome code INSTALL_NOT_FOUND.
 *
 * The outcome of a successful removal has status `installed` and code `OK` (InstallOutcome has no
 * `removed` status); its message says what was removed.
 */
import type { ApplePlatform } from '../../../profiles/apple/index.ts';
import type { DeviceContext } from '../../platform-adapter.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import { appleReply, commandUuidFor, contentHashOf } from './command-reply.ts';
import { keychainPrefix } from './keychains.ts';
import { APPLE_CASES, chainItem } from './native-status.ts';
import { APPLE_ERRORS } from '../../../profiles/apple/index.ts';
import { removeProfileItems } from './profile-items.ts';

/** Removes the profile `identifier` from the device (the adapter's `remove`). Never throws for bad input. */
export function removeAppleProfile(
  platform: ApplePlatform,
  ctx: DeviceContext,
  identifier: string,
): InstallOutcome {
  const deviceId = ctx.device.id;
  const commandUuid = commandUuidFor(
    undefined,
    contentHashOf(Buffer.from(`RemoveProfile\n${identifier}`, 'utf8')),
  );
  const base = { device: deviceId, platform, payload: identifier };
  const installed = ctx.db.profile(deviceId, identifier);
  if (!installed) {
    const { native } = appleReply(platform, ctx.device, commandUuid, [
      chainItem(APPLE_ERRORS.profileNotInstalled, `The profile \u201c${identifier}\u201d is not installed.`),
    ]);
    return {
      ...base,
      status: 'failed',
      code: APPLE_CASES.profileNotInstalled.code,
      message: `The profile "${identifier}" is not installed on this device; nothing was removed.`,
      native,
    };
  }
  const removed = ctx.db.transaction(() => {
    const n = removeProfileItems(ctx.db, deviceId, identifier, keychainPrefix(platform));
    ctx.db.removeProfile(deviceId, identifier);
    return n;
  });
  const { native } = appleReply(platform, ctx.device, commandUuid);
  return {
    ...base,
    status: 'installed',
    code: 'OK',
    message: `Removed profile "${identifier}" and its ${removed} keychain item(s).`,
    native,
  };
}
