/**
 * The ClientCertificateInstall CSP's PFX branch on top of the generic SyncML model: build the Atomic that
 * installs a PKCS#12, and decode a message into typed installs, reporting every illegal combination.
 *
 * Models docs/formats.md §2.3 (CCI, `MicrosoftDocs/windows-itpro-docs:windows/client-management/mdm/clientcertificateinstall-csp.md`):
 * `./{Device|User}/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/{UniqueID}/…` wrapped in `<Atomic>`;
 * KeyLocation int 1–4; ContainerName chr (required for 4); PFXCertPassword chr; PFXCertPasswordEncryptionType
 * int 0/1/2 (2 needs PFXCertPasswordEncryptionStore); PFXKeyExportable bool (true only with KeyLocation 3);
 * PFXCertBlob bin — "Add triggers installation; all other parameter nodes must already be present", so the
 * builder emits it last. Thumbprint and Status are Get-only. Pure: the PFX and the (possibly CMS-encrypted)
 * password are opaque here.
 */
import { CertfleetError } from '../../pki/errors.ts';
import { base64Fault, decodeBase64, encodeBase64 } from './base64-strict.ts';
import { splitLocUri, type LocUriScope } from './loc-uri.ts';
import type { SyncmlContainer, SyncmlFormat, SyncmlItemCommand, SyncmlMessage } from './syncml-model.ts';
import { syncmlProblem } from './syncml-problem.ts';
import { isNodeChange, walkCommands } from './syncml-walk.ts';

/** CCI KeyLocation: 1 TPM or fail, 2 TPM else software, 3 software, 4 Windows Hello for Business. */
export type PfxKeyLocation = 1 | 2 | 3 | 4;

/** CCI PFXCertPasswordEncryptionType: 0 clear, 1 encrypted to the MDM certificate, 2 custom certificate. */
export type PfxPasswordEncryptionType = 0 | 1 | 2;

/** One PFX install (CCI PFXCertInstall/{UniqueID}; docs/formats.md §2.3). */
export interface PfxInstall {
  scope: LocUriScope;
  /** The {UniqueID} node name; Intune uses an upper-case GUID (docs/formats.md §2.6, IMITUNE). */
  uniqueId: string;
  keyLocation: PfxKeyLocation;
  /** Windows Hello for Business container (required when keyLocation is 4). */
  containerName?: string;
  /** PFXCertPassword as sent: clear text (type 0) or the base64 CMS blob (types 1 and 2). Never logged. */
  password?: string;
  passwordEncryptionType: PfxPasswordEncryptionType;
  /** PFXCertPasswordEncryptionStore (required when passwordEncryptionType is 2). */
  passwordEncryptionStore?: string;
  /** PFXKeyExportable; true is only legal with keyLocation 3. */
  keyExportable: boolean;
  /** The PKCS#12 bytes (opaque here). */
  pfxBlob: Buffer;
  /** Format of PFXCertBlob; the node is `bin`, Intune-style messages send `b64`. Default `b64`. */
  blobFormat?: 'b64' | 'bin';
}

/** The leaves of PFXCertInstall/{UniqueID} (CCI). */
export const PFX_LEAVES = {
  KeyLocation: { format: 'int', writable: true },
  ContainerName: { format: 'chr', writable: true },
  PFXCertBlob: { format: 'bin', writable: true },
  PFXCertPassword: { format: 'chr', writable: true },
  PFXCertPasswordEncryptionType: { format: 'int', writable: true },
  PFXCertPasswordEncryptionStore: { format: 'chr', writable: true },
  PFXKeyExportable: { format: 'bool', writable: true },
  Status: { format: 'int', writable: false },
  Thumbprint: { format: 'chr', writable: false },
} as const satisfies Record<string, { format: SyncmlFormat; writable: boolean }>;

/** A leaf name of PFXCertInstall/{UniqueID}. */
export type PfxLeaf = keyof typeof PFX_LEAVES;

