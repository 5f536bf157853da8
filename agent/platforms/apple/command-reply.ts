/**
 * The Apple device's answer to an MDM command (InstallProfile, RemoveProfile): the command-response plist
 * (docs/formats.md §1.5, docs/errors.md §2.1) built with the codec's {@link encodeCommandResponse}, and the same answer
 * as the typed {@link NativeStatus} every outcome carries.
 */
import { createHash } from 'node:crypto';
import {
  encodeCommandResponse,
  type ApplePlatform,
  type ErrorChainItem,
} from '../../../profiles/apple/index.ts';
import type { Device } from '../../device/device.ts';
import type { NativeStatus } from '../../../protocol/wire/outcome.ts';

/** A reply and its typed form. */
export interface AppleReply {
  reply: Buffer;
  native: NativeStatus;
}

/**
 * The CommandUUID to answer with: the command's own (DeliveryMeta.commandUuid), else a name-based UUID
 * derived from the SHA-256 of the delivered bytes (same payload → same UUID; certfleet's choice, since a
 * real device always has the command's UUID).
 */
export function commandUuidFor(commandUuid: string | undefined, contentHash: string): string {
  if (commandUuid !== undefined && commandUuid !== '') return commandUuid;
  const b = Buffer.from(contentHash.slice(0, 32), 'hex');
  b[6] = ((b[6] as number) & 0x0f) | 0x50; // version 5 (name-based)
  b[8] = ((b[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** SHA-256 of the delivered bytes, lower-case hex (duplicate detection). */
export function contentHashOf(payload: Buffer): string {
  return createHash('sha256').update(payload).digest('hex');
}

/**
 * The `UDID` of the response: the device's UDID attribute. A User Enrollment device has none (its real
 * responses carry `EnrollmentID` instead, which the codec does not model), so certfleet's device id stands in.
 */
export function replyUdid(device: Device): string {
  return device.attributes.udid ?? device.id;
}

/** Builds the reply: `Acknowledged` without a chain, `Error` with one. */
export function appleReply(
  platform: ApplePlatform,
  device: Device,
  commandUuid: string,
  chain?: readonly ErrorChainItem[],
): AppleReply {
  const failed = chain !== undefined && chain.length > 0;
  const reply = encodeCommandResponse({
    Status: failed ? 'Error' : 'Acknowledged',
    CommandUUID: commandUuid,
    UDID: replyUdid(device),
    ...(failed ? { ErrorChain: [...chain] } : {}),
  });
  return {
    reply,
    native: {
      platform,
      status: failed ? 'Error' : 'Acknowledged',
      errorChain: failed
        ? chain.map((c) => ({
            ErrorCode: c.ErrorCode,
            ErrorDomain: c.ErrorDomain,
            LocalizedDescription: c.LocalizedDescription,
          }))
        : [],
    },
  };
}
