/**
 * Applies one decoded RootCATrustedCertificates operation (docs/formats.md §2.4, RCA) to the device's stores.
 *
 * Decisions (see README.md in this folder):
 * - The certificate must parse (else CERT_PARSE, SyncML 500, CRYPT_E_ASN1_BADTAG — docs/errors.md §1.2, inferred).
 * - A node name that is not the certificate's SHA-1 is tolerated (FLEET: Windows accepts free-text node names
 *   in practice); the certificate is stored under its real thumbprint and the message says so.
 * - Root accepts a CA certificate or a self-signed certificate without basicConstraints (X.509 v1 roots are
 *   valid anchors); CA accepts only basicConstraints cA=true. Anything else → INSTALL_NOT_A_CA, SyncML 500.
 *   Windows itself would import any certificate; certfleet follows TRUSTDOC ("trusted certificate profiles"
 *   deliver root/intermediate CA certificates) so that a wrong certificate in a trusted-cert profile is visible.
 * - Add of an existing node: identical content → UNCHANGED (200, idempotent, issue 4); other content → 418
 *   INSTALL_ALREADY_EXISTS (OMADM "Add of a node that already exists"). Replace installs (implicit Add, OMADM)
 *   or replaces exactly that node's certificate.
 * - Validity is not checked at import (Windows stores do not); an expired / not-yet-valid or unchained
 *   certificate is installed with trusted=false and reported with INSTALL_CERT_EXPIRED / INSTALL_UNTRUSTED_CHAIN
 *   and SyncML 200.
 * - Delete removes the node's certificate; an unknown node → 404 INSTALL_NOT_FOUND. A certificate that a PFX
 *   node also brought into the same store (its chain CA) is held by both (agent/keystore/shared-items.ts) and
 *   leaves only when neither holds it (issue 4 regression: a renewal's PFX Delete removed the profile's CA).
 */
import { parseCertificate, type Certificate } from '../../../pki/certificate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  trustedCertLocUri,
  type TrustedCertOperation,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import {
  chainSummary,
  contentHash,
  evaluateTrust,
  profileMeta,
  type ApplyEnv,
  type PendingOutcome,
} from './apply-context.ts';
import { putSharedItem, releaseItems } from '../../keystore/shared-items.ts';
import type { StoreItem } from '../../keystore/store-db.ts';
import { trustedStoreFor } from './stores.ts';

function isCaFor(store: string, cert: Certificate): boolean {
  if (cert.basicConstraints?.ca === true) return true;
  return store === 'Root' && cert.basicConstraints === undefined && cert.isSelfSigned;
}

/** Applies an Add, Replace or Delete of `…/RootCATrustedCertificates/{store}/{node}`. */
export function applyTrustedCert(env: ApplyEnv, op: TrustedCertOperation): PendingOutcome {
  const payload = trustedCertLocUri(op.scope, op.store, op.thumbprint);
  const { db, device } = env.ctx;
  if (op.command === 'Delete') {
    const released = releaseItems(db, device.id, payload);
    const had = db.removeProfile(device.id, payload);
    if (released.removed + released.kept === 0 && !had) {
      return {
        payload,
        status: 'failed',
        code: 'INSTALL_NOT_FOUND',
        message: `${payload} does not exist on this device; nothing to delete.`,
      };
    }
    return {
      payload,
      status: 'installed',
      code: 'OK',
      message:
        released.kept > 0
          ? `Removed ${payload}; its certificate stays in the store because another node (a PFX that brought it) still holds it.`
          : `Removed ${payload} (${released.removed} certificate).`,
    };
  }

  const store = trustedStoreFor(op.scope, op.store);
  if (store === undefined) {
    return {
      payload,
      status: 'failed',
      code: 'INSTALL_STORE_NOT_SUPPORTED',
      syncml: op.scope === 'User' && op.store === 'Root' ? 405 : 404,
      message:
        op.scope === 'User' && op.store === 'Root'
          ? `${payload}: ./User configuration is not supported for RootCATrustedCertificates/Root; install roots under ./Device.`
          : `${payload}: the ${op.store} store is not modelled by certfleet's Windows device (only Root and CA); use Root or CA.`,
    };
  }
  let cert: Certificate;
  try {
    cert = parseCertificate(op.certificateDer);
  } catch (e) {
    return {
      payload,
      status: 'failed',
      code: 'CERT_PARSE',
      message: `${payload}: EncodedCertificate is not an X.509 certificate (${isCertfleetError(e) ? e.message : String(e)}); send the DER certificate as base64 on one line.`,
    };
  }
  if (!isCaFor(op.store, cert)) {
    return {
      payload,
      status: 'failed',
      code: 'INSTALL_NOT_A_CA',
      message: `${payload}: "${cert.subjectText}" is not a CA certificate (basicConstraints cA is not set), and the ${op.store} store of a trusted-certificate profile takes only root or intermediate CA certificates. Deliver the issuing CA or root, and the leaf through a PKCS profile.`,
    };
  }

  const hash = contentHash(store, cert.der);
  const existing = db.profile(device.id, payload);
  if (existing !== undefined && existing.contentHash === hash) {
    return {
      payload,
      status: 'installed',
      code: 'UNCHANGED',
      message: `${payload} already holds this certificate (${cert.sha1Thumbprint}); nothing changed.`,
    };
  }
  if (existing !== undefined && op.command === 'Add') {
    return {
      payload,
      status: 'failed',
      code: 'INSTALL_ALREADY_EXISTS',
      message: `${payload} already exists with another certificate; use Replace (or Delete then Add) to change it.`,
    };
  }
  if (existing !== undefined) releaseItems(db, device.id, payload);

  const notes: string[] = [];
  if (op.thumbprint.toUpperCase() !== cert.sha1Thumbprint) {
    // FLEET: Windows accepts a node name that is not the thumbprint
    notes.push(
      `the node name "${op.thumbprint}" is not the certificate's SHA-1 ${cert.sha1Thumbprint}; Windows tolerates this and stores it under its real thumbprint`,
    );
  }
  const installedAt = env.now.toISOString();
  const item: StoreItem = {
    deviceId: device.id,
    store,
    kind: 'certificate',
    ref: payload,
    thumbprint: cert.sha1Thumbprint,
    subject: cert.subjectText,
    issuer: cert.issuerText,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    certificate: cert.der,
    attrs: { nodeName: op.thumbprint, trusted: true },
    installedAt,
  };
  // A certificate a PFX already brought into this store keeps that row; this node becomes a co-holder.
  const held = putSharedItem(db, item);
  // Evaluated after the put so that a root is its own anchor.
  const trust = evaluateTrust(env, cert);
  if (!trust.trusted && held === 'owned') {
    db.putItem({
      ...item,
      attrs: { ...item.attrs, trusted: false, chainProblems: trust.problems.map((p) => p.code) },
    });
  }
  db.putProfile({
    deviceId: device.id,
    ref: payload,
    contentHash: hash,
    meta: profileMeta(env, {
      csp: 'RootCATrustedCertificates',
      store,
      thumbprint: cert.sha1Thumbprint,
    }),
    installedAt,
  });
  const what = `${cert.subjectText} (${cert.sha1Thumbprint}) into ${store}`;
  const tail = notes.length > 0 ? ` Note: ${notes.join('; ')}.` : '';
  if (!trust.trusted) {
    return {
      payload,
      status: 'installed',
      code: trust.code,
      message: `Installed ${what}, but it is not trusted on this device: ${chainSummary(trust.problems)} Windows stores it anyway.${tail}`,
    };
  }
  return { payload, status: 'installed', code: 'OK', message: `Installed ${what}.${tail}` };
}
