/**
 * A SCEP client (RFC 8894 §3–§4), the device side's enrolment engine and `certfleet scep enroll`'s: GetCACaps,
 * GetCACert, PKCSReq (or RenewalReq signed with the certificate being renewed), and CertPoll while the server
 * answers PENDING. It lives in protocol/ because both the device side (agent/, issue 14 point 2) and the
 * standalone command use it; it speaks real HTTP (global fetch).
 *
 * The private key is the caller's: the client signs with it and opens the reply with it, and never sends,
 * logs or stores it. Waiting between polls is the caller's `wait` (a virtual-clock wait in a run, a real
 * sleep on the command line — docs/architecture.md house rule 2); without one the client does not poll.
 *
 * @example
 * const client = new ScepClient({ url: 'http://127.0.0.1:8080/scep' });
 * const { certificate } = await client.enrol({ keyPair, subject: 'CN=dev-1', challenge });
 */
import { randomBytes } from 'node:crypto';
import { createCertificate, parseCertificate, type Certificate } from '../../pki/certificate.ts';
import { encodeSequence } from '../../pki/der.ts';
import { encodeDn } from '../../pki/dn-der.ts';
import { toDn, type Dn } from '../../pki/dn.ts';
import type { SanEntry } from '../../pki/extensions.ts';
import type { KeyPair } from '../../pki/keys.ts';
import { MAX_BASE64_CHARS } from '../../pki/limits.ts';
import { cipherForCaps, digestForCaps, parseCaps } from './caps.ts';
import type { EnvelopeRecipient } from './envelope.ts';
import {
  decodePkiMessage,
  encodePkiMessage,
  newNonce,
  transactionIdOf,
  type DecodedPkiMessage,
} from './pki-message.ts';
import { scepError } from './scep-error.ts';
import { createScepCsr, type ScepCsrOptions } from './scep-csr.ts';
import { certificatesOf } from './signed-data.ts';
import type { MessageType } from './oids.ts';

/** Options of {@link ScepClient}. */
export interface ScepClientOptions {
  /** The SCEP URL without the query (`http://host:port/scep`, `…/certsrv/mscep/mscep.dll`). */
  url: string;
  /** Waits before the n-th poll (1-based); absent = no polling (a PENDING answer fails with SCEP_PENDING). */
  wait?: (poll: number) => Promise<void>;
  /** Polls after the first PENDING before giving up (default 10 when `wait` is given). */
  maxPolls?: number;
  now?: () => Date;
  random?: (n: number) => Buffer;
}

/** What {@link ScepClient.enrol} needs. */
export interface EnrolRequest {
  keyPair: KeyPair;
  subject: Dn | string;
  challenge?: string;
  san?: readonly SanEntry[];
  /** Further requested extensions and name-value pairs (scep-csr.ts ScepCsrOptions). */
  extensions?: ScepCsrOptions['extensions'];
  nameValuePairs?: ScepCsrOptions['nameValuePairs'];
  /** Renew: sign a RenewalReq with this certificate and its key (RFC 8894 §3.3.1.2) instead of a self-signed one. */
  renew?: EnvelopeRecipient;
}

/** An enrolment's result. */
export interface EnrolResult {
  certificate: Certificate;
  /** The other certificates of the reply (the issuing CA). */
  chain: Certificate[];
  transactionId: string;
  polls: number;
}

const PKI_MESSAGE = 'application/x-pki-message';

export class ScepClient {
  readonly #o: ScepClientOptions;
  readonly #random: (n: number) => Buffer;

  constructor(o: ScepClientOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw scepError(
        'USAGE',
        'badRequest',
        `"${o.url}" is not a URL; give the SCEP server's URL, e.g. http://127.0.0.1:8080/scep.`,
      );
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw scepError('USAGE', 'badRequest', `"${o.url}" is not an http(s) URL.`);
    }
    this.#o = o;
    this.#random = o.random ?? randomBytes;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  async #get(operation: string, message?: string): Promise<{ type: string; body: Buffer }> {
    const url = new URL(this.#o.url);
    url.searchParams.set('operation', operation);
    if (message !== undefined) url.searchParams.set('message', message);
    return this.#send(url, { method: 'GET' }, operation);
  }