/** The LocURI of a PFX install node or one of its leaves. */
export function pfxLocUri(scope: LocUriScope, uniqueId: string, leaf?: PfxLeaf): string {
  const base = `./${scope}/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/${uniqueId}`;
  return leaf === undefined ? base : `${base}/${leaf}`;
}

/** Why an install breaks a CCI rule, or `undefined` when it is legal. */
export function pfxInstallFault(install: PfxInstall): string | undefined {
  if (![1, 2, 3, 4].includes(install.keyLocation)) return `KeyLocation ${install.keyLocation} is not 1–4`;
  if (![0, 1, 2].includes(install.passwordEncryptionType)) {
    return `PFXCertPasswordEncryptionType ${install.passwordEncryptionType} is not 0, 1 or 2`;
  }
  if (install.keyExportable && install.keyLocation !== 3) {
    return `PFXKeyExportable is true with KeyLocation ${install.keyLocation}; the ClientCertificateInstall CSP documentation says: "You can only set PFXKeyExportable to true if KeyLocation=3. For any other KeyLocation value, the CSP will fail."`;
  }
  if (install.keyLocation === 4 && (install.containerName ?? '') === '') {
    // CCI: ContainerName with KeyLocation 4
    return 'KeyLocation 4 (Windows Hello for Business) needs ContainerName; without it "enrollment will fail"';
  }
  if (install.passwordEncryptionType === 2 && (install.passwordEncryptionStore ?? '') === '') {
    return 'PFXCertPasswordEncryptionType 2 needs PFXCertPasswordEncryptionStore';
  }
  if (install.pfxBlob.length === 0) return 'PFXCertBlob is empty';
  if (install.uniqueId === '' || install.uniqueId.includes('/'))
    return `UniqueID "${install.uniqueId}" is not a node name`;
  return undefined;
}

/**
 * Builds the `<Atomic>` that installs one PFX: Adds of KeyLocation, ContainerName?, PFXCertPassword?,
 * PFXCertPasswordEncryptionType, PFXCertPasswordEncryptionStore?, PFXKeyExportable and, last, PFXCertBlob.
 * CmdIDs run from `firstCmdId` (the Atomic) upwards. Throws SYNCML_INVALID for an illegal install
 * ({@link pfxInstallFault}).
 */
export function buildPfxInstallAtomic(install: PfxInstall, firstCmdId: number): SyncmlContainer {
  const fault = pfxInstallFault(install);
  if (fault !== undefined) {
    throw new CertfleetError('SYNCML_INVALID', `Cannot build the PFX install ${install.uniqueId}: ${fault}.`);
  }
  let next = firstCmdId + 1;
  const add = (
    leaf: PfxLeaf,
    data: string,
    format: SyncmlFormat = PFX_LEAVES[leaf].format,
  ): SyncmlItemCommand => ({
    kind: 'Add',
    cmdId: next++,
    items: [{ target: pfxLocUri(install.scope, install.uniqueId, leaf), meta: { format }, data }],
  });
  const children: SyncmlItemCommand[] = [add('KeyLocation', String(install.keyLocation))];
  if (install.containerName !== undefined) children.push(add('ContainerName', install.containerName));
  if (install.password !== undefined) children.push(add('PFXCertPassword', install.password));
  children.push(add('PFXCertPasswordEncryptionType', String(install.passwordEncryptionType)));
  if (install.passwordEncryptionStore !== undefined) {
    children.push(add('PFXCertPasswordEncryptionStore', install.passwordEncryptionStore));
  }
  children.push(add('PFXKeyExportable', String(install.keyExportable)));
  children.push(add('PFXCertBlob', encodeBase64(install.pfxBlob), install.blobFormat ?? 'b64'));
  return { kind: 'Atomic', cmdId: firstCmdId, children };
}

/** One decoded PFX install: the typed install plus the CmdIDs of its blob command and enclosing Atomic. */
export interface PfxInstallOperation {
  command: 'Add' | 'Replace';
  /** CmdID of the command that carried PFXCertBlob (the one that triggers installation). */
  blobCmdId: number;
  /** CmdID of the enclosing Atomic. */
  atomicCmdId: number;
  install: PfxInstall;
}

