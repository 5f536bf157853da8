/**
 * An `ENROLL_SCEP` command on the simulated Android Enterprise device (profiles/android/scep-command.ts;
 * docs/formats.md §3.5): the device makes its key pair in its key store (agent/scep-device-key.ts), builds the
 * PKCS#10 request with the command's subject, SANs and one-time challenge, and enrols over HTTP with the
 * SCEP client both sides share (protocol/scep/client.ts, RFC 8894). The private key is returned to the
 * caller, which writes it to the device's store only; it is never put in a message.
 *
 * Rules, in order (**[inferred]** where no source states them):
 * 1. SCEPDOC (docs/formats.md §3.4): the SCEP URL must be HTTPS on Android Enterprise. A plain-http URL is
 *    refused with SCEP_HTTP before anything is sent — except on a loopback host (127.0.0.0/8, ::1,
 *    localhost), which certfleet allows because its in-run SCEP server listens on loopback without TLS
 *    (a departure from the device, documented in docs/formats.md §3.5).
 * 2. `serverUrls` are tried in order: the next one only when the previous could not be reached or answered
 *    an HTTP error (SCEP_HTTP); any SCEP answer (FAILURE, PENDING) ends the enrolment.
 * 3. `caFingerprint`, when present, must be the SHA-256 of one certificate of the server's GetCACert
 *    answer; otherwise the device refuses that server with INSTALL_UNTRUSTED_CHAIN before sending the request.
 * 4. The answer is the outcome: the certificate and chain, or the client's coded failure.
 */
import { createHash } from 'node:crypto';
import { isCertfleetError, type ErrorCode } from '../../../pki/errors.ts';
import type { Certificate } from '../../../pki/certificate.ts';
import type { SanEntry } from '../../../pki/extensions.ts';
import type { KeyPair } from '../../../pki/keys.ts';
import type { EnrollScepCommand } from '../../../profiles/android/scep-command.ts';
import { ScepClient } from '../../../protocol/scep/client.ts';

/** The outcome of one `ENROLL_SCEP` command. */
export type AndroidScepResult =
  | {
      ok: true;
      keyPair: KeyPair;
      certificate: Certificate;
      chain: Certificate[];
      url: string;
      transactionId: string;
    }
  | { ok: false; code: ErrorCode; message: string };

/** What the device needs to enrol. */
export interface AndroidScepDeps {
  /** The device's key, made in its key store (throws KEY_UNSUPPORTED for a size it cannot make). */
  keyPair: (bits: number) => Promise<KeyPair>;
  /** The device clock (virtual in a run). */
  now: () => Date;
}

const SAN_TYPE = { EMAIL: 'email', DNS: 'dns', URI: 'uri', UPN: 'upn' } as const satisfies Record<
  EnrollScepCommand['subjectAltNames'][number]['type'],
  SanEntry['type']
>;

/** True for a host that names this machine (the run's SCEP server listens there). */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/** Null when the device may enrol with `url`, else why not (rule 1). */
export function urlProblem(url: string): string | null {
  const u = new URL(url);
  if (u.protocol === 'https:' || isLoopback(u.hostname)) return null;
  return `Android Enterprise enrols over SCEP only with an HTTPS URL (Intune's SCEP profile rules), and ${url} is plain ${u.protocol.replace(':', '')}; publish the SCEP server (NDES) over HTTPS and put its https:// URL in the profile.`;
}

function fail(e: unknown): AndroidScepResult {
  if (!isCertfleetError(e)) throw e;
  return { ok: false, code: e.code, message: e.message };
}

/** Acts on one `ENROLL_SCEP` command: enrols over HTTP and returns the identity, or the coded failure. */
export async function enrolAndroidScep(
  command: EnrollScepCommand,
  deps: AndroidScepDeps,
): Promise<AndroidScepResult> {
  const usable = command.serverUrls.filter((u) => urlProblem(u) === null);
  if (usable.length === 0) {
    return { ok: false, code: 'SCEP_HTTP', message: urlProblem(command.serverUrls[0]!) ?? 'no SCEP URL' };
  }
  let keyPair: KeyPair;
  try {
    keyPair = await deps.keyPair(command.keySize);
  } catch (e) {
    return fail(e);
  }
  const san: SanEntry[] = command.subjectAltNames.map((s) => ({ type: SAN_TYPE[s.type], value: s.value }));
  let last: AndroidScepResult = { ok: false, code: 'SCEP_HTTP', message: 'no SCEP server was tried' };
  for (const url of usable) {
    try {
      const client = new ScepClient({ url, now: deps.now });
      if (command.caFingerprint !== undefined) {
        const certs = await client.getCaCert();
        const match = certs.some(
          (c) => createHash('sha256').update(c.der).digest('hex') === command.caFingerprint,
        );
        if (!match) {
          return {
            ok: false,
            code: 'INSTALL_UNTRUSTED_CHAIN',
            message: `The SCEP server ${url} offers no CA certificate with the command's caFingerprint ${command.caFingerprint}; the device does not enrol with it. Check that the profile and the server belong to the same CA.`,
          };
        }
      }
      const r = await client.enrol({ keyPair, subject: command.subject, challenge: command.challenge, san });
      return {
        ok: true,
        keyPair,
        certificate: r.certificate,
        chain: r.chain,
        url,
        transactionId: r.transactionId,
      };
    } catch (e) {
      last = fail(e);
      if (last.ok || last.code !== 'SCEP_HTTP') return last; // a SCEP answer: the next server is not tried
    }
  }
  return last;
}
