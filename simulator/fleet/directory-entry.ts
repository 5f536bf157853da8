/**
 * `directoryEntryOf(device)`: the fleet's side of the tenant directory — it turns a simulated `Device`
 * (agent/device) into the plain {@link DirectoryEntry} the MDM service reads (simulator/service/mdm/directory.ts),
 * so that the service side never imports the agent.
 */
import type { Device } from '../../agent/device/device.ts';
import type { DirectoryEntry, DirectoryUser } from '../service/mdm/directory.ts';

/**
 * The directory entry of a simulated `device`: what Entra ID holds about it and its user, built from the
 * device's own attribute values so that forced absences (scenario overrides) carry over.
 */
export function directoryEntryOf(device: Device, tags: readonly string[] = []): DirectoryEntry {
  const a = device.attributes;
  const user: DirectoryUser | null =
    device.user === null
      ? null
      : {
          ...(a.userName !== undefined && { userName: a.userName }),
          ...(a.userPrincipalName !== undefined && { userPrincipalName: a.userPrincipalName }),
          ...(a.emailAddress !== undefined && { mail: a.emailAddress }),
          ...(a.department !== undefined && { department: a.department }),
          ...(device.user.synced && {
            onPremises: {
              ...(a.onPremisesDistinguishedName !== undefined && {
                distinguishedName: a.onPremisesDistinguishedName,
              }),
              ...(a.onPremisesSamAccountName !== undefined && { samAccountName: a.onPremisesSamAccountName }),
              ...(a.userSid !== undefined && { sid: a.userSid }),
            },
          }),
        };
  return {
    intuneDeviceId: a.intuneDeviceId ?? null,
    ...(a.entraDeviceId !== undefined && { entraDeviceId: a.entraDeviceId }),
    ...(a.deviceName !== undefined && { deviceName: a.deviceName }),
    ...(a.deviceSid !== undefined && { deviceSid: a.deviceSid }),
    ...(device.enrolledOsVersion !== device.osVersion && { enrolledOsVersion: device.enrolledOsVersion }),
    user,
    ...(tags.length > 0 && { tags: [...tags] }),
    ...(device.user !== null && { limitKey: device.user.userPrincipalName }),
  };
}
