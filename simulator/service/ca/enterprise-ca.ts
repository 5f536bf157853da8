/**
 * A two-tier certification authority modelled on an AD CS enterprise CA: an offline-style root that signs
 * one issuing CA, which issues end-entity certificates from certificate templates, keeps a record of what
 * it issued, revokes, and publishes CRLs. Persisted in a CA folder (see ca-folder.ts) so a later command
 * or fleet run reuses it.
 *
 * Time and randomness are passed in (docs/architecture.md house rule 2): `now` on every operation, `random` at open/init.
 */
import { randomBytes as nodeRandomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { CertfleetError } from '../../../pki/errors.ts';
import { encodeSidExtension, OID_NTDS_CA_SECURITY_EXT } from '../../../pki/sid-extension.ts';
import {
  createCertificate,
  createCrl,
  generateKeyPair,
  parseCertificate,
  parseDn,
  startCertificate,
  type Certificate,
  type CreateCertificateOptions,
  type KeyPair,
  type KeySpec,
} from '../../../pki/index.ts';
import {
  CA_FILES,
  appendIssuedLog,
  prepareCaFolder,
  readCaFile,
  readIssuedLog,
  readCaJson,
  writeAtomic,
  type CaConfig,
  type IssuedRecord,
} from './ca-folder.ts';
import { CA_PASSPHRASE_ENV, caKeyPem, readCaKeyPem } from './ca-key-file.ts';
import { checkCaConfig } from './config-check.ts';
import { checkRequest, type IssueRequest } from './policy-module.ts';
import {
  addValidity,
  APPLICATION_POLICIES,
  checkTemplate,
  defaultTemplates,
  type CertificateTemplate,
} from './template.ts';

/** RFC 5280 CRL reason codes, by name. */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

/** A revocation reason name. */
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** Options for {@link EnterpriseCa.init}. */
export interface CaInitOptions {
  now: Date;
  force?: boolean;
  /** Prefix of the CA names: `<name> Root CA`, `<name> Issuing CA`. */
  name?: string;
  kind?: 'enterprise' | 'standalone';
  /** Key of the root / issuing CA; generated (RSA-2048, natively) when absent. Tests pass pool keys. */
  rootKey?: KeyPair;
  issuingKey?: KeyPair;
  /** Random bytes source for serial numbers. */
  random?: (n: number) => Buffer;
  /** Issuing CA lifetime in years (default 10; the root gets twice that). */
  issuingYears?: number;
  /**
   * Encrypt both key files (PKCS#8, PBES2 AES-256-CBC) with this passphrase (ca-key-file.ts); opening the CA
   * then needs it (CERTFLEET_CA_PASSPHRASE). Without it the key files are plain PKCS#8 (mode 0600 either way).
   */
  passphrase?: string;
}

export type { IssueRequest, Requester } from './policy-module.ts';

/** An {@link EnterpriseCa.issueAsync} call waiting for its signature or its turn to be recorded. */
interface PendingIssue {
  options: CreateCertificateOptions;
  template: CertificateTemplate | undefined;
  req: IssueRequest;
  resolve: (issued: IssuedCertificate) => void;
  reject: (error: unknown) => void;
  /** Signed (by the thread pool, or here at a flush). */
  certificate?: Certificate;
  /** The signing failed. */
  failure?: { error: unknown };
}

/** What the CA hands back for an issued request. */
export interface IssuedCertificate {
  certificate: Certificate;
  /** The issuing CA then the root, DER. */
  chain: Buffer[];
  record: IssuedRecord;
}

/** An AD CS-style enterprise (or standalone) CA backed by a CA folder. */
export class EnterpriseCa {
  #issuing: Certificate;
  #issuingKey: KeyObject;
  readonly #previous: Certificate[] = [];
  /** The passphrase its key files are encrypted with (ca-key-file.ts), when they are. */
  #passphrase: string | undefined;
  /** The issued records that carry a service request id, by that id. */
  readonly #byRequest = new Map<string, IssuedRecord>();
  /** {@link issueAsync} calls not yet recorded, in call order. */
  #pending: PendingIssue[] = [];

  private constructor(
    readonly dir: string,
    private config: CaConfig,
    readonly root: Certificate,
    issuing: Certificate,
    issuingKey: KeyObject,
    private issued: IssuedRecord[],
    private readonly random: (n: number) => Buffer,
  ) {
    this.#issuing = issuing;
    this.#issuingKey = issuingKey;
    for (const r of issued) if (r.requestId !== undefined) this.#byRequest.set(r.requestId, r);
  }

  /** The issuing CA certificate in use (the newest after {@link renewIssuing}). */
  get issuing(): Certificate {
    return this.#issuing;
  }

  /** Issuing CA certificates this CA used before its renewals, oldest first (their leaves stay valid). */
  get previousIssuing(): readonly Certificate[] {
    return this.#previous;
  }

  /**
   * A private key kept beside the CA's own (the tenant's PFX-import key, pfx-import/tenant-key.ts) as PEM,
   * sealed as the CA's keys are: encrypted with the CA's passphrase when it has one.
   */
  sealKeyPem(key: KeyObject): string {
    return caKeyPem(key, this.#passphrase);
  }

  /** Reads a key written by {@link sealKeyPem} (`file` names it in errors). */
  openKeyPem(pem: string, file: string): KeyObject {
    return readCaKeyPem(pem, file, this.#passphrase);
  }

  /** The root's private key, read from the folder (decrypted with the CA's passphrase when it has one). */
  #rootKey(): KeyObject {
    const file = join(this.dir, CA_FILES.rootKey);
    return readCaKeyPem(readCaFile(this.dir, CA_FILES.rootKey).toString('utf8'), file, this.#passphrase);
  }

  /**
   * Renews the issuing CA with a new key (AD CS "Renew CA Certificate", new key pair): the root signs a new
   * issuing certificate with the same name; certificates issued before stay valid under the old one until
   * they expire, and every later one chains to the new one (issue 12 point 7). The old certificate is kept
   * in the folder as `issuing-<n>.pem`.
   *
   * @example
   * await ca.renewIssuing(new Date('2026-03-01T00:00:00Z'));
   * ca.issuing.sha1Thumbprint; // the new issuing CA
   */
  async renewIssuing(now: Date, opts: { key?: KeyPair; years?: number } = {}): Promise<Certificate> {
    const rootKey = this.#rootKey();
    const key = opts.key ?? (await generateKeyPair({ kind: 'rsa', size: 2048 }));
    this.#flushPending(); // what was asked of the old issuing CA is recorded before it changes
    const notBefore = new Date(now.getTime() - 60_000);
    const wanted = addValidity(notBefore, { value: opts.years ?? 10, unit: 'years' });
    const renewed = createCertificate({
      subject: this.#issuing.subject,
      publicKey: key.publicKey,
      issuer: this.root,
      signingKey: rootKey,
      serialNumber: serialHex(this.random),
      notBefore,
      notAfter: wanted.getTime() > this.root.notAfter.getTime() ? this.root.notAfter : wanted,
      extensions: {
        basicConstraints: { ca: true, pathLength: 0 },
        keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
      },
    });
    this.#previous.push(this.#issuing);
    writeAtomic(join(this.dir, `issuing-${this.#previous.length - 1}.pem`), this.#issuing.pem);
    writeAtomic(join(this.dir, CA_FILES.issuingKey), caKeyPem(key.privateKey, this.#passphrase), 0o600);
    writeAtomic(join(this.dir, CA_FILES.issuingDer), renewed.der);
    writeAtomic(join(this.dir, CA_FILES.issuingPem), renewed.pem);
    this.#issuing = renewed;
    this.#issuingKey = key.privateKey;
    return renewed;
  }

  /**
   * Creates the hierarchy in `dir`, with the default templates for an enterprise CA and none for a
   * standalone one; refuses an existing CA unless `force`.
   */
  static async init(dir: string, opts: CaInitOptions): Promise<EnterpriseCa> {
    prepareCaFolder(dir, opts.force ?? false);
    const random = opts.random ?? nodeRandomBytes;
    const name = opts.name ?? 'Certfleet';
    const spec: KeySpec = { kind: 'rsa', size: 2048 };
    const [rootKey, issuingKey] = await Promise.all([
      opts.rootKey ?? generateKeyPair(spec),
      opts.issuingKey ?? generateKeyPair(spec),
    ]);
    const years = opts.issuingYears ?? 10;
    const rootSubject = parseDn(`CN=${name} Root CA,O=Certfleet,C=US`);
    const issuingSubject = parseDn(`CN=${name} Issuing CA,O=Certfleet,C=US`);
    const notBefore = new Date(opts.now.getTime() - 60_000);
    const root = createCertificate({
      subject: rootSubject,
      publicKey: rootKey.publicKey,
      issuer: 'self',
      signingKey: rootKey.privateKey,
      serialNumber: serialHex(random),
      notBefore,
      notAfter: addValidity(notBefore, { value: 2 * years, unit: 'years' }),
      extensions: {
        basicConstraints: { ca: true },
        keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
      },
    });
    const hostName = `ca01.certfleet.test`;
    const issuingCaName = `${name} Issuing CA`;
    const crlUrl = `http://pki.certfleet.test/CertEnroll/${encodeURIComponent(issuingCaName)}.crl`;
    const issuing = createCertificate({
      subject: issuingSubject,
      publicKey: issuingKey.publicKey,
      issuer: root,
      signingKey: rootKey.privateKey,
      serialNumber: serialHex(random),
      notBefore,
      notAfter: addValidity(notBefore, { value: years, unit: 'years' }),
      extensions: {
        basicConstraints: { ca: true, pathLength: 0 },
        keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
      },
    });
    // A standalone CA has no templates (it issues from the request's own settings and the CA's defaults).
    const kind = opts.kind ?? 'enterprise';
    const templates = kind === 'standalone' ? [] : defaultTemplates();
    const config: CaConfig = {
      format: 'certfleet-ca/1',
      kind,
      configString: `${hostName}\\${issuingCaName}`,
      crlUrl,
      templates,
      published: templates.map((t) => t.name),
      nextCrlNumber: 1,
    };
    writeAtomic(join(dir, CA_FILES.rootKey), caKeyPem(rootKey.privateKey, opts.passphrase), 0o600);
    writeAtomic(join(dir, CA_FILES.issuingKey), caKeyPem(issuingKey.privateKey, opts.passphrase), 0o600);
    writeAtomic(join(dir, CA_FILES.rootDer), root.der);
    writeAtomic(join(dir, CA_FILES.rootPem), root.pem);
    writeAtomic(join(dir, CA_FILES.issuingDer), issuing.der);
    writeAtomic(join(dir, CA_FILES.issuingPem), issuing.pem);
    writeAtomic(join(dir, CA_FILES.issued), '');
    // ca.json last: its presence marks a complete CA.
    writeAtomic(join(dir, CA_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    const ca = new EnterpriseCa(dir, config, root, issuing, issuingKey.privateKey, [], random);
    ca.#passphrase = opts.passphrase;
    return ca;
  }

  /**
   * Creates in `dir` another issuing CA under `parent`'s root (an enterprise PKI often has several issuing
   * CAs under one root, issue 12 point 2): its own key, host and name (`<host>\<name>` config string), the
   * parent's templates and published list. Devices that trust the root trust it.
   */
  static async initSibling(
    dir: string,
    parent: EnterpriseCa,
    opts: { now: Date; host: string; name: string; issuingKey?: KeyPair; random?: (n: number) => Buffer },
  ): Promise<EnterpriseCa> {
    prepareCaFolder(dir, true);
    const random = opts.random ?? nodeRandomBytes;
    const rootKey = parent.#rootKey();
    const issuingKey = opts.issuingKey ?? (await generateKeyPair({ kind: 'rsa', size: 2048 }));
    const notBefore = new Date(opts.now.getTime() - 60_000);
    const wanted = addValidity(notBefore, { value: 10, unit: 'years' });
    const issuing = createCertificate({
      subject: parseDn(`CN=${opts.name.replace(/([,+"\\<>;=])/g, '\\$1')},O=Certfleet,C=US`),
      publicKey: issuingKey.publicKey,
      issuer: parent.root,
      signingKey: rootKey,
      serialNumber: serialHex(random),
      notBefore,
      notAfter: wanted.getTime() > parent.root.notAfter.getTime() ? parent.root.notAfter : wanted,
      extensions: {
        basicConstraints: { ca: true, pathLength: 0 },
        keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
      },
    });
    const config: CaConfig = {
      ...parent.config,
      configString: `${opts.host}\\${opts.name}`,
      crlUrl: `http://pki.certfleet.test/CertEnroll/${encodeURIComponent(opts.name)}.crl`,
      nextCrlNumber: 1,
    };
    writeAtomic(join(dir, CA_FILES.rootKey), caKeyPem(rootKey, parent.#passphrase), 0o600);
    writeAtomic(join(dir, CA_FILES.issuingKey), caKeyPem(issuingKey.privateKey, parent.#passphrase), 0o600);
    writeAtomic(join(dir, CA_FILES.rootDer), parent.root.der);
    writeAtomic(join(dir, CA_FILES.rootPem), parent.root.pem);
    writeAtomic(join(dir, CA_FILES.issuingDer), issuing.der);
    writeAtomic(join(dir, CA_FILES.issuingPem), issuing.pem);
    writeAtomic(join(dir, CA_FILES.issued), '');
    writeAtomic(join(dir, CA_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    const sibling = new EnterpriseCa(dir, config, parent.root, issuing, issuingKey.privateKey, [], random);
    sibling.#passphrase = parent.#passphrase;
    return sibling;
  }

  /**
   * Opens the CA in `dir` (CA_NOT_FOUND when there is none, CA_CORRUPT when it is damaged, CA_PASSPHRASE
   * when its keys are encrypted and `passphrase` — default: the CERTFLEET_CA_PASSPHRASE variable — does not
   * open them).
   */
  static open(dir: string, opts: { random?: (n: number) => Buffer; passphrase?: string } = {}): EnterpriseCa {
    const config = checkCaConfig(readCaJson<unknown>(dir, CA_FILES.config), join(dir, CA_FILES.config));
    try {
      const root = parseCertificate(readCaFile(dir, CA_FILES.rootDer));
      const issuing = parseCertificate(readCaFile(dir, CA_FILES.issuingPem));
      const passphrase = opts.passphrase ?? process.env[CA_PASSPHRASE_ENV];
      const issuingKey = readCaKeyPem(
        readCaFile(dir, CA_FILES.issuingKey).toString('utf8'),
        join(dir, CA_FILES.issuingKey),
        passphrase,
      );
      const issued = readIssuedLog(dir);
      const ca = new EnterpriseCa(
        dir,
        config,
        root,
        issuing,
        issuingKey,
        issued,
        opts.random ?? nodeRandomBytes,
      );
      ca.#passphrase = passphrase;
      return ca;
    } catch (e) {
      if (
        e instanceof CertfleetError &&
        (e.code === 'CA_NOT_FOUND' || e.code === 'CA_CORRUPT' || e.code === 'CA_PASSPHRASE')
      )
        throw e;
      throw new CertfleetError('CA_CORRUPT', `The CA in ${dir} cannot be loaded: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Enterprise or standalone. */
  get kind(): CaConfig['kind'] {
    return this.config.kind;
  }

  /** The CA config string (`host\CA-Name`), as an Intune PKCS profile names the CA. */
  get configString(): string {
    return this.config.configString;
  }

  /** The template named `name` (case-insensitive, as the policy module finds it), published or not. */
  template(name: string): CertificateTemplate | undefined {
    const lower = name.toLowerCase();
    return this.config.templates.find((t) => t.name.toLowerCase() === lower);
  }

  /** The templates that exist, with whether this CA publishes each. */
  templates(): { template: CaConfig['templates'][number]; published: boolean }[] {
    return this.config.templates.map((t) => ({
      template: t,
      published: this.config.published.includes(t.name),
    }));
  }

  /**
   * Replaces the template set and/or which templates are published (the Certificate Templates console and
   * the CA's "Certificate Templates to Issue" list), and saves it.
   */
  configureTemplates(change: { templates?: CertificateTemplate[]; published?: string[] }): void {
    if (this.config.kind === 'standalone' && (change.templates?.length || change.published?.length)) {
      throw new CertfleetError(
        'CA_STANDALONE_NO_TEMPLATES',
        `The CA in ${this.dir} is a standalone CA: it cannot have or publish certificate templates.`,
        { details: { dir: this.dir } },
      );
    }
    const templates = (change.templates ?? this.config.templates).map(checkTemplate);
    this.config = { ...this.config, templates, published: change.published ?? this.config.published };
    this.saveConfig();
  }

  /** Every certificate this CA issued, in issue order. */
  issuedRecords(): readonly IssuedRecord[] {
    this.#flushPending();
    return this.issued;
  }

  /**
   * What this CA issued for request `requestId` (IssueRequest `requestId`), with the certificate: a
   * connector that lost the CA's answer (killed between the answer and its report) finds it here on its
   * next lease instead of having a second certificate issued (issue 10 point 3).
   */
  issuedForRequest(requestId: string): { record: IssuedRecord; certificate: Certificate } | undefined {
    this.#flushPending();
    const record = this.#byRequest.get(requestId);
    if (record?.certificate === undefined) return undefined;
    return { record, certificate: parseCertificate(Buffer.from(record.certificate, 'base64')) };
  }

  /**
   * Issues a certificate, or throws the denial a real CA gives (see denials.ts): template not published,
   * no Enroll permission, key too small, e-mail required, bad subject, key not exportable, validity too long.
   * Nothing is recorded for a denied request.
   */
  issue(req: IssueRequest): IssuedCertificate {
    this.#flushPending();
    const { options, template } = this.#certificateFor(req);
    return this.#record(createCertificate(options), template, req);
  }

  /**
   * {@link issue} with the CA's signature made off the calling thread (pki `startCertificate`: libuv's
   * thread pool), in the same order as {@link issue}: the request is checked and its serial drawn now, in
   * call order (a denial rejects, nothing recorded), and the certificate is recorded — issued list, issued
   * log, request id — and handed back only after every `issueAsync` called before it was, so the serials,
   * the issued list and the log come out as a run of {@link issue} calls in the same order makes them. The
   * certificate is the same bytes (RSA PKCS#1 v1.5 signatures are deterministic).
   *
   * Whatever reads or changes the CA synchronously while some are still being signed — {@link issue},
   * {@link revoke}, {@link publishCrl}, {@link issuedRecords}, {@link issuedForRequest},
   * {@link renewIssuing} — first records every pending one, in call order, signing here those the thread
   * pool has not finished ({@link #flushPending}). So what a run observes of the CA never depends on when
   * the thread pool finishes: only on the order of the calls.
   */
  issueAsync(req: IssueRequest): Promise<IssuedCertificate> {
    let prepared: { options: CreateCertificateOptions; template: CertificateTemplate | undefined };
    try {
      prepared = this.#certificateFor(req);
    } catch (e) {
      return Promise.reject(e);
    }
    // a request that cannot be encoded (a SAN that is no IA5String…) throws here, before it joins the queue:
    // queued, it would never settle and would hold back every later issue of this CA
    let started: Promise<Certificate>;
    try {
      started = startCertificate(prepared.options);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<IssuedCertificate>((resolve, reject) => {
      const pending: PendingIssue = { ...prepared, req, resolve, reject };
      this.#pending.push(pending);
      started.then(
        (c) => {
          pending.certificate ??= c;
          this.#recordSigned();
        },
        (e: unknown) => {
          if (pending.certificate === undefined) pending.failure = { error: e };
          this.#recordSigned();
        },
      );
    });
  }

  /** Records the pending issues at the head of the queue whose signature has come, in call order. */
  #recordSigned(): void {
    while (this.#pending.length > 0) {
      const head = this.#pending[0] as PendingIssue;
      if (head.certificate === undefined && head.failure === undefined) return;
      this.#pending.shift();
      this.#settle(head);
    }
  }

  /**
   * Records every pending {@link issueAsync} now, in call order: those the thread pool has not signed yet
   * are signed here (the same bytes for an RSA issuer), and their late signature is dropped.
   */
  #flushPending(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      if (p.certificate === undefined && p.failure === undefined) {
        try {
          p.certificate = createCertificate(p.options);
        } catch (e) {
          p.failure = { error: e };
        }
      }
      this.#settle(p);
    }
  }

  #settle(p: PendingIssue): void {
    if (p.certificate === undefined) {
      p.reject(p.failure?.error);
      return;
    }
    let issued: IssuedCertificate;
    try {
      issued = this.#record(p.certificate, p.template, p.req);
    } catch (e) {
      p.reject(e);
      return;
    }
    p.resolve(issued);
  }

  /** The certificate `req` asks for, checked by the policy module, with its serial drawn (not yet signed). */
  #certificateFor(req: IssueRequest): {
    options: CreateCertificateOptions;
    template: CertificateTemplate | undefined;
  } {
    const decision = checkRequest({
      caKind: this.config.kind,
      templates: this.config.templates,
      published: this.config.published,
      issuingNotAfter: this.issuing.notAfter,
      request: req,
    });
    const template = decision.template;
    const notBefore = new Date(req.now.getTime() - 10 * 60_000); // AD CS back-dates 10 minutes (clock skew)
    const notAfter = decision.notAfter;
    const subject = parseDn(decision.subject);
    const eku = template
      ? template.applicationPolicies.map((p) => APPLICATION_POLICIES[p])
      : [APPLICATION_POLICIES.clientAuth];
    const keyUsage: ('digitalSignature' | 'keyEncipherment' | 'nonRepudiation')[] = [];
    if (!template || template.keyUsage.digitalSignature) keyUsage.push('digitalSignature');
    if (!template || template.keyUsage.keyEncipherment) keyUsage.push('keyEncipherment');
    if (template?.keyUsage.nonRepudiation) keyUsage.push('nonRepudiation');
    const options: CreateCertificateOptions = {
      subject,
      publicKey: req.publicKey,
      issuer: this.issuing,
      signingKey: this.#issuingKey,
      serialNumber: serialHex(this.random),
      notBefore,
      notAfter,
      extensions: {
        keyUsage,
        extKeyUsage: eku,
        subjectAltName: req.san && req.san.length > 0 ? req.san : undefined,
        crlDistributionPoints: [this.config.crlUrl],
        template: template
          ? { oid: template.oid, majorVersion: template.majorVersion, minorVersion: template.minorVersion }
          : undefined,
        // AD CS mirrors the EKUs as Microsoft application policies (1.3.6.1.4.1.311.21.10).
        applicationPolicies: template !== undefined,
        // KB5014754: the SID the request carries, in szOID_NTDS_CA_SECURITY_EXT (docs/formats.md §5.3).
        ...(req.securityIdentifier !== undefined && {
          custom: [{ oid: OID_NTDS_CA_SECURITY_EXT, value: encodeSidExtension(req.securityIdentifier) }],
        }),
      },
    };
    return { options, template };
  }

  /** Records an issued certificate (issued list, request id, issued log) and hands it back with its chain. */
  #record(
    certificate: Certificate,
    template: CertificateTemplate | undefined,
    req: IssueRequest,
  ): IssuedCertificate {
    const record: IssuedRecord = {
      serial: certificate.serialNumber,
      subject: certificate.subjectText,
      template: template?.name ?? null,
      requester: req.requester.identity,
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
      thumbprint: certificate.sha1Thumbprint,
      ...(req.requestId !== undefined && {
        requestId: req.requestId,
        certificate: certificate.der.toString('base64'),
      }),
    };
    this.issued.push(record);
    if (record.requestId !== undefined) this.#byRequest.set(record.requestId, record);
    appendIssuedLog(this.dir, [{ type: 'issued', ...record }]);
    return { certificate, chain: [this.issuing.der, this.root.der], record };
  }

  /** Revokes an issued certificate by serial (hex, case-insensitive, leading zeros ignored). */
  revoke(serial: string, reason: RevocationReason, now: Date): IssuedRecord {
    this.#flushPending();
    const norm = normaliseSerial(serial);
    const record = this.issued.find((r) => normaliseSerial(r.serial) === norm);
    if (!record) {
      throw new CertfleetError(
        'CA_SERIAL_NOT_FOUND',
        `This CA issued no certificate with serial ${serial}.`,
        {
          details: { serial },
        },
      );
    }
    if (record.revoked) {
      throw new CertfleetError(
        'CA_ALREADY_REVOKED',
        `Certificate ${record.serial} was already revoked on ${record.revoked.at} (${record.revoked.reason}).`,
        { details: { serial: record.serial } },
      );
    }
    record.revoked = { at: now.toISOString(), reason };
    appendIssuedLog(this.dir, [{ type: 'revoked', serial: record.serial, at: record.revoked.at, reason }]);
    return record;
  }

  /** The CRL number of the last CRL this CA published (0 before the first). */
  get lastCrlNumber(): number {
    return this.config.nextCrlNumber - 1;
  }

  /** Signs and returns a CRL (DER) listing every revoked certificate; valid for 7 days from `now`. */
  publishCrl(now: Date): Buffer {
    this.#flushPending();
    const crlNumber = this.config.nextCrlNumber;
    const der = createCrl({
      issuer: this.issuing,
      signingKey: this.#issuingKey,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 7 * 86_400_000),
      crlNumber,
      entries: this.issued
        .filter((r) => r.revoked)
        .map((r) => ({
          serialNumber: r.serial,
          revokedAt: new Date(r.revoked!.at),
          reason: r.revoked!.reason as RevocationReason,
        })),
    });
    this.config = { ...this.config, nextCrlNumber: crlNumber + 1 };
    this.saveConfig();
    return der;
  }

  private saveConfig(): void {
    writeAtomic(join(this.dir, CA_FILES.config), `${JSON.stringify(this.config, null, 2)}\n`);
  }
}

/** A positive serial number of 16 random bytes, upper-case hex (AD CS uses 19 bytes; any length ≤ 20 is valid). */
function serialHex(random: (n: number) => Buffer): string {
  const b = Buffer.from(random(16));
  b[0] = (b[0]! & 0x7f) | 0x10; // positive, and no leading zero byte to strip
  return b.toString('hex').toUpperCase();
}

function normaliseSerial(s: string): string {
  return s
    .replace(/[^0-9a-f]/gi, '')
    .replace(/^0+/, '')
    .toUpperCase();
}
