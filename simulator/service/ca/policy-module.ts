/**
 * The CA's policy module: decides whether a request is issued, in the order AD CS checks it, and answers a
 * denial exactly as the CA would (see denials.ts). Pure: no I/O, no clock reads.
 */
import type { KeyObject } from 'node:crypto';
import { CertfleetError } from '../../../pki/errors.ts';
import { parseDn, type SanEntry } from '../../../pki/index.ts';
import { denial } from './denials.ts';
import { addValidity, type CertificateTemplate, type ValidityPeriod } from './template.ts';

/** The identity that submits a request: a connector's computer account, with its groups and directory entry. */
export interface Requester {
  identity: string;
  groups?: string[];
  /** E-mail of the requester's directory object, used when a template builds the subject from AD. */
  email?: string;
}

/** A certificate request as the CA's policy module sees it. */
export interface IssueRequest {
  /** Template name; an enterprise CA requires one, a standalone CA refuses one. */
  template?: string;
  requester: Requester;
  /** Subject DN (RFC 4514 text) as supplied in the request. */
  subject: string;
  san?: SanEntry[];
  publicKey: KeyObject;
  /** Validity the request asks for; the template's when absent. */
  validity?: ValidityPeriod;
  /** True when the key was generated server-side (PKCS): the template must allow private-key export. */
  serverSideKey?: boolean;
  /**
   * The on-premises SID to write in the KB5014754 SID security extension (1.3.6.1.4.1.311.25.2): the
   * Intune connector adds it to the request when its SID setting is on (docs/formats.md §5.3).
   */
  securityIdentifier?: string;
  /**
   * The MDM service's id of the request a connector submits for (issue 10 point 3): kept in the issued
   * record with the certificate, as AD CS keeps the request and the raw certificate in its database, so a
   * connector that lost the CA's answer finds what was issued instead of asking again.
   */
  requestId?: string;
  now: Date;
}

/** Everything the policy module needs to decide. */
export interface PolicyInput {
  caKind: 'enterprise' | 'standalone';
  templates: readonly CertificateTemplate[];
  published: readonly string[];
  issuingNotAfter: Date;
  request: IssueRequest;
}

/** The policy module's yes: the template that applies, the subject to issue to, and the validity end. */
export interface PolicyDecision {
  template: CertificateTemplate | undefined;
  subject: string;
  notAfter: Date;
  /** Set when the requested validity was longer than allowed and cut: to the template's, or the issuing CA's end. */
  cutTo?: 'template' | 'issuing-ca';
}

/** The well-known group every authenticated requester is a member of. */
const AUTHENTICATED_USERS = 'Authenticated Users';

/** Upper bound of a CN in X.520 (ub-common-name); AD CS refuses longer ones unless DN length checks are off. */
const MAX_CN = 64;

/** Default validity a standalone CA gives (it has no templates). */
const STANDALONE_VALIDITY: ValidityPeriod = { value: 1, unit: 'years' };

/**
 * Checks a request and returns what to issue, or throws the CA's denial (a CertfleetError whose details
 * carry the HRESULT, symbolic name and CA message text).
 */