/** A Delete of PFXCertInstall/{UniqueID} (removes the certificates and keys the blob installed, CCI). */
export interface PfxDeleteOperation {
  cmdId: number;
  scope: LocUriScope;
  uniqueId: string;
}

/** The result of {@link decodePfxInstalls}. */
export interface PfxDecodeResult {
  installs: PfxInstallOperation[];
  deletes: PfxDeleteOperation[];
  problems: CertfleetError[];
  warnings: CertfleetError[];
}

interface LeafWrite {
  leaf: PfxLeaf;
  cmdId: number;
  command: 'Add' | 'Replace';
  data: string;
  format: SyncmlFormat | undefined;
  atomicCmdId: number | undefined;
  locUri: string;
}

const CSP = ['Vendor', 'MSFT', 'ClientCertificateInstall', 'PFXCertInstall'];

/**
 * Reads every PFXCertInstall operation of a decoded message. Each problem carries `details.cmdId` and the
 * `details.status` a device answers: unknown leaf → 404; Add/Replace of Get-only Thumbprint/Status → 405; an
 * Exec on any PFX node → 405 (CCI gives no PFX node Exec: KeyLocation, PFXCertBlob… support "Add, Get,
 * Replace", `{UniqueID}` "Add, Delete, Get, Replace", Status and Thumbprint "Get"; OMADM 405); a
 * Format that is not the node's (e.g. PFXCertBlob as chr, the CCI example's quirk) → 415; the same leaf written
 * twice → 418; and, on the PFXCertBlob command, 500 for a bad value or an illegal combination (not inside
 * Atomic, blob not last, PFXKeyExportable true with KeyLocation ≠ 3, KeyLocation 4 without ContainerName,
 * KeyLocation outside 1–4, EncryptionType 2 without PFXCertPasswordEncryptionStore, missing KeyLocation,
 * invalid base64). 500 on the blob is inferred from CCI "the CSP will fail" (docs/errors.md §1.2).
 */
