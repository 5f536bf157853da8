/**
 * Graph import findings of a QA walkthrough (profiles/graph/import-graph.ts, import-scep.ts; the model's
 * certificate decoding, profiles/model/validate-profile.ts certificateDer):
 * - a trusted-root export whose `trustedRootCertificate` is the base64 of a Base-64 (PEM) `.cer` file holds
 *   the DER in the model — the bytes of the DER export — so every payload carries the certificate, not its
 *   PEM text; PEM that is not one CERTIFICATE block stays refused;
 * - SCEP `keySize` size1024 is refused at import as a scenario's inline `keySize: 1024` is;
 * - a custom SAN of `sanType` none (0), a member of Graph's enum, imports, adds no SAN, and is listed as
 *   having no effect; a wrong sanType's message lists every member, none (0) included.
 */
import { decodeEnum } from '../../../profiles/graph/graph-enums.ts';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../pki/index.ts';
import { derToPem } from '../../../pki/pem.ts';
import { importGraphProfile } from '../../../profiles/graph/import-graph.ts';
import { GRAPH_TYPE_OF } from '../../../profiles/graph/odata-types.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { PROFILE_FAMILIES, type ProfileFamily } from '../../../profiles/model/platform.ts';
import type { TrustedCertificateProfile } from '../../../profiles/model/profile.ts';
import { parseProfileText } from '../../../simulator/tools/profile-file.ts';
import { decodeAndroid, decodeApple, decodeTrusted, payloadOf } from '../compile/decode.ts';
import { FACTS } from '../compile/fixtures.ts';
import { rootDer } from './fixtures.ts';

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64');

function trustedExport(family: ProfileFamily, certificate: string): Record<string, unknown> {
  return {
    '@odata.type': `#microsoft.graph.${GRAPH_TYPE_OF['trusted-certificate'][family]}`,
    displayName: `Root ${family}`,
    certFileName: 'root.cer',
    trustedRootCertificate: certificate,
  };
}

function importedTrusted(json: Record<string, unknown>): TrustedCertificateProfile {
  const r = importGraphProfile(json);
  if (!r.ok) throw r.error;
  if (r.profile.kind !== 'trusted-certificate') throw new Error(r.profile.kind);
  return r.profile;
}

describe('trustedRootCertificate: base64 of a Base-64 (PEM) .cer file', () => {
  const der = rootDer();
  const pem = derToPem(der, 'CERTIFICATE');

  it.each(PROFILE_FAMILIES.flatMap((f) => [[f, 'LF'] as const, [f, 'CRLF'] as const]))(
    '%s (%s line ends): the model holds the DER, the same bytes as the DER export',
    (family, ends) => {
      const text = ends === 'CRLF' ? pem.replace(/\n/g, '\r\n') : pem;
      const fromPem = importedTrusted(trustedExport(family, b64(text)));
      const fromDer = importedTrusted(trustedExport(family, b64(der)));
      expect(Buffer.from(fromPem.certificate).equals(Buffer.from(der))).toBe(true);
      expect(fromPem).toEqual(fromDer);
    },
  );

  it('compiles to the payloads of the DER: Windows node named by the true SHA-1, Apple and Android DER', () => {
    const sha1 = parseCertificate(der).sha1Thumbprint;
    const opts = { ids: seededIds('qa') };
    const win = importedTrusted(trustedExport('windows', b64(pem)));
    const ops = decodeTrusted(payloadOf(compileProfile(win, FACTS.windows, opts)));
    expect(ops.map((o) => o.thumbprint)).toEqual([sha1]);
    const op = ops[0]!;
    if (op.command === 'Delete') throw new Error('unexpected Delete');
    expect(op.certificateDer.equals(Buffer.from(der))).toBe(true);

    const mac = importedTrusted(trustedExport('macos', b64(pem)));
    const apple = decodeApple(payloadOf(compileProfile(mac, FACTS.macos, opts)), 'macos');
    const root = apple.PayloadContent[0]!;
    if (root.PayloadType !== 'com.apple.security.root') throw new Error(root.PayloadType);
    expect(root.PayloadContent.equals(Buffer.from(der))).toBe(true);

    const ado = importedTrusted(trustedExport('android-device-owner', b64(pem)));
    const policy = decodeAndroid(payloadOf(compileProfile(ado, FACTS['android-device-owner'], opts)));
    const onc = policy.openNetworkConfiguration?.Certificates?.[0];
    if (onc?.Type !== 'Authority') throw new Error('no Authority certificate');
    expect(onc.X509.equals(Buffer.from(der))).toBe(true);
  });

  it.each([
    ['two certificates (a chain)', pem + pem, /holds PEM text with 2 blocks/],
    [
      'a private key',
      '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
      /labelled "PRIVATE KEY", not "CERTIFICATE"/,
    ],
    ['text after the block', `${pem}trailing words\n`, /text after its "-----END CERTIFICATE-----"/],
    [
      'a cut-off block',
      pem.replace('-----END CERTIFICATE-----', ''),
      /PEM certificate that does not decode: .*no "-----END CERTIFICATE-----" line/,
    ],
  ] as const)('refuses PEM with %s: PROFILE_INVALID at trustedRootCertificate', (_n, text, rule) => {
    const r = importGraphProfile(trustedExport('ios', b64(text)));
    if (r.ok) throw new Error('expected a refusal');
    expect(r.error.code).toBe('PROFILE_INVALID');
    expect(r.problems).toEqual([
      { path: 'trustedRootCertificate', rule: expect.stringMatching(rule), code: 'PROFILE_INVALID' },
    ]);
  });
});

