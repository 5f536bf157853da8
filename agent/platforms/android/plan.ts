/**
 * Evaluates the certificate commands of a decoded Android policy without touching any store: each command
 * becomes either the item it would install or the reason it is refused (code, message, non-compliance detail).
 * The adapter then applies the successful plans inside one transaction, so a refused command changes nothing
 * and a key pair is always stored together with its certificate (one `identity` row holds both).
 *
 * What the device checks, per command (issue 4 "Install and status", docs/formats.md §3.2–§3.4):
 * Device administrator never comes here: it is not AMAPI-managed and takes SyncML (device-admin.ts).
 * - `INSTALL_CA_CERT`: the X509 must parse (`installCaCert` "returns false if the certBuffer cannot be parsed"); it must be valid on
 *   the device clock. ONC: "Type wins over X.509 basic constraints", so a non-CA certificate sent as an Authority is
 *   installed as a user CA like Android's `installCaCert` does (recorded as `attrs.basicConstraintsCa=false`).
 * - `INSTALL_KEY_PAIR`: SILENT access only in device-owner modes (docs/formats.md §3.4/§4.3); the PKCS#12 is opened with
 *   the empty passphrase ONC requires (a non-empty one → PKCS12_BAD_PASSWORD, corrupt → PKCS12_PARSE); the leaf
 *   must be valid on the device clock. The chain is not required to be trusted: Android installs the key pair
 *   regardless (`installKeyPair` does no chain check) and certfleet records `attrs.trusted`.
 * - `ENROLL_SCEP` (docs/formats.md §3.5): SILENT access only in device-owner modes, as above; the enrolment was
 *   done before planning (scep-policy.ts) and its result is given by command index: a failure is refused with
 *   the enrolment's own code (case `scepEnrolFailed`), no result at all (the synchronous deliver) is
 *   `scepNotEnrolled`; the issued certificate must be valid on the device clock; the key pair goes under the
 *   command's alias into the kind's key-pair store with the key the device made.
 */
