/**
 * ClientCertificateInstall CSP, SCEP branch, device side (docs/formats.md §2.3, CCI): reads the
 * `./Device|User/Vendor/MSFT/ClientCertificateInstall/SCEP/{UniqueID}/Install/…` Add/Replace leaves and the
 * `Install/Enroll` Exec of a decoded message into typed enrolment requests, reporting every leaf it cannot
 * take — the writer is scep-install.ts.
 *
 * Rules (CCI unless marked):
 * - The leaves and their formats are CCI's: ServerURL, Challenge, SubjectName, SubjectAlternativeNames,
 *   HashAlgorithm, EKUMapping, CAThumbprint, TemplateName, ValidPeriod, ContainerName,
 *   CustomTextToShowInPrompt, AADKeyIdentifierList (chr); KeyUsage, KeyLength, KeyProtection, RetryCount,
 *   RetryDelay, ValidPeriodUnits (int). `Status`, `ErrorCode`, `CertThumbprint`, `RespondentServerUrl` are
 *   Get only (405); a node CCI does not list → 404; a Format that is not the node's → 415; the same leaf
 *   added twice → 418.
 * - `Enroll` is an Exec and "must be the last item in the atomic block"; the commands must be inside one
 *   `<Atomic>`. An Exec outside Atomic, not last, or one whose parameters break a rule answers 500 on the
 *   Exec (**[inferred]**: CCI says enrolment fails, not with which status).
 * - Required: ServerURL, Challenge, SubjectName, KeyUsage, CAThumbprint (CCI marks them required; EKUMapping
 *   is required there too, but Intune omits it for a profile without EKUs — docs/formats.md §2.6 — so a
 *   missing EKUMapping requests none **[inferred]**).
 * - Values: KeyUsage must include 0x20 and/or 0x80; KeyLength 1024, 2048 or 4096; KeyProtection 1–4
 *   (default 3); RetryCount 0–30 (default 3); RetryDelay ≥ 1 minute (default 5); HashAlgorithm SHA-1, SHA-2,
 *   SHA-3 joined with `+` (Intune's `;` is read too, docs/formats.md §2.6); ValidPeriod Days, Months or Years;
 *   ValidPeriodUnits ≥ 0 (default 0); SAN entries `type+value` joined with `;` with the certenroll
 *   AlternativeNameType numbers 2 (e-mail), 3 (DNS), 7 (URI), 11 (UPN) — another type is refused as one this
 *   device does not request **[certfleet]**; CAThumbprint 40 hex digits; AADKeyIdentifierList is refused
 *   (certfleet does not model the Entra key it names) **[certfleet]**.
 *
 * The Challenge is a secret: no problem message quotes it.
 */
import type { CertfleetError } from '../../pki/errors.ts';
import type { SanEntry } from '../../pki/extensions.ts';
import { splitLocUri, type LocUriScope } from './loc-uri.ts';
import { SCEP_INSTALL_LEAVES, scepLocUri } from './scep-install.ts';
import type { SyncmlFormat, SyncmlMessage } from './syncml-model.ts';
import { syncmlProblem } from './syncml-problem.ts';
import { isNodeChange, walkCommands } from './syncml-walk.ts';

/** Every leaf of `SCEP/{UniqueID}/Install` a server may write, with its CCI format: those this project sends (scep-install.ts), and the rest. */
export const SCEP_WRITABLE_LEAVES = {
  ...SCEP_INSTALL_LEAVES,
  RetryCount: 'int',
  RetryDelay: 'int',
  ContainerName: 'chr',
  CustomTextToShowInPrompt: 'chr',
  AADKeyIdentifierList: 'chr',
} as const satisfies Record<string, SyncmlFormat>;

/** The Get-only leaves of `SCEP/{UniqueID}` (CCI). */
export const SCEP_READ_ONLY_LEAVES = [
  'Status',
  'ErrorCode',
  'CertThumbprint',
  'RespondentServerUrl',
] as const;

type WritableLeaf = keyof typeof SCEP_WRITABLE_LEAVES;