describe('SCEP keySize 1024 in certfleet profile JSON', () => {
  it('is refused as in a Graph export: the simulated devices make 2048-bit RSA keys or larger', () => {
    const text = JSON.stringify({
      kind: 'scep-certificate',
      family: 'ios',
      displayName: 'iOS SCEP',
      scepServerUrls: ['https://ndes.contoso.test/certsrv/mscep/mscep.dll'],
      keySize: 'size1024',
    });
    expect(() => parseProfileText(text, 'model.json')).toThrow(
      /keySize: size1024 is an Intune option, but certfleet's simulated devices make RSA keys of 2048 bits or more only; use size2048 or size4096 \[PROFILE_INVALID\]/,
    );
  });
});

describe('customSubjectAlternativeNames[].sanType none (0)', () => {
  const pkcs = (sans: unknown[]): Record<string, unknown> => ({
    '@odata.type': '#microsoft.graph.windows10PkcsCertificateProfile',
    displayName: 'SANs',
    certificationAuthority: 'ca01.contoso.com',
    certificationAuthorityName: 'Contoso CA',
    certificateTemplateName: 'User',
    certificateStore: 'user',
    subjectNameFormat: 'commonName',
    customSubjectAlternativeNames: sans,
  });

  it('imports by name or number, adds no SAN, and is listed as without effect', () => {
    const r = importGraphProfile(
      pkcs([
        { sanType: 'none', name: '{{UserPrincipalName}}' },
        { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
        { sanType: 0, name: null },
      ]),
    );
    if (!r.ok) throw r.error;
    if (r.profile.kind !== 'pkcs-certificate') throw new Error(r.profile.kind);
    expect(r.profile.customSubjectAlternativeNames).toEqual([
      { sanType: 'userPrincipalName', name: '{{UserPrincipalName}}' },
    ]);
    expect(r.unused).toEqual([
      {
        path: 'customSubjectAlternativeNames[0]',
        message: expect.stringMatching(
          /^has sanType none \(0\), Graph's "no subject alternative name": it adds no SAN to the certificate, and its name "\{\{UserPrincipalName\}\}" is dropped/,
        ),
      },
      {
        path: 'customSubjectAlternativeNames[2]',
        message: expect.stringMatching(/^has sanType none \(0\).*adds no SAN to the certificate;/),
      },
    ]);
  });

  it('an unknown sanType is refused with every member of the enum listed, none (0) included', () => {
    const r = importGraphProfile(pkcs([{ sanType: 'nope', name: 'x' }]));
    if (r.ok) throw new Error('expected a refusal');
    expect(r.problems).toEqual([
      {
        path: 'customSubjectAlternativeNames[0].sanType',
        rule: 'must be a subjectAlternativeNameType member name or number: none (0), emailAddress (1), userPrincipalName (2), customAzureADAttribute (4), domainNameService (8), universalResourceIdentifier (16); got "nope"',
        code: 'PROFILE_INVALID',
      },
    ]);
  });

  it('a none entry whose name is not a string is refused, as Graph refuses a wrong JSON type', () => {
    const r = importGraphProfile(pkcs([{ sanType: 'none', name: 42 }]));
    if (r.ok) throw new Error('expected a refusal');
    expect(r.problems.map((p) => [p.path, p.rule])).toEqual([
      ['customSubjectAlternativeNames[0].name', 'must be a string'],
    ]);
  });
});

describe('enum problems read as English', () => {
  it('"an" before a vowel: must be an appleSubjectNameFormat member…, a subjectNameFormat member…', () => {
    const apple = decodeEnum({ commonName: 0 }, 'x', 'subjectNameFormat', 'appleSubjectNameFormat');
    expect(!apple.ok && apple.problem.rule).toMatch(
      /^must be an appleSubjectNameFormat member name or number/,
    );
    const other = decodeEnum({ commonName: 0 }, 'x', 'subjectNameFormat', 'subjectNameFormat');
    expect(!other.ok && other.problem.rule).toMatch(/^must be a subjectNameFormat member name or number/);
  });
});
