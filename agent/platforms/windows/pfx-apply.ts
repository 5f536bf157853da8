/**
 * Applies one decoded ClientCertificateInstall/PFXCertInstall/{UniqueID} install or delete (docs/formats.md §2.3,
 * CCI) to the device's stores: decrypts the password (PFXCertPasswordEncryptionType), opens the PFX, chooses
 * the key storage provider, and puts the identity (certificate + PKCS#8 key) into My.
 *
 * Decisions (see README.md in this folder):
 * - The PFX's leaf (the certificate matching its key) is installed into machine or user My; the CA
 *   certificates the PFX carries with it (the issuing CA that the connector packs beside the leaf) go into the
 *   Intermediate Certification Authorities store of the same scope, as PFX import does on Windows, remembered
 *   under the node (`{node}#chain`) so that Delete removes them too — unless another node still holds the same
 *   certificate (a RootCATrustedCertificates CA, another PFX): such a row keeps its owner, lists this node as a
 *   co-holder (agent/keystore/shared-items.ts) and leaves only with its last holder. Self-signed roots in the
 *   PFX are not imported, so not trusted (Intune delivers roots with trusted-certificate profiles, PFXDOC).
 * - A leaf whose chain does not lead to an installed machine Root (or that is expired / not yet valid) is
 *   installed anyway — the store does not validate chains or time at import — with attrs.trusted=false and
 *   code INSTALL_UNTRUSTED_CHAIN / INSTALL_CERT_EXPIRED, SyncML 200.
 * - Duplicate detection hashes the PFX blob and the parameters that decide what is installed (scope, KeyLocation,
 *   ContainerName, PFXKeyExportable) but not PFXCertPassword, which changes with every re-encryption.
 *   Add of an existing node: same content → UNCHANGED (200); other content → 418 INSTALL_ALREADY_EXISTS (CCI
 *   "If a blob already exists, the Add operation will fail"). Replace of a missing node → 404 INSTALL_NOT_FOUND
 *   (CCI "When a certificate does not exist, Replace operation on this node will fail"); Replace of an existing
 *   node replaces exactly its items.
 * - Delete removes exactly the items the node installed (CCI "Delete removes certs+keys installed by the blob").
 */
import type { KeyObject } from 'node:crypto';
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { exportPrivateKeyDer, importPrivateKey } from '../../../pki/keys.ts';
import { CertfleetError, isCertfleetError } from '../../../pki/errors.ts';
import { parsePkcs12 } from '../../../pki/pkcs12.ts';
import {
  pfxLocUri,
  type PfxDeleteOperation,
  type PfxInstallOperation,
} from '../../../profiles/windows/pfx-cert-install.ts';
import { putSharedItem, releaseItems, type ReleaseResult } from '../../keystore/shared-items.ts';
import type { OutcomeCode } from '../../../protocol/wire/outcome.ts';
import {
  chainSummary,
  contentHash,
  evaluateTrust,
  profileMeta,
  type ApplyEnv,
  type PendingOutcome,
} from './apply-context.ts';
import { chooseKsp, describeKey, KSP_NAMES } from './key-storage.ts';
import type { Win32Name } from './native-status.ts';
import {
  decryptPfxPassword,
  type PasswordRecipient,
  type UndecryptableReason,
} from '../../../profiles/windows/pfx-password.ts';
import { personalStoreFor, WINDOWS_STORES } from './stores.ts';

/** CSP Status per reason a password blob did not decrypt (native-status.ts WIN32 rows). */
const UNDECRYPTABLE_CSP: Readonly<Record<UndecryptableReason, Win32Name>> = {
  'no-recipient': 'CRYPT_E_NO_DECRYPT_CERT',
  'not-cms': 'CRYPT_E_BAD_ENCODE',
  'decrypt-failed': 'NTE_BAD_DATA',
  unsupported: 'NTE_BAD_ALGID',
};

/** The My-store identities of the device that may decrypt an EncryptionType 2 password. */
function storeRecipients(env: ApplyEnv): PasswordRecipient[] {
  const { db, device } = env.ctx;
  const out: PasswordRecipient[] = [];
  for (const store of [WINDOWS_STORES.machineMy, WINDOWS_STORES.userMy]) {
    for (const item of db.items(device.id, { store, kind: 'identity' })) {
      if (item.privateKey === undefined) continue;
      try {
        out.push({
          certificate: parseCertificate(item.certificate),
          privateKey: importPrivateKey(item.privateKey),
        });
      } catch {
        // An unreadable item cannot be a recipient.
      }
    }
  }
  return out;
}

function fail(payload: string, code: OutcomeCode, message: string, csp?: Win32Name): PendingOutcome {
  const out: PendingOutcome = { payload, status: 'failed', code, message };
  if (csp !== undefined) out.csp = csp;
  return out;
}

