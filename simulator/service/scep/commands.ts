/**
 * The operation behind `certfleet scep serve`: opens the CA folder, loads (or issues once) the NDES RA,
 * and starts the SCEP server. The CLI only parses arguments and calls this (docs/architecture.md house rule 8).
 */
import { CertfleetError } from '../../../pki/errors.ts';
import { EnterpriseCa } from '../ca/enterprise-ca.ts';
import { ChallengeStore } from './challenge-store.ts';
import { ADMIN_PATH, startScepServer, type RunningScepServer } from './http-server.ts';
import { loadOrIssueRa } from './ra-identity.ts';
import { ScepResponder, type ScepFailure } from './responder.ts';

/** Options of {@link scepServe}. */
export interface ScepServeOptions {
  dir: string;
  port: number;
  /** A static challenge (standalone mode); absent = one-time challenges from the admin page. */
  challenge?: string;
  template?: string;
  pendingPolls?: number;
  /** Minutes a one-time challenge stays valid. */
  challengeMinutes?: number;
  now?: () => Date;
  /** Each refused request, as it is refused (the CLI prints {@link scepFailureLine}). */
  onFailure?: (f: ScepFailure) => void;
}

/**
 * A refused request in one line, for the server's operator: the client only sees FAILURE and its failInfo,
 * and this says why — the code and message (which never carry the challenge: challenge-store.ts).
 */
export function scepFailureLine(f: ScepFailure): string {
  return `refused transaction ${f.transactionId ?? '(none)'}: ${f.code} (failInfo ${f.failInfo}): ${f.message}`;
}

/** `scep serve`: the running server, its responder, and the lines to print. */
export async function scepServe(
  o: ScepServeOptions,
): Promise<{ server: RunningScepServer; responder: ScepResponder; summary: string }> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    throw new CertfleetError('USAGE', `--port ${o.port} is not a TCP port (0–65535).`);
  }
  if (o.challenge !== undefined && o.challenge === '') {
    throw new CertfleetError(
      'USAGE',
      '--challenge is empty; give a challenge password or omit the option for one-time challenges.',
    );
  }
  const now = o.now ?? (() => new Date());
  const ca = EnterpriseCa.open(o.dir);
  if (
    o.template !== undefined &&
    !ca.templates().some((t) => t.template.name === o.template && t.published)
  ) {
    throw new CertfleetError(
      'CA_TEMPLATE_NOT_SUPPORTED',
      `The CA in ${o.dir} does not publish the template "${o.template}"; see 'certfleet ca templates'.`,
    );
  }
  const ra = await loadOrIssueRa(ca, { now: now() });
  const challenges = new ChallengeStore({
    ...(o.challenge !== undefined && { staticChallenge: o.challenge }),
    ...(o.challengeMinutes !== undefined && { validityMs: o.challengeMinutes * 60_000 }),
  });
  const responder = new ScepResponder({
    ca,
    ra,
    challenges,
    now,
    ...(o.template !== undefined && { template: o.template }),
    ...(o.pendingPolls !== undefined && { pendingPolls: o.pendingPolls }),
    ...(o.onFailure !== undefined && { onFailure: o.onFailure }),
  });
  const server = await startScepServer({
    responder,
    port: o.port,
    ...(o.challenge === undefined && { admin: { store: challenges, now } }),
  });
  const summary = [
    `SCEP server for '${ca.configString}' on ${server.url}`,
    `  NDES path   ${server.ndesUrl}`,
    `  RA          ${ra.certificate.subjectText}  (SHA-1 ${ra.certificate.sha1Thumbprint})`,
    `  challenge   ${o.challenge !== undefined ? 'static (--challenge)' : `one-time: GET http://127.0.0.1:${server.port}${ADMIN_PATH}?device=ID&profile=ID[&subject=DN]`}`,
    '',
  ].join('\n');
  return { server, responder, summary };
}
