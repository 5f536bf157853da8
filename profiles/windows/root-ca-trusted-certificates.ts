/**
 * The RootCATrustedCertificates CSP on top of the generic SyncML model: build the Add that installs a trusted
 * certificate, and decode a message into typed trusted-certificate operations, reporting the illegal ones.
 *
 * Models docs/formats.md §2.4 (RCA, `MicrosoftDocs/windows-itpro-docs:windows/client-management/mdm/rootcacertificates-csp.md`)
 * and the Intune observation of §2.4/§6: `Add ./Device/Vendor/MSFT/RootCATrustedCertificates/{Root|CA}/{SHA1-HEX}/EncodedCertificate`
 * with Format b64 and the DER as base64 on one line. Pure: the SHA-1 thumbprint is given by the caller and the
 * certificate stays opaque bytes (the agent parses it).
 */
import { CertfleetError } from '../../pki/errors.ts';
import { MAX_BASE64_CHARS } from '../../pki/limits.ts';
import { base64Fault, decodeBase64, encodeBase64 } from './base64-strict.ts';
import { splitLocUri, type LocUriScope } from './loc-uri.ts';
import type { SyncmlItem, SyncmlItemCommand, SyncmlMessage } from './syncml-model.ts';
import { syncmlProblem } from './syncml-problem.ts';
import { isNodeChange, walkCommands } from './syncml-walk.ts';

/** The stores of the CSP (RCA; docs/formats.md §2.4). Intune uses Root and CA. */
export const ROOT_CA_STORES = [
  'Root',
  'CA',
  'TrustedPeople',
  'TrustedPublisher',
  'UntrustedCertificates',
  'OemEsim',
] as const;

/** One RootCATrustedCertificates store. */
export type RootCaStore = (typeof ROOT_CA_STORES)[number];

/** A trusted certificate to install: `./{scope}/Vendor/MSFT/RootCATrustedCertificates/{store}/{thumbprint}`. */
export interface TrustedCertInstall {
  scope: LocUriScope;
  store: RootCaStore;
  /** SHA-1 of the DER as 40 hex digits (RCA "Dynamic Node Naming UniqueName"); Intune uses upper case. */
  thumbprint: string;
  /** The certificate, DER bytes (opaque here). */
  certificateDer: Buffer;
}

/** One decoded operation on the CSP, with the CmdID that carried it. */
export type TrustedCertOperation =
  | (TrustedCertInstall & { command: 'Add' | 'Replace'; cmdId: number })
  | { command: 'Delete'; cmdId: number; scope: LocUriScope; store: RootCaStore; thumbprint: string };

/** The result of {@link decodeTrustedCertOperations}: legal operations, problems (errors) and warnings. */
export interface TrustedCertDecodeResult {
  operations: TrustedCertOperation[];
  problems: CertfleetError[];
  warnings: CertfleetError[];
}

const CSP = ['Vendor', 'MSFT', 'RootCATrustedCertificates'];
const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
const GET_ONLY_LEAVES = new Set(['IssuedBy', 'IssuedTo', 'TemplateName', 'ValidFrom', 'ValidTo']);

/** The LocURI of a trusted certificate's node, or of its `EncodedCertificate` leaf. */
export function trustedCertLocUri(
  scope: LocUriScope,
  store: RootCaStore,
  thumbprint: string,
  leaf?: 'EncodedCertificate',
): string {
  const base = `./${scope}/Vendor/MSFT/RootCATrustedCertificates/${store}/${thumbprint}`;
  return leaf === undefined ? base : `${base}/${leaf}`;
}

/**
 * Builds the `<Add>` that installs one trusted certificate (Format b64, base64 DER without line breaks).
 * Throws SYNCML_INVALID for `./User/.../Root` (RCA: "./User configuration is not supported for
 * RootCATrustedCertificates/Root") and for a thumbprint that is not 40 hex digits.
 */
export function buildTrustedCertAdd(install: TrustedCertInstall, cmdId: number): SyncmlItemCommand {
  if (install.scope === 'User' && install.store === 'Root') {
    throw new CertfleetError(
      'SYNCML_INVALID',
      './User/Vendor/MSFT/RootCATrustedCertificates/Root is not supported by Windows; use ./Device for a root, or the User CA store for an intermediate.',
    );
  }
  if (!THUMBPRINT.test(install.thumbprint)) {
    throw new CertfleetError(
      'SYNCML_INVALID',
      `Thumbprint "${install.thumbprint}" is not a SHA-1 in 40 hex digits; pass the certificate's SHA-1 thumbprint.`,
    );
  }
  if (install.certificateDer.length === 0) {
    throw new CertfleetError('SYNCML_INVALID', 'The certificate to install is empty; pass its DER bytes.');
  }
  return {
    kind: 'Add',
    cmdId,
    items: [
      {
        target: trustedCertLocUri(install.scope, install.store, install.thumbprint, 'EncodedCertificate'),
        meta: { format: 'b64' },
        data: encodeBase64(install.certificateDer),
      },
    ],
  };
}