/** CertEnroll AlternativeNameType → the SAN type the device requests. */
const SAN_OF_TYPE: Readonly<Record<string, SanEntry['type']>> = {
  '2': 'email',
  '3': 'dns',
  '7': 'uri',
  '11': 'upn',
};

/** One SCEP enrolment as the device takes it at `Exec Install/Enroll`. */
export interface ScepEnrolSettings {
  /** ServerURL split on `;`, tried in order. */
  serverUrls: string[];
  /** The one-time challenge (a secret). */
  challenge: string;
  subjectName: string;
  sans: SanEntry[];
  /** X.509 key-usage bits (0x80 digitalSignature, 0x20 keyEncipherment). */
  keyUsage: number;
  keyLength: 1024 | 2048 | 4096;
  /** 1 TPM or fail, 2 TPM if present, 3 software, 4 Windows Hello for Business. */
  keyProtection: 1 | 2 | 3 | 4;
  hashAlgorithms: ('SHA-1' | 'SHA-2' | 'SHA-3')[];
  /** EKU OIDs. */
  ekus: string[];
  /** Upper-case SHA-1 hex of the root CA. */
  caThumbprint: string;
  templateName?: string;
  validPeriod?: 'Days' | 'Months' | 'Years';
  validPeriodUnits: number;
  retryCount: number;
  /** Minutes. */
  retryDelay: number;
  containerName?: string;
  customTextToShowInPrompt?: string;
}

/** One decoded `Exec Install/Enroll` with the parameters set before it. */
export interface ScepEnrolOperation {
  execCmdId: number;
  atomicCmdId: number;
  scope: LocUriScope;
  uniqueId: string;
  settings: ScepEnrolSettings;
}

/** A Delete of `SCEP/{UniqueID}` ("should delete the corresponding SCEP certificate", MDM_ClientCertificateInstall_SCEP01_01). */
export interface ScepDeleteOperation {
  cmdId: number;
  scope: LocUriScope;
  uniqueId: string;
}

/** The result of {@link decodeScepInstalls}. */
export interface ScepDecodeResult {
  enrolments: ScepEnrolOperation[];
  deletes: ScepDeleteOperation[];
  /** Each with `details.cmdId` and the `details.status` the device answers. */
  problems: CertfleetError[];
}

interface Write {
  leaf: WritableLeaf;
  cmdId: number;
  /** Position in the document (commands run in document order). */
  seq: number;
  data: string;
  atomicCmdId: number | undefined;
}

interface Exec {
  cmdId: number;
  seq: number;
  atomicCmdId: number | undefined;
  last: boolean;
}

const CSP = ['Vendor', 'MSFT', 'ClientCertificateInstall', 'SCEP'];