export function decodePfxInstalls(message: SyncmlMessage): PfxDecodeResult {
  const result: PfxDecodeResult = { installs: [], deletes: [], problems: [], warnings: [] };
  const groups = new Map<string, { scope: LocUriScope; uniqueId: string; writes: LeafWrite[] }>();
  for (const { command, parents } of walkCommands(message.body)) {
    if (!isNodeChange(command)) continue;
    const atomic = [...parents].reverse().find((p) => p.kind === 'Atomic');
    for (const item of command.items) {
      if (item.target === undefined) continue;
      const split = splitLocUri(item.target);
      if (!CSP.every((name, i) => split.segments[i] === name)) continue;
      const locUri = item.target;
      const problem = (status: number, text: string): void => {
        result.problems.push(
          syncmlProblem('SYNCML_INVALID', `${locUri}: ${text}`, { locUri, cmdId: command.cmdId, status }),
        );
      };
      const [uniqueId, leaf, ...extra] = split.segments.slice(CSP.length);
      if (uniqueId === undefined) {
        problem(405, `${command.kind} on PFXCertInstall itself is not allowed (Get only)`);
        continue;
      }
      if (command.kind === 'Exec') {
        // CCI lists each node's supported operations; no PFX node has Exec (OMADM 405 "Command not allowed")
        if (leaf === undefined) {
          problem(
            405,
            `Exec is not allowed on PFXCertInstall/${uniqueId}: the node supports Add, Delete, Get, Replace only`,
          );
        } else if (extra.length > 0 || !Object.prototype.hasOwnProperty.call(PFX_LEAVES, leaf)) {
          problem(
            404,
            `the node "${[leaf, ...extra].join('/')}" does not exist under PFXCertInstall/${uniqueId}`,
          );
        } else {
          const access = PFX_LEAVES[leaf as PfxLeaf].writable ? 'Add, Get, Replace' : 'Get';
          problem(405, `Exec is not allowed on ${leaf}: the node supports ${access} only`);
        }
        continue;
      }
      const key = `${split.scope}/${uniqueId}`;
      const group = groups.get(key) ?? { scope: split.scope, uniqueId, writes: [] };
      groups.set(key, group);
      if (command.kind === 'Delete') {
        if (leaf !== undefined)
          problem(405, `Delete the node PFXCertInstall/${uniqueId}, not its leaf ${leaf}`);
        else result.deletes.push({ cmdId: command.cmdId, scope: split.scope, uniqueId });
        continue;
      }
      if (leaf === undefined) continue; // an explicit Add of the {UniqueID} node (Format node) is allowed
      if (extra.length > 0 || !Object.prototype.hasOwnProperty.call(PFX_LEAVES, leaf)) {
        problem(
          404,
          `the node "${[leaf, ...extra].join('/')}" does not exist under PFXCertInstall/${uniqueId}`,
        );
        continue;
      }
      const typedLeaf = leaf as PfxLeaf;
      if (!PFX_LEAVES[typedLeaf].writable) {
        problem(405, `${leaf} is read-only (Get); ${command.kind} is not allowed`);
        continue;
      }
      const format = item.meta?.format ?? command.meta?.format;
      const expected: readonly SyncmlFormat[] =
        typedLeaf === 'PFXCertBlob' ? ['b64', 'bin'] : [PFX_LEAVES[typedLeaf].format];
      if (format === undefined || !expected.includes(format)) {
        problem(
          415,
          `${leaf} has Format ${format ?? '(none, i.e. chr)'}; the node takes ${expected.join(' or ')}`,
        );
        continue;
      }
      if (group.writes.some((w) => w.leaf === typedLeaf && command.kind === 'Add')) {
        problem(418, `${leaf} is added twice for ${uniqueId}`);
        continue;
      }
      group.writes.push({
        leaf: typedLeaf,
        cmdId: command.cmdId,
        command: command.kind,
        data: item.data ?? '',
        format,
        atomicCmdId: atomic?.cmdId,
        locUri,
      });
    }
  }
  for (const group of groups.values()) readGroup(result, group.scope, group.uniqueId, group.writes);
  return result;
}