import { exportPrivateKeyDer } from '../../../pki/keys.ts';
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { isCertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import type { NonComplianceDetail } from '../../../profiles/android/non-compliance.ts';
import type { EnrollScepCommand } from '../../../profiles/android/scep-command.ts';
import type {
  AndroidPolicy,
  CertificateCommand,
  InstallCaCertCommand,
  InstallKeyPairCommand,
  KeyPairAccess,
  OncCertificate,
} from '../../../profiles/android/policy-model.ts';
import type { AndroidEnrollmentKind } from '../../../profiles/model/platform.ts';
import type { Device } from '../../device/device.ts';
import type { StoreItemKind } from '../../keystore/store-db.ts';
import {
  ANDROID_KIND_RULES,
  API_USER_CA_NOT_TRUSTED_BY_APPS,
  apiLevelOf,
  type AndroidStore,
} from './enrollment-rules.ts';
import { caseOfCertificateError } from './certificate-error-case.ts';
import { ANDROID_NATIVE_CASES, nonComplianceDetail, type AndroidNativeCaseName } from './native-status.ts';
import type { AndroidScepResult } from './scep-enrol.ts';

/** An item a command would put in a store (before the policy's holder list is merged in). */
export interface PlannedItem {
  store: AndroidStore;
  kind: StoreItemKind;
  certificate: Certificate;
  /** PKCS#8 DER (key pairs only). */
  privateKey?: Buffer;
  /** Platform attributes (see {@link planPolicy} for the list). */
  attrs: Record<string, unknown>;
}

/** What one command would do. */
export type CommandPlan =
  | {
      ok: true;
      index: number;
      command: CertificateCommand;
      /** The ONC GUID the command installs (the outcome's payload id). */
      guid: string;
      item: PlannedItem;
    }
  | {
      ok: false;
      index: number;
      command: CertificateCommand;
      guid: string;
      code: ErrorCode;
      message: string;
      detail: NonComplianceDetail;
    };

/** Inputs of {@link planPolicy}. */
export interface PlanContext {
  device: Device;
  kind: AndroidEnrollmentKind;
  now: Date;
  /**
   * The result of each `ENROLL_SCEP` command's enrolment, by command index, done before planning (the
   * adapter's deliverAsync, scep-enrol.ts). A SCEP command without one is refused as not simulated.
   */
  enrolments?: ReadonlyMap<number, AndroidScepResult>;
}

interface OncEntry {
  cert: OncCertificate;
  index: number;
}

function refuse(
  index: number,
  command: CertificateCommand,
  guid: string,
  caseName: AndroidNativeCaseName,
  fieldPath: string,
  message: string,
  code: ErrorCode = ANDROID_NATIVE_CASES[caseName].code,
): CommandPlan {
  const detail = nonComplianceDetail(caseName, fieldPath);
  return { ok: false, index, command, guid, code, message, detail };
}

/** The outcome id of a command: the ONC GUID it installs, or the alias of a SCEP enrolment. */
export function commandRef(command: CertificateCommand): string {
  if (command.type === 'INSTALL_CA_CERT') return command.certificateGuid;
  return command.type === 'INSTALL_KEY_PAIR' ? command.pkcs12Guid : command.alias;
}

/** SILENT access is refused outside device-owner modes (docs/formats.md §3.4/§4.3), before anything else. */
function silentAccessRefusal(
  ctx: PlanContext,
  command: InstallKeyPairCommand | EnrollScepCommand,
  index: number,
): CommandPlan | undefined {
  if (command.access.type !== 'SILENT' || ANDROID_KIND_RULES[ctx.kind].silentAccessAllowed) return undefined;
  return refuse(
    index,
    command,
    commandRef(command),
    'silentAccessWrongMode',
    `certificateCommands[${index}].access`,
    `Key pair "${command.alias}": silent access for specific apps is only available on fully managed, ` +
      `dedicated and corporate-owned work-profile devices, not ${ctx.kind}; use USER_APPROVAL.`,
  );
}

/**
 * An `ENROLL_SCEP` command (docs/formats.md §3.5): the key pair the device enrolled for goes to the kind's
 * key-pair store under the alias (the work profile, or device-wide KeyChain on a fully managed device), its
 * key generated on the device and not exportable; a failed enrolment is refused with the enrolment's code.
 */
function planScep(ctx: PlanContext, command: EnrollScepCommand, index: number): CommandPlan {
  const ref = command.alias;
  const silent = silentAccessRefusal(ctx, command, index);
  if (silent !== undefined) return silent;
  const path = `certificateCommands[${index}]`;
  const r = ctx.enrolments?.get(index);
  if (r === undefined) {
    return refuse(
      index,
      command,
      ref,
      'scepNotEnrolled',
      path,
      `Key pair "${command.alias}" is enrolled over SCEP, which needs the network; this device did not enrol (certfleet simulates the enrolment only in a run or through the adapter's deliverAsync).`,
    );
  }
  if (!r.ok) {
    return refuse(
      index,
      command,
      ref,
      'scepEnrolFailed',
      path,
      `The SCEP enrolment of key pair "${command.alias}" failed: ${r.message}`,
      r.code,
    );
  }
  const invalid = validityProblem(r.certificate, ctx.now);
  if (invalid !== null) {
    return refuse(
      index,
      command,
      ref,
      'certExpired',
      path,
      `The certificate "${r.certificate.subjectText}" the SCEP server issued for key pair "${command.alias}" ${invalid}; the device refuses it.`,
    );
  }
  const rules = ANDROID_KIND_RULES[ctx.kind];
  return {
    ok: true,
    index,
    command,
    guid: ref,
    item: {
      store: rules.keyPairStore,
      kind: 'identity',
      certificate: r.certificate,
      privateKey: Buffer.from(exportPrivateKeyDer(r.keyPair.privateKey)),
      attrs: {
        guid: ref,
        alias: command.alias,
        access: accessAttr(command.access),
        command: 'ENROLL_SCEP',
        // generated in the device's key store (Android Keystore), never exported
        keyOrigin: 'device',
        exportable: false,
        visibleToUser: rules.keyPairsVisibleToUser,
        installPath: rules.installPath,
        scepServer: r.url,
        scepTransactionId: r.transactionId,
        chain: r.chain.map((c) => c.der.toString('base64')),
      },
    },
  };
}

/** Null when `cert` is valid at `now`, else the reason (expired / not yet valid). */
function validityProblem(cert: Certificate, now: Date): string | null {
  if (now.getTime() < cert.notBefore.getTime()) {
    return `is not valid until ${cert.notBefore.toISOString()} (device clock ${now.toISOString()})`;
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    return `expired on ${cert.notAfter.toISOString()} (device clock ${now.toISOString()})`;
  }
  return null;
}

function accessAttr(access: KeyPairAccess): Record<string, unknown> {
  return access.type === 'SILENT'
    ? { type: 'SILENT', packages: [...access.packages] }
    : { type: 'USER_APPROVAL' };
}

function planCa(
  ctx: PlanContext,
  command: InstallCaCertCommand,
  index: number,
  entry: OncEntry,
): CommandPlan {
  const guid = command.certificateGuid;
  const rules = ANDROID_KIND_RULES[ctx.kind];
  const x509Path = `openNetworkConfiguration.Certificates[${entry.index}].X509`;
  if (entry.cert.Type === 'Client') {
    // The codec refuses this already; kept so that the adapter never installs a PKCS#12 as a CA.
    return refuse(index, command, guid, 'certParse', x509Path, `Certificate "${guid}" is not an X509 entry.`);
  }
  let cert: Certificate;
  try {
    cert = parseCertificate(entry.cert.X509);
  } catch (e) {
    return refuse(
      index,
      command,
      guid,
      'certParse',
      x509Path,
      `CA certificate "${guid}" cannot be parsed (${errorMessage(e)}); send the DER certificate base64-encoded.`,
    );
  }
  const invalid = validityProblem(cert, ctx.now);
  if (invalid !== null) {
    return refuse(
      index,
      command,
      guid,
      'certExpired',
      x509Path,
      `CA certificate "${cert.subjectText}" ${invalid}; the device refuses it. Deploy a current certificate.`,
    );
  }
  const apiLevel = apiLevelOf(ctx.device.osVersion);
  return {
    ok: true,
    index,
    command,
    guid,
    item: {
      store: rules.caStore,
      kind: 'certificate',
      certificate: cert,
      attrs: {
        guid,
        oncType: entry.cert.Type,
        selfSigned: cert.isSelfSigned,
        basicConstraintsCa: cert.basicConstraints?.ca === true,
        trustedByApps: apiLevel < API_USER_CA_NOT_TRUSTED_BY_APPS,
        visibleToUser: true,
        installPath: rules.installPath,
      },
    },
  };
}

function planKeyPair(
  ctx: PlanContext,
  command: InstallKeyPairCommand,
  index: number,
  entry: OncEntry,
): CommandPlan {
  const guid = command.pkcs12Guid;
  const rules = ANDROID_KIND_RULES[ctx.kind];
  const pkcs12Path = `openNetworkConfiguration.Certificates[${entry.index}].PKCS12`;
  const silent = silentAccessRefusal(ctx, command, index);
  if (silent !== undefined) return silent;
  if (entry.cert.Type !== 'Client') {
    return refuse(
      index,
      command,
      guid,
      'pkcs12Parse',
      pkcs12Path,
      `Certificate "${guid}" is not a Client entry.`,
    );
  }
  let parsed: ReturnType<typeof parsePkcs12>;
  try {
    parsed = parsePkcs12(entry.cert.PKCS12, '');
  } catch (e) {
    const code = isCertfleetError(e) ? e.code : 'INTERNAL';
    const caseName = caseOfCertificateError(code);
    const why =
      code === 'PKCS12_BAD_PASSWORD'
        ? 'does not open with the empty passphrase ONC requires (it is protected by a password)'
        : code === 'PKCS12_UNSUPPORTED'
          ? `uses an algorithm the device cannot read (${errorMessage(e)})`
          : `is corrupt (${errorMessage(e)})`;
    return refuse(
      index,
      command,
      guid,
      caseName,
      pkcs12Path,
      `PKCS#12 "${guid}" for key pair "${command.alias}" ${why}; re-export it with an empty passphrase.`,
    );
  }
  const [leafDer, ...chainDer] = parsed.certificates;
  if (leafDer === undefined) {
    return refuse(index, command, guid, 'pkcs12Parse', pkcs12Path, `PKCS#12 "${guid}" holds no certificate.`);
  }
  const leaf = parseCertificate(leafDer);
  const invalid = validityProblem(leaf, ctx.now);
  if (invalid !== null) {
    return refuse(
      index,
      command,
      guid,
      'certExpired',
      pkcs12Path,
      `Certificate "${leaf.subjectText}" of key pair "${command.alias}" ${invalid}; the device refuses it.`,
    );
  }
  return {
    ok: true,
    index,
    command,
    guid,
    item: {
      store: rules.keyPairStore,
      kind: 'identity',
      certificate: leaf,
      privateKey: Buffer.from(exportPrivateKeyDer(parsed.privateKey)),
      attrs: {
        guid,
        alias: command.alias,
        access: accessAttr(command.access),
        // PFXDOC: "After the certificates install on the device, the private key is marked as not exportable."
        exportable: false,
        visibleToUser: rules.keyPairsVisibleToUser,
        installPath: rules.installPath,
        // The chain travels with the alias in KeyChain (installKeyPair with Certificate[]), not as user CAs.
        chain: chainDer.map((d) => d.toString('base64')),
      },
    },
  };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Plans every certificate command of `policy` in order. Never throws: an unexpected error becomes an INTERNAL
 * plan for that command only.
 */
export function planPolicy(ctx: PlanContext, policy: AndroidPolicy): CommandPlan[] {
  const entries = new Map<string, OncEntry>();
  (policy.openNetworkConfiguration?.Certificates ?? []).forEach((cert, i) => {
    entries.set(cert.GUID, { cert, index: i });
  });
  return (policy.certificateCommands ?? []).map((command, index) => {
    const guid = commandRef(command);
    try {
      if (command.type === 'ENROLL_SCEP') return planScep(ctx, command, index);
      const entry = entries.get(guid);
      if (entry === undefined) {
        // The codec refuses a command naming a missing GUID; this guards a hand-built policy.
        return refuse(
          index,
          command,
          guid,
          'policyInvalid',
          `certificateCommands[${index}]`,
          `No certificate with GUID "${guid}" in openNetworkConfiguration.Certificates.`,
        );
      }
      return command.type === 'INSTALL_CA_CERT'
        ? planCa(ctx, command, index, entry)
        : planKeyPair(ctx, command, index, entry);
    } catch (e) {
      return refuse(
        index,
        command,
        guid,
        'internal',
        `certificateCommands[${index}]`,
        `Unexpected error while installing "${guid}": ${errorMessage(e)}`,
      );
    }
  });
}
