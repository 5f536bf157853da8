/**
 * Mirror of the conformance test "graph: profile files" of test/unit/scenario/features.test.ts: a scenario's
 * `graph:` profiles read from the project-made Graph exports (the hand-written macOS PKCS export and a
 * trusted-root export written here around a root made in the test).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import { derToPem } from '../../../pki/pem.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import { OWN_GRAPH_DIR, ownRoot, trustedGraphExport } from './samples.ts';

const PKCS = join(OWN_GRAPH_DIR, 'macos-pkcs.json');
const CA = 'ca: { templates: [{ name: CertfleetMacUser, base: CertfleetUser }] }';
let work: string;
let trusted: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-own-scenario-'));
  trusted = join(work, 'mac-trusted.json');
  writeFileSync(
    trusted,
    JSON.stringify(
      trustedGraphExport('macOSTrustedRootCertificate', ownRoot().der, {
        deploymentChannel: 'deviceChannel',
      }),
    ),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('graph: profile files (project-made Graph exports)', () => {
  it('imports a trusted root and a PKCS profile as one macOS family each', () => {
    const text = `
fleet: { devices: 2, mix: [{ platform: macos, kind: user }] }
${CA}
profiles:
  - { graph: '${trusted}' }
  - { name: Own Mac PKCS, graph: '${PKCS}', keySize: 3072, assign: { include: [{ tags: [pilot] }] } }
`;
    const s = loadScenario({ text, file: 'own.yaml' });
    const [root, pkcs] = s.profiles;
    expect(root).toMatchObject({
      name: 'Certfleet own root (macOSTrustedRootCertificate)',
      kind: 'trusted-certificate',
      families: ['macos'],
      trustedSource: { type: 'inline' },
      graphFile: trusted,
    });
    expect(pkcs).toMatchObject({
      name: 'Own Mac PKCS',
      kind: 'pkcs-certificate',
      families: ['macos'],
      keySize: 3072,
      graphFile: PKCS,
    });
    expect(pkcs!.assign).toEqual({ include: [{ tags: ['pilot'] }], exclude: [] });
    const model = pkcs!.models.macos;
    expect(model?.kind).toBe('pkcs-certificate');
    if (model?.kind === 'pkcs-certificate') {
      expect(model.certificateTemplateName).toBe('CertfleetMacUser');
      expect(model.renewalThresholdPercentage).toBe(25);
      expect(model.validity).toEqual({ value: 2, unit: 'years' });
    }
  });

  it.each([
    [
      'the PKCS export as type trusted',
      () => `{ graph: '${PKCS}', type: trusted }`,
      'is a pkcs-certificate profile, not trusted-certificate',
    ],
    [
      'the trusted export as type pkcs',
      () => `{ graph: '${trusted}', type: pkcs }`,
      'is a trusted-certificate profile, not pkcs-certificate',
    ],
    [
      'a file that does not exist',
      () => `{ graph: '${join(work, 'no-such.json')}' }`,
      'no-such.json: no such file (ENOENT)',
    ],
    ['an unknown key beside graph', () => `{ graph: '${PKCS}', template: X }`, "unknown key 'template'"],
  ])('%s is a problem on its line', (_name, profile, message) => {
    try {
      loadScenario({ text: `fleet: { devices: 1 }\n${CA}\nprofiles:\n  - ${profile()}\n`, file: 'own.yaml' });
      throw new Error('loaded');
    } catch (e) {
      if (!isCertfleetError(e, 'SCENARIO_INVALID')) throw e;
      const p = (e.details['problems'] as { line: number; message: string }[])[0]!;
      expect(p.line).toBe(4);
      expect(p.message).toContain(message);
    }
  });

  it('regression (QA walkthrough): a trusted root exported as base64 of a PEM .cer reaches the run as its DER', () => {
    const der = ownRoot().der;
    const pemExport = join(work, 'mac-trusted-pem.json');
    const exported = trustedGraphExport('macOSTrustedRootCertificate', der);
    exported['trustedRootCertificate'] = Buffer.from(derToPem(der, 'CERTIFICATE')).toString('base64');
    writeFileSync(pemExport, JSON.stringify(exported));
    const s = loadScenario({
      text: `fleet: { devices: 1, mix: [{ platform: macos, kind: user }] }\nprofiles:\n  - { graph: '${pemExport}' }\n`,
      file: 'own.yaml',
    });
    const model = s.profiles[0]!.models.macos;
    if (model?.kind !== 'trusted-certificate') throw new Error(String(model?.kind));
    expect(Buffer.from(model.certificate).equals(Buffer.from(der))).toBe(true);
  });

  it('regression (QA walkthrough): a Graph SCEP export with keySize size1024 is refused at load, as inline keySize 1024 is', () => {
    const scep = join(work, 'ios-scep-1024.json');
    writeFileSync(
      scep,
      JSON.stringify({
        '@odata.type': '#microsoft.graph.iosScepCertificateProfile',
        displayName: 'iOS SCEP 1024',
        scepServerUrls: ['https://ndes.contoso.test/certsrv/mscep/mscep.dll'],
        keySize: 'size1024',
      }),
    );
    try {
      loadScenario({
        text: `fleet: { devices: 1 }\nprofiles:\n  - { graph: '${scep}' }\n`,
        file: 'own.yaml',
      });
      throw new Error('loaded');
    } catch (e) {
      if (!isCertfleetError(e, 'SCENARIO_INVALID')) throw e;
      const p = (e.details['problems'] as { line: number; message: string }[])[0]!;
      expect(p.line).toBe(3);
      expect(p.message).toMatch(
        /\[PROFILE_INVALID\].*keySize: size1024 is an Intune option, but certfleet's simulated devices make RSA keys of 2048 bits or more only; use size2048 or size4096/,
      );
    }
  });

  it('a PKCS Graph profile whose template the CA lacks loads with a warning (issue 12: it fails per request at the CA)', () => {
    const s = loadScenario({
      text: `fleet: { devices: 1 }\nprofiles:\n  - { graph: '${PKCS}' }\n`,
      file: 'own.yaml',
    });
    expect(s.warnings?.map((w) => w.message).join('\n')).toContain("no template 'CertfleetMacUser'");
  });
});
