/**
 * Turns a problem the Windows codec reported (a CertfleetError with `details.status`, `details.locUri`,
 * `details.cmdId` — profiles/windows/syncml-problem.ts) into the outcome the device reports for it. Most keep
 * the codec's code (SYNCML_PARSE / SYNCML_INVALID) and SyncML status; the CSP-rule failures the codec detects
 * on PFXCertBlob and RootCATrustedCertificates get the agent's code, so QA sees the same code whichever layer
 * found the problem:
 * - `PFXKeyExportable is true with KeyLocation …` → INSTALL_EXPORT_NOT_ALLOWED (CCI "the CSP will fail");
 * - `KeyLocation 4 … needs ContainerName` → INSTALL_CONTAINER_REQUIRED (CCI "enrollment will fail");
 * - `./User/…/RootCATrustedCertificates/Root` or a store that does not exist → INSTALL_STORE_NOT_SUPPORTED;
 * - EncodedCertificate data that is empty or not single-line base64 (500) → CERT_PARSE;
 * - PFXCertBlob that is empty or not base64 → PKCS12_PARSE.
 * The mapping matches the codec's message texts; test/unit/agent-windows pins each one.
 */
import type { CertfleetError } from '../../../pki/errors.ts';
import { splitLocUri } from '../../../profiles/windows/loc-uri.ts';
import type { PendingOutcome } from './apply-context.ts';

const PFX_CSP = ['Vendor', 'MSFT', 'ClientCertificateInstall', 'PFXCertInstall'];
const RCA_CSP = ['Vendor', 'MSFT', 'RootCATrustedCertificates'];

/** The node a LocURI belongs to: `…/PFXCertInstall/{id}` or `…/RootCATrustedCertificates/{store}/{node}`. */
export function payloadNode(locUri: string): string {
  const split = splitLocUri(locUri);
  const prefix = `./${split.scope}/`;
  for (const [csp, depth] of [
    [PFX_CSP, PFX_CSP.length + 1],
    [RCA_CSP, RCA_CSP.length + 2],
  ] as const) {
    if (csp.every((s, i) => split.segments[i] === s) && split.segments.length >= depth) {
      return prefix + split.segments.slice(0, depth).join('/');
    }
  }
  return locUri;
}

/** The outcome for one codec problem, and the payload (node) it concerns. */
export function classifyProblem(
  error: CertfleetError,
  defaultStatus = 500,
): { payload: string; outcome: PendingOutcome } {
  const locUri = typeof error.details.locUri === 'string' ? error.details.locUri : undefined;
  const path = typeof error.details.path === 'string' ? error.details.path : undefined;
  const payload = locUri === undefined ? (path ?? 'SyncML') : payloadNode(locUri);
  const status = typeof error.details.status === 'number' ? error.details.status : defaultStatus;
  const m = error.message;
  const outcome = (
    code: PendingOutcome['code'],
    csp?: null,
  ): { payload: string; outcome: PendingOutcome } => {
    const o: PendingOutcome = { payload, status: 'failed', code, message: m, syncml: status };
    if (csp === null) o.csp = null;
    return { payload, outcome: o };
  };
  if (/PFXKeyExportable is true with KeyLocation/.test(m)) return outcome('INSTALL_EXPORT_NOT_ALLOWED');
  if (/KeyLocation 4 \(Windows Hello for Business\) needs ContainerName/.test(m)) {
    return outcome('INSTALL_CONTAINER_REQUIRED');
  }
  if (locUri !== undefined) {
    const split = splitLocUri(locUri);
    const rca = RCA_CSP.every((s, i) => split.segments[i] === s);
    if (rca && /User configuration is not supported|is not a RootCATrustedCertificates store/.test(m)) {
      return outcome('INSTALL_STORE_NOT_SUPPORTED', null);
    }
    if (rca && status === 500 && /certificate data|base64 certificate/.test(m)) return outcome('CERT_PARSE');
    if (/PFXCertBlob is (empty|not valid)/.test(m)) return outcome('PKCS12_PARSE');
  }
  return outcome(error.code, null);
}