/** Reads every SCEP operation of a decoded message; see the file comment. */
export function decodeScepInstalls(message: SyncmlMessage): ScepDecodeResult {
  const result: ScepDecodeResult = { enrolments: [], deletes: [], problems: [] };
  const groups = new Map<string, { scope: LocUriScope; uniqueId: string; writes: Write[]; execs: Exec[] }>();
  for (const [seq, { command, parents }] of walkCommands(message.body).entries()) {
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
      const [uniqueId, branch, leaf, ...extra] = split.segments.slice(CSP.length);
      if (uniqueId === undefined) {
        problem(405, `${command.kind} on SCEP itself is not allowed (Get only)`);
        continue;
      }
      const key = `${split.scope}/${uniqueId}`;
      const group = groups.get(key) ?? { scope: split.scope, uniqueId, writes: [], execs: [] };
      groups.set(key, group);
      if (command.kind === 'Delete') {
        if (branch !== undefined)
          problem(405, `Delete the node SCEP/${uniqueId}, not ${[branch, leaf].join('/')}`);
        else result.deletes.push({ cmdId: command.cmdId, scope: split.scope, uniqueId });
        continue;
      }
      if (branch === undefined || (branch === 'Install' && leaf === undefined)) {
        if (command.kind === 'Exec') problem(405, 'Exec is only supported on Install/Enroll');
        continue; // an explicit Add of the interior node (Format node) is allowed
      }
      if ((SCEP_READ_ONLY_LEAVES as readonly string[]).includes(branch) && leaf === undefined) {
        problem(405, `${branch} is read-only (Get); ${command.kind} is not allowed`);
        continue;
      }
      if (branch !== 'Install' || leaf === undefined || extra.length > 0) {
        problem(
          404,
          `the node "${[branch, leaf, ...extra].filter((s) => s !== undefined).join('/')}" does not exist under SCEP/${uniqueId}`,
        );
        continue;
      }
      if (leaf === 'Enroll') {
        if (command.kind !== 'Exec') {
          problem(405, `Install/Enroll only supports Exec, not ${command.kind}`);
          continue;
        }
        const siblings = atomic?.children ?? [];
        group.execs.push({
          cmdId: command.cmdId,
          seq,
          atomicCmdId: atomic?.cmdId,
          last: siblings.at(-1)?.cmdId === command.cmdId,
        });
        continue;
      }
      if (command.kind === 'Exec') {
        problem(405, `Exec is only supported on Install/Enroll, not Install/${leaf}`);
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(SCEP_WRITABLE_LEAVES, leaf)) {
        problem(404, `the node "Install/${leaf}" does not exist under SCEP/${uniqueId}`);
        continue;
      }
      const typed = leaf as WritableLeaf;
      const format = item.meta?.format ?? command.meta?.format ?? 'chr';
      if (format !== SCEP_WRITABLE_LEAVES[typed]) {
        problem(415, `Install/${leaf} has Format ${format}; the node takes ${SCEP_WRITABLE_LEAVES[typed]}`);
        continue;
      }
      if (
        command.kind === 'Add' &&
        group.writes.some((w) => w.leaf === typed && w.atomicCmdId === atomic?.cmdId)
      ) {
        problem(418, `Install/${leaf} is added twice for ${uniqueId}`);
        continue;
      }
      group.writes.push({
        leaf: typed,
        cmdId: command.cmdId,
        seq,
        data: item.data ?? '',
        atomicCmdId: atomic?.cmdId,
      });
    }
  }
  for (const g of groups.values()) {
    for (const exec of g.execs) readEnrol(result, g.scope, g.uniqueId, g.writes, exec);
  }
  return result;
}