  async #send(url: URL, init: RequestInit, operation: string): Promise<{ type: string; body: Buffer }> {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (cause) {
      throw scepError(
        'SCEP_HTTP',
        'badRequest',
        `The SCEP server ${this.#o.url} cannot be reached for ${operation} (${(cause as Error).message}).`,
        { cause },
      );
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) {
      const text = body.toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
      throw scepError(
        'SCEP_HTTP',
        'badRequest',
        `The SCEP server answered ${operation} with HTTP ${res.status}${text ? `: ${text}` : ''}.`,
        { details: { status: res.status } },
      );
    }
    return { type: (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase(), body };
  }

  /** GetCACaps: the server's capabilities (an empty set when it answers none). */
  async getCaCaps(): Promise<Set<string>> {
    const { body } = await this.#get('GetCACaps');
    return parseCaps(body.toString('utf8'));
  }

  /** GetCACert: the CA certificate, or the RA and CA certificates (RFC 8894 §4.2). */
  async getCaCert(): Promise<Certificate[]> {
    const { type, body } = await this.#get('GetCACert');
    try {
      if (type === 'application/x-x509-ca-cert') return [parseCertificate(body)];
      if (type === 'application/x-x509-ca-ra-cert') {
        const certs = certificatesOf(body);
        if (certs.length === 0) throw new Error('the certs-only SignedData is empty');
        return certs;
      }
    } catch (cause) {
      throw scepError(
        'SCEP_HTTP',
        'badRequest',
        `GetCACert did not return a certificate (${(cause as Error).message}).`,
        { cause },
      );
    }
    throw scepError(
      'SCEP_HTTP',
      'badRequest',
      `GetCACert answered content type "${type}", not application/x-x509-ca-cert or application/x-x509-ca-ra-cert.`,
    );
  }

  async #pkiOperation(message: Buffer, post: boolean): Promise<Buffer> {
    let reply: { type: string; body: Buffer };
    if (post) {
      const url = new URL(this.#o.url);
      url.searchParams.set('operation', 'PKIOperation');
      reply = await this.#send(
        url,
        { method: 'POST', body: message, headers: { 'content-type': PKI_MESSAGE } },
        'PKIOperation',
      );
    } else {
      const b64 = message.toString('base64');
      if (b64.length > MAX_BASE64_CHARS)
        throw scepError('USAGE', 'badRequest', 'The request is too large for a GET PKIOperation.');
      reply = await this.#get('PKIOperation', b64);
    }
    if (reply.type !== PKI_MESSAGE) {
      throw scepError(
        'SCEP_HTTP',
        'badRequest',
        `PKIOperation answered content type "${reply.type}", not ${PKI_MESSAGE}.`,
      );
    }
    return reply.body;
  }

  /**
   * Enrols (or renews) and returns the issued certificate.
   *
   * @throws CertfleetError SCEP_HTTP, SCEP_REQUEST_FAILED (`details.failInfo`), SCEP_PENDING,
   *   SCEP_MESSAGE_INVALID (a reply that is not from the CA/RA or does not answer this request).
   */
  async enrol(r: EnrolRequest): Promise<EnrolResult> {
    const caps = await this.getCaCaps().catch(() => new Set<string>());
    const caCerts = await this.getCaCert();
    const ras = caCerts.filter((c) => c.basicConstraints?.ca !== true);
    const recipients = ras.length > 0 ? ras : caCerts.slice(0, 1);
    const now = this.#now();
    const subject = toDn(r.subject);
    const signer: EnvelopeRecipient = r.renew ?? {
      certificate: createCertificate({
        subject,
        publicKey: r.keyPair.publicKey,
        issuer: 'self',
        signingKey: r.keyPair.privateKey,
        serialNumber: this.#random(8).toString('hex').replace(/^0*/, '1'),
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + 3_600_000),
      }),
      privateKey: r.keyPair.privateKey,
    };
    const csr = createScepCsr({
      subject,
      keyPair: r.keyPair,
      ...(r.challenge !== undefined && { challenge: r.challenge }),
      ...(r.san !== undefined && { san: r.san }),
      ...(r.extensions !== undefined && { extensions: r.extensions }),
      ...(r.nameValuePairs !== undefined && { nameValuePairs: r.nameValuePairs }),
    });
    const transactionId = transactionIdOf(r.keyPair.publicKey);
    const base = {
      transactionId,
      recipients,
      cipher: cipherForCaps(caps),
      digest: digestForCaps(caps),
      signer,
      random: this.#random,
    };
    const post = caps.has('POSTPKIOPERATION');
    const send = async (messageType: MessageType, data: Uint8Array): Promise<DecodedPkiMessage> => {
      const senderNonce = newNonce(this.#random);
      const der = encodePkiMessage({ ...base, messageType, senderNonce, data, signingTime: this.#now() });
      const reply = decodePkiMessage(await this.#pkiOperation(der, post), [signer], caCerts);
      this.#checkReply(reply, caCerts, transactionId, senderNonce);
      return reply;
    };
    let reply = await send(r.renew ? 'RenewalReq' : 'PKCSReq', csr.der);
    let polls = 0;
    const maxPolls = this.#o.wait === undefined ? 0 : (this.#o.maxPolls ?? 10);
    while (reply.pkiStatus === 'PENDING') {
      if (polls >= maxPolls) {
        throw scepError(
          'SCEP_PENDING',
          'badRequest',
          `The SCEP server still answers PENDING for transaction ${transactionId} after ${polls} poll(s); the CA holds the request for approval. Poll again later with the same key.`,
          { details: { transactionId, polls } },
        );
      }
      polls += 1;
      await this.#o.wait!(polls);
      const issuerAndSubject = encodeSequence([encodeDn(toDn(recipients[0]!.issuerText)), encodeDn(subject)]);
      reply = await send('CertPoll', issuerAndSubject);
    }
    if (reply.pkiStatus === 'FAILURE') {
      throw scepError(
        'SCEP_REQUEST_FAILED',
        reply.failInfo ?? 'badRequest',
        `The SCEP server refused the request (failInfo ${reply.failInfo ?? 'absent'}, transaction ${transactionId}).`,
        { details: { transactionId } },
      );
    }
    if (reply.data === undefined)
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        'The SUCCESS reply carries no certificate envelope.',
      );
    const certs = certificatesOf(reply.data);
    const spki = r.keyPair.publicKey.export({ type: 'spki', format: 'der' });
    const certificate = certs.find((c) => c.publicKey.export({ type: 'spki', format: 'der' }).equals(spki));
    if (certificate === undefined) {
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        'The SUCCESS reply carries no certificate for the requested key.',
      );
    }
    return { certificate, chain: certs.filter((c) => c !== certificate), transactionId, polls };
  }

  #checkReply(reply: DecodedPkiMessage, caCerts: Certificate[], transactionId: string, nonce: Buffer): void {
    if (reply.messageType !== 'CertRep')
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        `The server answered a ${reply.messageType}, not a CertRep.`,
      );
    if (!caCerts.some((c) => c.sha256Thumbprint === reply.signerCertificate.sha256Thumbprint)) {
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        `The CertRep is signed by "${reply.signerCertificate.subjectText}", which is not a certificate GetCACert returned.`,
      );
    }
    if (reply.transactionId !== transactionId)
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        `The CertRep answers transaction ${reply.transactionId}, not ${transactionId}.`,
      );
    if (reply.recipientNonce === undefined || !reply.recipientNonce.equals(nonce)) {
      throw scepError(
        'SCEP_MESSAGE_INVALID',
        'badMessageCheck',
        'The CertRep\u2019s recipientNonce is not the request\u2019s senderNonce (a replayed or misdirected reply).',
      );
    }
  }
}
