/**
 * Applies one decoded RootCATrustedCertificates operation (docs/formats.md §2.4, RCA
 * https://learn.microsoft.com/windows/client-management/mdm/rootcacertificates-csp) to the device's stores.
 *
 * Decisions (see README.md in this folder):
 * - Stores: every RCA store, in the tree of the node's scope (stores.ts): Root (./Device only; ./User/…/Root
 *   → 405, RCA "./User configuration is not supported"), CA, TrustedPeople, TrustedPublisher,
 *   UntrustedCertificates (Windows 10 1803+) and OemEsim (Windows 11 21H2+). A store the device's build does
 *   not have is not in its tree → 404 INSTALL_STORE_NOT_SUPPORTED, as for any node a device lacks.
 * - The certificate must parse (else CERT_PARSE, SyncML 500, CRYPT_E_ASN1_BADTAG — docs/errors.md §1.2, inferred).
 * - A node name that is not the certificate's SHA-1 is tolerated (FLEET: Windows accepts free-text node names
 *   in practice); the certificate is stored under its real thumbprint and the message says so.
 * - Root accepts a CA certificate or a self-signed certificate without basicConstraints (X.509 v1 roots are
 *   valid anchors); CA accepts only basicConstraints cA=true. Anything else → INSTALL_NOT_A_CA, SyncML 500.
 *   Windows itself would import any certificate; certfleet follows TRUSTDOC ("trusted certificate profiles"
 *   deliver root/intermediate CA certificates) so that a wrong certificate in a trusted-cert profile is visible.
 *   TrustedPeople, TrustedPublisher, UntrustedCertificates and OemEsim take any certificate (RCA sets no such
 *   rule: a trusted person's or publisher's certificate is a leaf) and report OK whatever its chain (no chain
 *   check at install; held() reports chain trust as for every certificate).
 * - UntrustedCertificates is the store "to immediately flag certificates that have been compromised and no
 *   longer usable" (RCA): its certificates are stored with trusted=false, and apply-context.ts evaluateTrust
 *   treats any chain through one of them as untrusted.
 * - Add of an existing node: identical content → 418 (OMADM "Already exists": an Add of a node that already
 *   exists), outcome `installed` / UNCHANGED: the certificate is on the device, nothing changed, and the MDM
 *   service reads a 418 on the very certificate it sent as already installed (inferred; the service takes the
 *   typed outcome). Other content → 418 INSTALL_ALREADY_EXISTS, failed. Replace installs (implicit Add,
 *   OMADM) or replaces exactly that node's certificate; a Replace with the same certificate is UNCHANGED, 200.
 * - Validity is not checked at import (Windows stores do not); an expired / not-yet-valid or unchained
 *   certificate in Root or CA is installed with trusted=false and reported with INSTALL_CERT_EXPIRED /
 *   INSTALL_UNTRUSTED_CHAIN and SyncML 200.
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
  type TrustResult,
} from './apply-context.ts';
import { putSharedItem, releaseItems } from '../../keystore/shared-items.ts';
import type { StoreItem } from '../../keystore/store-db.ts';
import { rcaStoreMissingOn, trustedStoreFor, UNTRUSTED_STORES, type WindowsStore } from './stores.ts';

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
      syncml: 405,
      message: `${payload}: ./User configuration is not supported for RootCATrustedCertificates/Root; install roots under ./Device.`,
    };
  }
  const missing = rcaStoreMissingOn(op.store, device.osVersion);
  if (missing !== undefined) {
    return {
      payload,
      status: 'failed',
      code: 'INSTALL_STORE_NOT_SUPPORTED',
      syncml: 404,
      message: `${payload}: this device has no ${op.store} node: ${missing} (RootCATrustedCertificates CSP, Applicable OS); a device answers 404 for a node it does not have.`,
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
  if ((op.store === 'Root' || op.store === 'CA') && !isCaFor(op.store, cert)) {
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
    if (op.command === 'Add') {
      // OMADM: 418 for an Add of a node that exists; the certificate is there, so the outcome is UNCHANGED
      return {
        payload,
        status: 'installed',
        code: 'UNCHANGED',
        syncml: 418,
        csp: null,
        message: `${payload} already holds this certificate (${cert.sha1Thumbprint}): Windows answers the Add 418 Already exists and changes nothing; the certificate stays installed.`,
      };
    }
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
  const chainChecked = op.store === 'Root' || op.store === 'CA';
  const distrusts = (UNTRUSTED_STORES as readonly WindowsStore[]).includes(store);
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
    attrs: { nodeName: op.thumbprint, trusted: !distrusts },
    installedAt,
  };
  // A certificate a PFX already brought into this store keeps that row; this node becomes a co-holder.
  const held = putSharedItem(db, item);
  // Root and CA: the chain is evaluated after the put, so that a root is its own anchor. The other stores
  // take a certificate for what the admin put it there for (a trusted person or publisher, an eSIM
  // certificate, a distrusted one): no chain check at install; held() still reports chain trust.
  const trust: TrustResult = chainChecked
    ? evaluateTrust(env, cert)
    : { trusted: !distrusts, code: 'OK', problems: [] };
  if (chainChecked && !trust.trusted && held === 'owned') {
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
  if (distrusts) {
    return {
      payload,
      status: 'installed',
      code: 'OK',
      message: `Installed ${what}: Windows now distrusts this certificate explicitly, and no chain through it is trusted on this device.${tail}`,
    };
  }
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
