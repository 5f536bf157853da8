/**
 * ClientCertificateInstall CSP, SCEP branch (CCI `./Device|User/Vendor/MSFT/ClientCertificateInstall/SCEP/
 * {UniqueID}`; docs/formats.md §2): the server sets the `Install/…` leaves and runs `Install/Enroll` (Exec)
 * inside one Atomic — "the Enroll command must be the last item in the atomic block" (CCI) — and the device
 * enrols in the background, reporting later through `Status` (1 finished, 2 pending, 16 failed, 32 unknown)
 * and `ErrorCode`. Only the writer lives here; the device side reads the same leaves.
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { LocUriScope } from './loc-uri.ts';
import type { SyncmlContainer, SyncmlFormat, SyncmlItemCommand } from './syncml-model.ts';

/** CCI SCEP `Install/KeyProtection`: 1 TPM or fail, 2 TPM if present, 3 software (default), 4 Windows Hello for Business. */
export type ScepKeyProtection = 1 | 2 | 3 | 4;

/** The writable `Install/…` leaves this project sends, with their CCI formats. */
export const SCEP_INSTALL_LEAVES = {
  ServerURL: 'chr',
  Challenge: 'chr',
  SubjectName: 'chr',
  SubjectAlternativeNames: 'chr',
  KeyUsage: 'int',
  KeyLength: 'int',
  KeyProtection: 'int',
  /** With KeyProtection 4 (Windows Hello for Business) only: CCI requires it then. */
  ContainerName: 'chr',
  HashAlgorithm: 'chr',
  EKUMapping: 'chr',
  CAThumbprint: 'chr',
  ValidPeriod: 'chr',
  ValidPeriodUnits: 'int',
  TemplateName: 'chr',
} as const satisfies Record<string, SyncmlFormat>;

/** A leaf name of `SCEP/{UniqueID}/Install`. */
export type ScepInstallLeaf = keyof typeof SCEP_INSTALL_LEAVES;

/** One SCEP enrolment request to a Windows device. */
export interface ScepInstall {
  scope: LocUriScope;
  uniqueId: string;
  /** Leaf values as sent (text); absent leaves are not sent. The challenge is a secret: never logged. */
  leaves: Partial<Record<ScepInstallLeaf, string>>;
}

/** The LocURI of a SCEP node, of one of its `Install/…` leaves, or of another leaf (`Status`, `ErrorCode`…). */
export function scepLocUri(scope: LocUriScope, uniqueId: string, leaf?: ScepInstallLeaf | 'Enroll'): string {
  const base = `./${scope}/Vendor/MSFT/ClientCertificateInstall/SCEP/${uniqueId}`;
  return leaf === undefined ? base : `${base}/Install/${leaf}`;
}

/**
 * The Atomic that asks the device to enrol: one Add per leaf, then `Exec Install/Enroll` last (CCI).
 * @throws CertfleetError SYNCML_INVALID when a required leaf (ServerURL, Challenge, SubjectName, CAThumbprint)
 *   is missing or the UniqueID is no node name.
 */
export function buildScepInstallAtomic(install: ScepInstall, firstCmdId: number): SyncmlContainer {
  for (const required of ['ServerURL', 'Challenge', 'SubjectName', 'CAThumbprint'] as const) {
    if ((install.leaves[required] ?? '') === '') {
      throw new CertfleetError(
        'SYNCML_INVALID',
        `Cannot build the SCEP install ${install.uniqueId}: Install/${required} is required.`,
      );
    }
  }
  if (install.uniqueId === '' || install.uniqueId.includes('/')) {
    throw new CertfleetError('SYNCML_INVALID', `SCEP UniqueID "${install.uniqueId}" is not a node name.`);
  }
  let next = firstCmdId + 1;
  const children: SyncmlItemCommand[] = [];
  for (const leaf of Object.keys(SCEP_INSTALL_LEAVES) as ScepInstallLeaf[]) {
    const data = install.leaves[leaf];
    if (data === undefined) continue;
    children.push({
      kind: 'Add',
      cmdId: next++,
      items: [
        {
          target: scepLocUri(install.scope, install.uniqueId, leaf),
          meta: { format: SCEP_INSTALL_LEAVES[leaf] },
          data,
        },
      ],
    });
  }
  children.push({
    kind: 'Exec',
    cmdId: next,
    items: [{ target: scepLocUri(install.scope, install.uniqueId, 'Enroll') }],
  });
  return { kind: 'Atomic', cmdId: firstCmdId, children };
}

/** The leaves the server reads after an Enroll to learn its result (CCI: "The MDM server could later query the device"). */
export const SCEP_RESULT_LEAVES = ['Status', 'ErrorCode', 'CertThumbprint'] as const;

/**
 * The node path `./{scope}/Vendor/MSFT/ClientCertificateInstall/SCEP/{UniqueID}` at the start of `locUri`
 * (a LocURI of one of its leaves), or undefined when `locUri` is not under a SCEP node.
 */
export function scepNodeOf(locUri: string): { scope: LocUriScope; uniqueId: string } | undefined {
  const m = /^\.\/(Device|User)\/Vendor\/MSFT\/ClientCertificateInstall\/SCEP\/([^/]+)(?:\/|$)/.exec(locUri);
  return m === null ? undefined : { scope: m[1] as LocUriScope, uniqueId: m[2]! };
}

/** One `<Get>` of the node's Status, ErrorCode and CertThumbprint (the server's later query). */
export function buildScepStatusGet(scope: LocUriScope, uniqueId: string, cmdId: number): SyncmlItemCommand {
  const base = scepLocUri(scope, uniqueId);
  return { kind: 'Get', cmdId, items: SCEP_RESULT_LEAVES.map((leaf) => ({ target: `${base}/${leaf}` })) };
}