export function checkRequest(input: PolicyInput): PolicyDecision {
  const { request: req } = input;
  const what = req.template ? `template ${req.template}` : 'no template';

  // 1. Template: standalone CAs take none; enterprise CAs need a published one.
  let template: CertificateTemplate | undefined;
  if (input.caKind === 'standalone') {
    if (req.template) {
      throw denial(
        'CA_STANDALONE_NO_TEMPLATES',
        `This is a standalone CA: it has no certificate templates, so it cannot issue from '${req.template}'; submit the request without a template to get the CA's defaults (Client Authentication, ${STANDALONE_VALIDITY.value} ${STANDALONE_VALIDITY.unit})`,
        what,
      );
    }
  } else {
    if (!req.template) throw denial('CA_NO_TEMPLATE', 'An enterprise CA needs a certificate template', what);
    template = input.templates.find((t) => t.name.toLowerCase() === req.template!.toLowerCase());
    if (!template || !input.published.includes(template.name)) {
      throw denial(
        'CA_TEMPLATE_NOT_SUPPORTED',
        template
          ? `Template '${template.name}' exists but is not published on this CA`
          : `No template named '${req.template}' (known: ${input.templates.map((t) => t.name).join(', ') || 'none'})`,
        what,
      );
    }
  }

  if (template) {
    // 2. Security: the requester needs Read and Enroll. As in any Windows access check, the rights are the
    // union of the allow entries of every principal in the requester's token (its own identity, its groups,
    // Authenticated Users): "Authenticated Users: Read" + "Connectors: Enroll" lets a connector enroll.
    // Source: https://learn.microsoft.com/windows/win32/secauthz/how-dacls-control-access-to-an-object
    // (the system accumulates the access granted by each allow ACE until every requested right is granted).
    // Templates here model allow entries only, so no deny entry can take a right back.
    const principals = new Set(
      [req.requester.identity, ...(req.requester.groups ?? []), AUTHENTICATED_USERS].map((p) =>
        p.toLowerCase(),
      ),
    );
    const entries = template.permissions.filter((p) => principals.has(p.principal.toLowerCase()));
    const missing = [
      ...(entries.some((p) => p.read) ? [] : ['Read']),
      ...(entries.some((p) => p.enroll) ? [] : ['Enroll']),
    ];
    if (missing.length > 0) {
      throw denial(
        'CA_TEMPLATE_DENIED',
        `'${req.requester.identity}' lacks ${missing.join(' and ')} on template '${template.name}' (Denied by Policy Module)`,
        what,
      );
    }

    // 3. Cryptography: key size at least the template minimum.
    const { algorithm, bits } = describeKey(req.publicKey);
    const accepted = template.keyAlgorithms ?? ['RSA'];
    const ecdsaOk = algorithm === 'ECDSA' && accepted.includes('ECDSA') && bits >= 256;
    if (!ecdsaOk && (algorithm !== 'RSA' || !accepted.includes('RSA') || bits < template.minimumKeySize)) {
      throw denial(
        'CA_KEY_LENGTH',
        `The request's ${algorithm}-${bits} key is below the ${template.minimumKeySize}-bit RSA minimum of '${template.name}'`,
        what,
      );
    }

    // 4. Request handling: the CA does not look at "Allow private key to be exported" (CT_FLAG_EXPORTABLE_KEY
    // instructs the client, MS-CRTD 2.27): a PKCS connector fails later, exporting its key into the PFX
    // (issue-pfx.ts packPfx, CONNECTOR_KEY_NOT_EXPORTABLE).
  }

  // 5. Subject name: supplied in the request, or built from the requester's directory object.
  let subject = req.subject;
  if (template?.subjectSource === 'directory') {
    if (template.requireEmail && !req.requester.email) {
      throw denial(
        'CA_SUBJECT_EMAIL_REQUIRED',
        `Template '${template.name}' builds the subject from Active Directory and requires an e-mail name, but '${req.requester.identity}' has none (set "Supply in the request" on the template)`,
        what,
      );
    }
    subject = `CN=${escapeRdnValue(req.requester.identity)}${req.requester.email ? `,E=${escapeRdnValue(req.requester.email)}` : ''}`;
  }
  checkSubject(subject, what);

  // 6. Validity: what the request asks, cut to the template's period and to the issuing CA's own end.
  // AD CS issues a shorter certificate rather than deny (docs/formats.md §5.2 "Validity": it "can't exceed
  // template or issuing-CA remaining validity"; issue 12 point 2).
  const maxPeriod = template?.validity ?? STANDALONE_VALIDITY;
  const period = req.validity ?? maxPeriod;
  const requested = addValidity(req.now, period);
  const templateLimit = addValidity(req.now, maxPeriod);
  let notAfter = requested;
  let cutTo: PolicyDecision['cutTo'];
  if (notAfter.getTime() > templateLimit.getTime()) {
    notAfter = templateLimit;
    cutTo = 'template';
  }
  if (notAfter.getTime() > input.issuingNotAfter.getTime()) {
    notAfter = input.issuingNotAfter;
    cutTo = 'issuing-ca';
  }
  return { template, subject, notAfter, ...(cutTo !== undefined && { cutTo }) };
}

function checkSubject(subject: string, what: string): void {
  let dn;
  try {
    dn = parseDn(subject);
  } catch (e) {
    const msg = e instanceof CertfleetError ? e.message : String(e);
    throw denial(
      'CA_BAD_SUBJECT',
      `The request subject '${subject}' is not a valid distinguished name: ${msg}`,
      what,
    );
  }
  if (dn.rdns.length === 0) throw denial('CA_BAD_SUBJECT', 'The request subject is empty', what);
  for (const rdn of dn.rdns) {
    for (const atv of rdn) {
      if (atv.shortName === 'CN' && atv.value.length > MAX_CN) {
        throw denial(
          'CA_BAD_SUBJECT',
          `The CN is ${atv.value.length} characters, over the ${MAX_CN}-character limit (disable DN length enforcement on the CA to allow it)`,
          what,
        );
      }
    }
  }
}

/** Algorithm and size of a public key, for any size (a 1024-bit key must reach the CA to be denied). */
function describeKey(key: KeyObject): { algorithm: string; bits: number } {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { algorithm: 'RSA', bits: d.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    const bits = d.namedCurve === 'secp384r1' ? 384 : d.namedCurve === 'secp521r1' ? 521 : 256;
    return { algorithm: 'ECDSA', bits };
  }
  return { algorithm: String(key.asymmetricKeyType).toUpperCase(), bits: 0 };
}

function escapeRdnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}