/** The password the PFX is protected with, or a failed outcome. */
function passwordOf(env: ApplyEnv, op: PfxInstallOperation, payload: string): string | PendingOutcome {
  const { install } = op;
  if (install.passwordEncryptionType === 0) return install.password ?? '';
  const recipients: PasswordRecipient[] =
    install.passwordEncryptionType === 1
      ? env.ctx.identity === undefined
        ? []
        : [env.ctx.identity]
      : storeRecipients(env);
  if (install.password === undefined || install.password === '') {
    return fail(
      payload,
      'INSTALL_PASSWORD_UNDECRYPTABLE',
      `${payload}: PFXCertPasswordEncryptionType is ${install.passwordEncryptionType} but no PFXCertPassword was sent.`,
      'CRYPT_E_BAD_ENCODE',
    );
  }
  try {
    return decryptPfxPassword(install.password, recipients);
  } catch (e) {
    if (isCertfleetError(e, 'INSTALL_PASSWORD_UNDECRYPTABLE')) {
      const reason = e.details.reason as UndecryptableReason;
      return fail(payload, e.code, `${payload}: ${e.message}`, UNDECRYPTABLE_CSP[reason]);
    }
    throw e;
  }
}

/** Installs (Add/Replace of PFXCertBlob) one PFX. */
export function applyPfxInstall(env: ApplyEnv, op: PfxInstallOperation): PendingOutcome {
  const { install } = op;
  const payload = pfxLocUri(install.scope, install.uniqueId);
  const { db, device } = env.ctx;
  const hash = contentHash(
    install.scope,
    String(install.keyLocation),
    install.containerName ?? '',
    String(install.keyExportable),
    install.pfxBlob,
  );
  const existing = db.profile(device.id, payload);
  if (existing !== undefined && existing.contentHash === hash) {
    return {
      payload,
      status: 'installed',
      code: 'UNCHANGED',
      message: `${payload} already holds this PFX; nothing changed.`,
    };
  }
  if (existing !== undefined && op.command === 'Add') {
    return fail(
      payload,
      'INSTALL_ALREADY_EXISTS',
      `${payload} already has a PFX installed; an Add of PFXCertBlob fails when a blob exists. Use Replace, or Delete the node first.`,
    );
  }
  if (existing === undefined && op.command === 'Replace') {
    return fail(
      payload,
      'INSTALL_NOT_FOUND',
      `${payload} has no certificate installed; Replace of PFXCertBlob fails then. Use Add.`,
    );
  }

  const password = passwordOf(env, op, payload);
  if (typeof password !== 'string') return password;
  let leaf: Certificate;
  let privateKey: KeyObject;
  let chainCas: Certificate[];
  try {
    const parsed = parsePkcs12(install.pfxBlob, password);
    const leafDer = parsed.certificates[0];
    if (leafDer === undefined) throw new CertfleetError('PKCS12_PARSE', 'The PFX holds no certificate.');
    leaf = parseCertificate(leafDer);
    privateKey = parsed.privateKey;
    chainCas = parsed.certificates
      .slice(1)
      .map((der) => parseCertificate(der))
      .filter((c) => c.basicConstraints?.ca === true && !c.isSelfSigned);
  } catch (e) {
    if (isCertfleetError(e)) {
      const code =
        e.code === 'PKCS12_BAD_PASSWORD' || e.code === 'PKCS12_UNSUPPORTED' ? e.code : 'PKCS12_PARSE';
      const hint =
        e.code === 'PKCS12_BAD_PASSWORD'
          ? 'The PFX password is wrong; the service must send the password the PFX was exported with.'
          : e.message;
      return fail(payload, code, `${payload}: PFXImportCertStore fails: ${hint}`);
    }
    throw e;
  }

  const ksp = chooseKsp(device, install, privateKey);
  if (!ksp.ok) return fail(payload, ksp.code, `${payload}: ${ksp.message}`);

  if (existing !== undefined) releaseNode(env, payload);
  const installedAt = env.now.toISOString();
  const caStore = install.scope === 'User' ? WINDOWS_STORES.userCa : WINDOWS_STORES.machineCa;
  for (const ca of chainCas) {
    // A CA certificate already in the store (a RootCATrustedCertificates node put it there, or another PFX)
    // keeps its owner; this node becomes a co-holder, so deleting either leaves it for the other.
    putSharedItem(db, {
      deviceId: device.id,
      store: caStore,
      kind: 'certificate',
      ref: chainRefOf(payload),
      thumbprint: ca.sha1Thumbprint,
      subject: ca.subjectText,
      issuer: ca.issuerText,
      notBefore: ca.notBefore.toISOString(),
      notAfter: ca.notAfter.toISOString(),
      certificate: ca.der,
      attrs: { fromPfx: install.uniqueId },
      installedAt,
    });
  }
  const trust = evaluateTrust(env, leaf);
  const store = personalStoreFor(install.scope);
  const attrs: Record<string, unknown> = {
    uniqueId: install.uniqueId,
    keyLocation: install.keyLocation,
    ksp: ksp.ksp,
    provider: KSP_NAMES[ksp.ksp],
    keyAlgorithm: describeKey(privateKey),
    exportable: ksp.exportable,
    trusted: trust.trusted,
  };
  if (install.containerName !== undefined) attrs.containerName = install.containerName;
  if (!trust.trusted) attrs.chainProblems = trust.problems.map((p) => p.code);
  db.putItem({
    deviceId: device.id,
    store,
    kind: 'identity',
    ref: payload,
    thumbprint: leaf.sha1Thumbprint,
    subject: leaf.subjectText,
    issuer: leaf.issuerText,
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    certificate: leaf.der,
    privateKey: Buffer.from(exportPrivateKeyDer(privateKey)),
    attrs,
    installedAt,
  });
  db.putProfile({
    deviceId: device.id,
    ref: payload,
    contentHash: hash,
    meta: profileMeta(env, {
      csp: 'ClientCertificateInstall',
      scope: install.scope,
      uniqueId: install.uniqueId,
      store,
      thumbprint: leaf.sha1Thumbprint,
      keyLocation: install.keyLocation,
      ksp: ksp.ksp,
      status: 0,
    }),
    installedAt,
  });
  const what = `${leaf.subjectText} (${leaf.sha1Thumbprint}) into ${store} with its key in the ${KSP_NAMES[ksp.ksp]} (${ksp.exportable ? 'exportable' : 'not exportable'})`;
  if (!trust.trusted) {
    return {
      payload,
      status: 'installed',
      code: trust.code,
      message: `Installed ${what}, but its chain is not trusted on this device: ${chainSummary(trust.problems)} Windows imports it anyway; deliver the root and intermediates with trusted-certificate profiles.`,
    };
  }
  return { payload, status: 'installed', code: 'OK', message: `Installed ${what}.` };
}