function readGroup(result: PfxDecodeResult, scope: LocUriScope, uniqueId: string, writes: LeafWrite[]): void {
  const blobIndex = writes.findIndex((w) => w.leaf === 'PFXCertBlob');
  const blob = writes[blobIndex];
  if (blob === undefined) {
    if (writes.length > 0) {
      result.warnings.push(
        syncmlProblem(
          'SYNCML_INVALID',
          `PFXCertInstall/${uniqueId}: parameters were set but no PFXCertBlob was sent, so nothing is installed.`,
          { locUri: pfxLocUri(scope, uniqueId), cmdId: writes[0]?.cmdId },
        ),
      );
    }
    return;
  }
  const faults: string[] = [];
  const value = (leaf: PfxLeaf): LeafWrite | undefined =>
    writes.slice(0, blobIndex).findLast((w) => w.leaf === leaf);
  // A parameter written after the blob: when it was set before the blob too (an Add, then a Replace of the
  // same node in one Atomic, which OMADM does not support), the install already ran with the earlier value and
  // it is that later command that fails; when it was not, the install ran without it and the blob fails.
  const before = new Set(writes.slice(0, blobIndex).map((w) => w.leaf));
  const afterBlob = writes.slice(blobIndex + 1);
  for (const w of afterBlob.filter((x) => before.has(x.leaf))) {
    result.problems.push(
      syncmlProblem(
        'SYNCML_INVALID',
        `PFXCertInstall/${uniqueId}: ${w.leaf} is written again after PFXCertBlob, whose Add already started the installation with the earlier value; a ${w.command} of a node added earlier in the same Atomic is not supported (set each parameter once, before PFXCertBlob).`,
        { locUri: w.locUri, cmdId: w.cmdId, status: 500 },
      ),
    );
  }
  const after = [...new Set(afterBlob.filter((x) => !before.has(x.leaf)).map((w) => w.leaf))];
  if (after.length > 0) {
    const names = after.length === 1 ? after[0] : `${after.slice(0, -1).join(', ')} and ${after.at(-1)}`;
    faults.push(
      `${names} ${after.length === 1 ? 'comes' : 'come'} after PFXCertBlob; the blob's Add triggers installation, so every other parameter must be set before it (send PFXCertBlob last)`,
    );
  }
  if (blob.atomicCmdId === undefined) {
    faults.push(
      'the PFX commands are not inside <Atomic>; CCI requires them to be wrapped in an Atomic command',
    );
  } else if (writes.some((w) => w.atomicCmdId !== blob.atomicCmdId)) {
    faults.push('the PFX parameters are split across different Atomic commands; send them in one Atomic');
  }
  const keyLocationText = value('KeyLocation')?.data;
  let keyLocation: number | undefined;
  if (keyLocationText === undefined)
    faults.push('KeyLocation is missing; set it to 1, 2, 3 or 4 before the blob');
  else if (!/^[1-4]$/.test(keyLocationText.trim()))
    faults.push(`KeyLocation "${keyLocationText}" is not 1–4`);
  else keyLocation = Number(keyLocationText.trim());
  const encText = value('PFXCertPasswordEncryptionType')?.data ?? '0';
  let encryptionType: number | undefined;
  if (!/^[0-2]$/.test(encText.trim()))
    faults.push(`PFXCertPasswordEncryptionType "${encText}" is not 0, 1 or 2`);
  else encryptionType = Number(encText.trim());
  const exportableWrite = value('PFXKeyExportable');
  let keyExportable: boolean | undefined;
  if (exportableWrite === undefined) {
    // CCI default is true, but true is only legal with KeyLocation 3 (TPM keys are never exportable).
    keyExportable = keyLocation === 3;
  } else if (exportableWrite.data.trim() === 'true' || exportableWrite.data.trim() === 'false') {
    keyExportable = exportableWrite.data.trim() === 'true';
  } else {
    faults.push(`PFXKeyExportable "${exportableWrite.data}" is not true or false`);
  }
  const containerName = value('ContainerName')?.data;
  const passwordEncryptionStore = value('PFXCertPasswordEncryptionStore')?.data;
  const b64 = base64Fault(blob.data);
  if (b64 !== undefined)
    faults.push(`PFXCertBlob is ${b64 === 'empty' ? 'empty' : `not valid single-line base64 (${b64})`}`);
  if (
    keyLocation !== undefined &&
    encryptionType !== undefined &&
    keyExportable !== undefined &&
    b64 === undefined
  ) {
    const password = value('PFXCertPassword')?.data;
    const install: PfxInstall = {
      scope,
      uniqueId,
      keyLocation: keyLocation as PfxKeyLocation,
      passwordEncryptionType: encryptionType as PfxPasswordEncryptionType,
      keyExportable,
      pfxBlob: decodeBase64(blob.data),
      blobFormat: blob.format === 'bin' ? 'bin' : 'b64',
    };
    if (containerName !== undefined) install.containerName = containerName;
    if (password !== undefined) install.password = password;
    if (passwordEncryptionStore !== undefined) install.passwordEncryptionStore = passwordEncryptionStore;
    const fault = pfxInstallFault(install);
    if (fault !== undefined) faults.push(fault);
    if (faults.length === 0) {
      result.installs.push({
        command: blob.command,
        blobCmdId: blob.cmdId,
        atomicCmdId: blob.atomicCmdId as number,
        install,
      });
      return;
    }
  }
  for (const fault of faults) {
    result.problems.push(
      syncmlProblem('SYNCML_INVALID', `PFXCertInstall/${uniqueId}: ${fault}.`, {
        locUri: blob.locUri,
        cmdId: blob.cmdId,
        status: 500,
      }),
    );
  }
}