function readEnrol(
  result: ScepDecodeResult,
  scope: LocUriScope,
  uniqueId: string,
  writes: Write[],
  exec: Exec,
): void {
  const faults: string[] = [];
  if (exec.atomicCmdId === undefined)
    faults.push(
      'Install/Enroll is not inside <Atomic>; CCI requires the SCEP commands to be wrapped in one Atomic',
    );
  else if (!exec.last)
    faults.push(
      'Install/Enroll is not the last command of its Atomic; CCI requires it last, after every parameter',
    );
  const before = writes.filter((w) => w.seq < exec.seq);
  const text = (leaf: WritableLeaf): string | undefined =>
    before.findLast((w) => w.leaf === leaf)?.data.trim();
  const required = (leaf: WritableLeaf): string => {
    const v = text(leaf);
    if (v === undefined || v === '') faults.push(`Install/${leaf} is required and was not set before Enroll`);
    return v ?? '';
  };
  const int = (leaf: WritableLeaf, dflt: number, min: number, max: number): number => {
    const v = text(leaf);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      faults.push(`Install/${leaf} "${v}" is not a whole number from ${min} to ${max}`);
      return dflt;
    }
    return Number(v);
  };
  const serverUrls = required('ServerURL')
    .split(';')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const challenge = text('Challenge') ?? '';
  if (challenge === '') faults.push('Install/Challenge is required and was not set before Enroll');
  const subjectName = required('SubjectName');
  const keyUsageText = required('KeyUsage');
  let keyUsage = 0;
  if (keyUsageText !== '') {
    keyUsage = /^\d+$/.test(keyUsageText) ? Number(keyUsageText) : NaN;
    if (!Number.isInteger(keyUsage) || keyUsage > 0xff || (keyUsage & 0xa0) === 0)
      faults.push(
        `Install/KeyUsage "${keyUsageText}" must be a key-usage byte that includes 0x20 (keyEncipherment) and/or 0x80 (digitalSignature)`,
      );
  }
  const keyLength = int('KeyLength', 2048, 0, 65535);
  if (![1024, 2048, 4096].includes(keyLength))
    faults.push(`Install/KeyLength ${keyLength} is not 1024, 2048 or 4096`);
  const keyProtection = int('KeyProtection', 3, 1, 4) as ScepEnrolSettings['keyProtection'];
  const retryCount = int('RetryCount', 3, 0, 30);
  const retryDelay = int('RetryDelay', 5, 1, 0x7fffffff);
  const validPeriodUnits = int('ValidPeriodUnits', 0, 0, 0x7fffffff);
  const hashText = text('HashAlgorithm') ?? 'SHA-2';
  const hashAlgorithms = hashText.split(/[+;]/).map((h) => h.trim());
  for (const h of hashAlgorithms)
    if (h !== 'SHA-1' && h !== 'SHA-2' && h !== 'SHA-3')
      faults.push(`Install/HashAlgorithm "${h}" is not SHA-1, SHA-2 or SHA-3`);
  const ekus = (text('EKUMapping') ?? '')
    .split('+')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const e of ekus) if (!/^\d+(\.\d+)+$/.test(e)) faults.push(`Install/EKUMapping "${e}" is not an OID`);
  const caThumbprint = required('CAThumbprint').toUpperCase();
  if (caThumbprint !== '' && !/^[0-9A-F]{40}$/.test(caThumbprint))
    faults.push(`Install/CAThumbprint "${caThumbprint}" is not a SHA-1 thumbprint (40 hexadecimal digits)`);
  const sans: SanEntry[] = [];
  for (const entry of (text('SubjectAlternativeNames') ?? '').split(';').filter((s) => s.trim() !== '')) {
    const plus = entry.indexOf('+');
    const type = SAN_OF_TYPE[entry.slice(0, plus).trim()];
    if (plus < 1 || type === undefined) {
      faults.push(
        `Install/SubjectAlternativeNames entry "${entry}" is not <type>+<name> with type 2 (e-mail), 3 (DNS), 7 (URI) or 11 (UPN)`,
      );
      continue;
    }
    sans.push({ type, value: entry.slice(plus + 1) });
  }
  const validPeriod = text('ValidPeriod');
  if (validPeriod !== undefined && !['Days', 'Months', 'Years'].includes(validPeriod))
    faults.push(`Install/ValidPeriod "${validPeriod}" is not Days, Months or Years`);
  if (text('AADKeyIdentifierList') !== undefined)
    faults.push(
      'Install/AADKeyIdentifierList names Entra ID device keys that certfleet does not model; remove it',
    );
  if (keyProtection === 4 && (text('ContainerName') ?? '') === '')
    faults.push('KeyProtection 4 (Windows Hello for Business) needs Install/ContainerName');
  if (faults.length > 0) {
    for (const fault of faults) {
      result.problems.push(
        syncmlProblem('SYNCML_INVALID', `SCEP/${uniqueId}: ${fault}.`, {
          locUri: scepLocUri(scope, uniqueId, 'Enroll'),
          cmdId: exec.cmdId,
          status: 500,
        }),
      );
    }
    return;
  }
  const settings: ScepEnrolSettings = {
    serverUrls,
    challenge,
    subjectName,
    sans,
    keyUsage,
    keyLength: keyLength as ScepEnrolSettings['keyLength'],
    keyProtection,
    hashAlgorithms: hashAlgorithms as ScepEnrolSettings['hashAlgorithms'],
    ekus,
    caThumbprint,
    validPeriodUnits,
    retryCount,
    retryDelay,
  };
  const templateName = text('TemplateName');
  if (templateName !== undefined && templateName !== '') settings.templateName = templateName;
  if (validPeriod !== undefined)
    settings.validPeriod = validPeriod as NonNullable<ScepEnrolSettings['validPeriod']>;
  const containerName = text('ContainerName');
  if (containerName !== undefined && containerName !== '') settings.containerName = containerName;
  const prompt = text('CustomTextToShowInPrompt');
  if (prompt !== undefined) settings.customTextToShowInPrompt = prompt;
  result.enrolments.push({
    execCmdId: exec.cmdId,
    atomicCmdId: exec.atomicCmdId!,
    scope,
    uniqueId,
    settings,
  });
}
