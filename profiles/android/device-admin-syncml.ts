/**
 * What an Android **device administrator** receives: not an Android Management API policy (device
 * administrator is not AMAPI-managed), but OMA-DM SyncML addressed to the CertificateStore CSP, which the Intune
 * Company Portal app applies (docs/formats.md §2.5 and §3.4: "Legacy device administrator (OMA-DM through Company
 * Portal) received certificates through the CertificateStore CSP", CSTORE, SCEPTS log).
 *
 * | profile | SyncML | confidence |
 * |---|---|---|
 * | trusted certificate | `Add ./Vendor/MSFT/CertificateStore/Root/{GUID}/EncodedCertificate` (b64 DER) | documented (§3.4, SCEPTS log) |
 * | PKCS certificate | `Atomic` { `Add …/My/User/{GUID}/PFXCertPassword` (chr), `Add …/My/User/{GUID}/EncodedCertificate` (b64 PKCS#12) } | **inferred**: CSTORE says the CSP "does not support installing client certificates"; Intune's DA PKCS node names are not public, so certfleet carries the connector's PKCS#12 and its password under the user `My` store as CCI does for Windows (§2.3) |
 *
 * Store names are case sensitive (CSTORE). The decoder accepts exactly these shapes; any other node under
 * CertificateStore (or outside it) is reported, so a device can answer it with 404/405 instead of ignoring it.
 */
import type { SyncmlCommand, SyncmlItemCommand, SyncmlMessage } from '../windows/syncml-model.ts';
import { isContainer } from '../windows/syncml-walk.ts';

/** The CSP root every device-administrator certificate node lives under (CSTORE). */
export const DA_CERTIFICATE_STORE_ROOT = './Vendor/MSFT/CertificateStore';

/** One certificate install a device-administrator message asks for. */
export type DeviceAdminInstall =
  | {
      kind: 'root';
      /** The `{GUID}` node name (certfleet: a payload id). */
      guid: string;
      /** CmdID of the Add that carries the certificate. */
      cmdId: number;
      /** Base64 text of `EncodedCertificate` (DER). */
      encoded: string;
    }
  | {
      kind: 'pkcs';
      guid: string;
      /** CmdID of the Add that carries the PKCS#12 (the one that starts the install). */
      cmdId: number;
      /** CmdID of the enclosing Atomic. */
      atomicCmdId: number;
      /** Base64 text of `EncodedCertificate` (the PKCS#12). */
      encoded: string;
      /** `PFXCertPassword`, when sent (a secret: never logged). */
      password?: string;
      /** CmdID of the Add that carried the password, when sent. */
      passwordCmdId?: number;
    };

/** A command the device-administrator client does not know, with the SyncML status it answers. */
export interface DeviceAdminUnknown {
  cmdId: number;
  locUri: string;
  /** 404 node not found (unknown node), 405 command not allowed (a verb the CSP does not take). */
  status: 404 | 405;
  reason: string;
}

/** The LocURI of a root node leaf. */
export function daRootLocUri(guid: string): string {
  return `${DA_CERTIFICATE_STORE_ROOT}/Root/${guid}/EncodedCertificate`;
}

/** The LocURI of a user key pair node leaf. */
export function daUserKeyLocUri(guid: string, leaf: 'EncodedCertificate' | 'PFXCertPassword'): string {
  return `${DA_CERTIFICATE_STORE_ROOT}/My/User/${guid}/${leaf}`;
}

/** The Add carrying a root certificate (b64 DER). */
export function buildDaRootAdd(guid: string, der: Uint8Array, cmdId: number): SyncmlItemCommand {
  return {
    kind: 'Add',
    cmdId,
    items: [
      {
        target: daRootLocUri(guid),
        meta: { format: 'b64' },
        data: Buffer.from(der).toString('base64'),
      },
    ],
  };
}