/**
 * Reads every RootCATrustedCertificates operation of a decoded message (items under other CSPs are ignored;
 * Get commands are not operations). Illegal operations become problems with the SyncML status a device
 * answers (in `details.status`): `./User/.../Root` → 405 (the User tree has no Root node; code inferred,
 * docs/errors.md §1.2), a store that does not exist → 404, Add/Replace of a Get-only leaf → 405, an Exec on any
 * node → 405 (RCA gives no node Exec: "The supported operations are Add, Get, and Replace" for
 * EncodedCertificate, Get and Delete for the certificate node, Get for the others; OMADM 405), a Format other
 * than b64 → 415, base64 with line breaks or invalid → 500 (docs/errors.md §1.2, inferred). A node name that is not
 * a 40-hex thumbprint is tolerated (Windows accepts free-text names in practice, FLEET) but flagged as a
 * warning.
 */
export function decodeTrustedCertOperations(message: SyncmlMessage): TrustedCertDecodeResult {
  const result: TrustedCertDecodeResult = { operations: [], problems: [], warnings: [] };
  for (const { command } of walkCommands(message.body)) {
    if (!isNodeChange(command)) continue;
    for (const item of command.items) {
      if (item.target === undefined) continue;
      const split = splitLocUri(item.target);
      if (!CSP.every((name, i) => split.segments[i] === name)) continue;
      readOperation(result, command, item, item.target, split.scope, split.segments.slice(CSP.length));
    }
  }
  return result;
}

function readOperation(
  result: TrustedCertDecodeResult,
  command: SyncmlItemCommand,
  item: SyncmlItem,
  locUri: string,
  scope: LocUriScope,
  rest: string[],
): void {
  const { cmdId } = command;
  const problem = (status: number, message: string): void => {
    result.problems.push(syncmlProblem('SYNCML_INVALID', `${locUri}: ${message}`, { locUri, cmdId, status }));
  };
  const [store, thumbprint, leaf, ...extra] = rest;
  if (store !== undefined && !(ROOT_CA_STORES as readonly string[]).includes(store)) {
    problem(404, `"${store}" is not a RootCATrustedCertificates store (${ROOT_CA_STORES.join(', ')})`);
    return;
  }
  if (scope === 'User' && store === 'Root') {
    problem(405, './User configuration is not supported for RootCATrustedCertificates/Root; use ./Device');
    return;
  }
  if (
    extra.length > 0 ||
    (leaf !== undefined && leaf !== 'EncodedCertificate' && !GET_ONLY_LEAVES.has(leaf))
  ) {
    problem(404, `the node "${rest.slice(2).join('/')}" does not exist under a certificate`);
    return;
  }
  if (command.kind === 'Exec') {
    // RCA lists each node's supported operations; none of them has Exec (OMADM 405 "Command not allowed")
    const [node, access] =
      store === undefined
        ? ['RootCATrustedCertificates', 'Get']
        : thumbprint === undefined
          ? [store, 'Get']
          : leaf === undefined
            ? [`${store}/{CertHash}`, 'Delete, Get']
            : leaf === 'EncodedCertificate'
              ? [leaf, 'Add, Get, Replace']
              : [leaf, 'Get'];
    problem(405, `Exec is not allowed on ${node}: the node supports ${access} only`);
    return;
  }
  if (store === undefined || thumbprint === undefined) {
    problem(
      405,
      `${command.kind} needs a store and a certificate node (…/{Store}/{Thumbprint}/EncodedCertificate)`,
    );
    return;
  }
  const typedStore = store as RootCaStore;
  if (leaf !== undefined && GET_ONLY_LEAVES.has(leaf)) {
    problem(405, `${leaf} is read-only (Get); ${command.kind} is not allowed`);
    return;
  }
  const kind = command.kind;
  if (kind !== 'Add' && kind !== 'Replace') {
    if (leaf !== undefined) {
      problem(405, 'Delete the certificate node …/{Store}/{Thumbprint}, not its EncodedCertificate leaf');
      return;
    }
    thumbprintWarning(result, locUri, cmdId, thumbprint);
    result.operations.push({ command: 'Delete', cmdId, scope, store: typedStore, thumbprint });
    return;
  }
  if (leaf === undefined) {
    problem(405, `${command.kind} the EncodedCertificate leaf, not the certificate node itself`);
    return;
  }
  const format = item.meta?.format ?? command.meta?.format;
  if (format !== 'b64') {
    problem(415, `EncodedCertificate has Format ${format ?? '(none, i.e. chr)'}; the node's format is b64`);
    return;
  }
  const data = item.data ?? '';
  const fault = base64Fault(data);
  if (fault !== undefined) {
    const why = {
      empty: 'the certificate data is empty',
      whitespace:
        'the base64 certificate contains line breaks or spaces, which the CSP does not allow; send it on one line',
      invalid: 'the certificate data is not valid base64',
      'too-long': `the certificate data is longer than the ${MAX_BASE64_CHARS} base64 characters certfleet decodes`,
    }[fault];
    problem(500, why);
    return;
  }
  thumbprintWarning(result, locUri, cmdId, thumbprint);
  result.operations.push({
    command: kind,
    cmdId,
    scope,
    store: typedStore,
    thumbprint,
    certificateDer: decodeBase64(data),
  });
}

function thumbprintWarning(
  result: TrustedCertDecodeResult,
  locUri: string,
  cmdId: number,
  thumbprint: string,
): void {
  if (THUMBPRINT.test(thumbprint)) return;
  // FLEET: Windows tolerates a node name that is not the thumbprint
  result.warnings.push(
    syncmlProblem(
      'SYNCML_INVALID',
      `${locUri}: node name "${thumbprint}" is not a 40-hex SHA-1 thumbprint; Windows tolerates it but Intune names the node by thumbprint.`,
      { locUri, cmdId },
    ),
  );
}