/** The store ref of the CA certificates a PFX node brought with it (removed with the node). */
export function chainRefOf(node: string): string {
  return `${node}#chain`;
}

/** What {@link releaseNode} released: the node's own items (identity + key) and the CA certificates it brought. */
export interface ReleasedNode {
  own: ReleaseResult;
  chain: ReleaseResult;
}

/**
 * Releases what the PFX node `node` holds: its identity and the CA certificates it brought; a CA certificate
 * another node (a RootCATrustedCertificates node, another PFX) still holds stays in the store.
 */
export function releaseNode(env: Pick<ApplyEnv, 'ctx'>, node: string): ReleasedNode {
  const { db, device } = env.ctx;
  return {
    own: releaseItems(db, device.id, node),
    chain: releaseItems(db, device.id, chainRefOf(node)),
  };
}

/** A short account of a release, for "Removed …" messages. */
export function describeRelease(r: ReleasedNode): string {
  const parts = [`${r.own.removed} certificate and key`];
  if (r.chain.removed > 0) parts.push(`${r.chain.removed} CA certificate(s) it brought`);
  if (r.chain.kept > 0) {
    parts.push(`${r.chain.kept} CA certificate(s) kept because another node still holds them`);
  }
  return parts.join('; ');
}

/** Deletes PFXCertInstall/{UniqueID}: exactly the certificates and keys that node installed. */
export function applyPfxDelete(env: ApplyEnv, op: PfxDeleteOperation): PendingOutcome {
  const payload = pfxLocUri(op.scope, op.uniqueId);
  const { db, device } = env.ctx;
  const previous = db.items(device.id, { ref: payload, kind: 'identity' })[0];
  const released = releaseNode(env, payload);
  const had = db.removeProfile(device.id, payload);
  if (released.own.removed === 0 && !had) {
    return fail(payload, 'INSTALL_NOT_FOUND', `${payload} does not exist on this device; nothing to delete.`);
  }
  return {
    payload,
    status: 'installed',
    code: 'OK',
    message: `Removed ${payload} (${describeRelease(released)}).`,
    removed: previous === undefined ? '' : `${previous.subject} (${previous.thumbprint})`,
  };
}

/**
 * One outcome per node for a renewal-shaped message: when a PFX node is deleted and then installed again in
 * the same message (Delete, then Atomic Add — what the service sends to replace a certificate), the Delete's
 * "Removed …" outcome is folded into the install's, which says that it replaced the previous certificate.
 * An install that failed leaves both outcomes as they are (the Delete did happen).
 */
export function foldReplacements(pending: readonly PendingOutcome[]): PendingOutcome[] {
  const out: PendingOutcome[] = [];
  for (const o of pending) {
    const i =
      o.status === 'installed' && o.removed === undefined
        ? out.findIndex((p) => p.payload === o.payload && p.removed !== undefined)
        : -1;
    const deletion = i >= 0 ? out[i] : undefined;
    if (deletion === undefined) {
      out.push(o);
      continue;
    }
    out.splice(i, 1);
    const what =
      deletion.removed === ''
        ? 'the previous certificate of this node'
        : `the previous certificate ${deletion.removed}`;
    out.push({
      ...o,
      message: `${o.message} It replaces ${what}, which the Delete before it removed with its key.`,
    });
  }
  return out;
}