/** The Atomic carrying a PKCS#12 and its password (password first: the blob Add starts the install). */
export function buildDaPkcsAtomic(
  guid: string,
  pkcs12: Uint8Array,
  password: string,
  firstCmdId: number,
): SyncmlCommand {
  return {
    kind: 'Atomic',
    cmdId: firstCmdId,
    children: [
      {
        kind: 'Add',
        cmdId: firstCmdId + 1,
        items: [
          { target: daUserKeyLocUri(guid, 'PFXCertPassword'), meta: { format: 'chr' }, data: password },
        ],
      },
      {
        kind: 'Add',
        cmdId: firstCmdId + 2,
        items: [
          {
            target: daUserKeyLocUri(guid, 'EncodedCertificate'),
            meta: { format: 'b64' },
            data: Buffer.from(pkcs12).toString('base64'),
          },
        ],
      },
    ],
  };
}

const ROOT_RE = /^\.\/Vendor\/MSFT\/CertificateStore\/Root\/([^/]+)\/EncodedCertificate$/;
const USER_RE =
  /^\.\/Vendor\/MSFT\/CertificateStore\/My\/User\/([^/]+)\/(EncodedCertificate|PFXCertPassword)$/;

const ITEM_KINDS: readonly string[] = ['Add', 'Replace', 'Delete', 'Get', 'Exec'];

function isItemCommand(c: SyncmlCommand): c is SyncmlItemCommand {
  return ITEM_KINDS.includes(c.kind);
}

function itemCommands(commands: readonly SyncmlCommand[]): { command: SyncmlItemCommand; atomic?: number }[] {
  const out: { command: SyncmlItemCommand; atomic?: number }[] = [];
  for (const c of commands) {
    if (isContainer(c)) {
      for (const child of c.children) if (isItemCommand(child)) out.push({ command: child, atomic: c.cmdId });
    } else if (isItemCommand(c)) out.push({ command: c });
  }
  return out;
}

/**
 * Reads the installs of a decoded device-administrator message. Adds of known nodes become installs (a key
 * pair's password and blob are joined by GUID); anything else is listed in `unknown` with its SyncML status.
 */
export function readDeviceAdminMessage(message: SyncmlMessage): {
  installs: DeviceAdminInstall[];
  unknown: DeviceAdminUnknown[];
} {
  const installs: DeviceAdminInstall[] = [];
  const unknown: DeviceAdminUnknown[] = [];
  const passwords = new Map<string, { value: string; cmdId: number }>();
  const blobs: { guid: string; cmdId: number; atomic: number | undefined; encoded: string }[] = [];
  for (const { command, atomic } of itemCommands(message.body)) {
    for (const item of command.items) {
      const uri = item.target ?? '';
      const root = ROOT_RE.exec(uri);
      const user = USER_RE.exec(uri);
      if ((root || user) && command.kind !== 'Add') {
        unknown.push({
          cmdId: command.cmdId,
          locUri: uri,
          status: 405,
          reason: `${command.kind} is not supported on ${uri}: the device administrator client takes Add only`,
        });
      } else if (root?.[1] !== undefined) {
        installs.push({ kind: 'root', guid: root[1], cmdId: command.cmdId, encoded: item.data ?? '' });
      } else if (user?.[1] !== undefined && user[2] === 'PFXCertPassword') {
        passwords.set(user[1], { value: item.data ?? '', cmdId: command.cmdId });
      } else if (user?.[1] !== undefined) {
        blobs.push({ guid: user[1], cmdId: command.cmdId, atomic, encoded: item.data ?? '' });
      } else {
        unknown.push({
          cmdId: command.cmdId,
          locUri: uri,
          status: 404,
          reason: `${uri || '(no LocURI)'} is not a CertificateStore node the device administrator client knows (Root/{GUID}/EncodedCertificate, My/User/{GUID}/EncodedCertificate)`,
        });
      }
    }
  }
  for (const b of blobs) {
    const password = passwords.get(b.guid);
    installs.push({
      kind: 'pkcs',
      guid: b.guid,
      cmdId: b.cmdId,
      atomicCmdId: b.atomic ?? b.cmdId,
      encoded: b.encoded,
      ...(password !== undefined && { password: password.value, passwordCmdId: password.cmdId }),
    });
  }
  return { installs, unknown };
}
