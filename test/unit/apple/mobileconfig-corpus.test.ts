/**
 * Conformance suite: the real-world samples in corpus/apple-mobileconfig/ of the conformance material
 * (test/fixtures/conformance.ts; read in place), judged at the codec level as the README of its corpus says.
 * Certificate bytes are judged later by the device agent; here we only check that it gets what it needs.
 * Project-made mirror: test/unit/conformance-own/apple-codec.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { APPLE_PLATFORMS } from '../../../profiles/apple/mobileconfig-types.ts';
import type { ScepPayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { conformancePath, describeConformance } from '../../fixtures/conformance.ts';

const CORPUS_REL = 'corpus/apple-mobileconfig';
const CORPUS = conformancePath(CORPUS_REL);
const APPLE = 'apple-devdocs-via-MagnusHJensen-unofficial-apple-docs-changelog__docs_devicemanagement_';
const MOSEN = 'mosen-profiledocs__source__static_examples__com.apple.security.';
const read = (name: string): Buffer => readFileSync(join(CORPUS, name));
const NEEDS = [
  ...['certificatepkcs12', 'certificateroot', 'certificatepkcs1', 'certificatepem', 'scep'].map(
    (n) => `${CORPUS_REL}/${APPLE}${n}.mobileconfig`,
  ),
  ...['root', 'pkcs1', 'pem', 'pkcs12'].map((n) => `${CORPUS_REL}/${MOSEN}${n}.mobileconfig`),
];

describeConformance('Apple corpus at the codec level', NEEDS, () => {
  describe.each(APPLE_PLATFORMS)('corpus on %s', (platform) => {
    const decode = (name: string) => decodeMobileconfig(read(name), { platform });

    it('Apple pkcs12 example: exactly one problem, the top-level PayloadType', () => {
      const r = decode(`${APPLE}certificatepkcs12.mobileconfig`);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.problems.map((p) => [p.code, p.rule, p.path])).toEqual([
        ['MOBILECONFIG_INVALID', 'bad-value', 'PayloadType'],
      ]);
      expect(r.problems[0]?.message).toContain('com.apple.security.pkcs12');
      expect(r.problems[0]?.line).toBe(95);
      expect(r.raw.equals(read(`${APPLE}certificatepkcs12.mobileconfig`))).toBe(true);
    });

    it.each(['root', 'pkcs1', 'pem', 'pkcs12'])(
      'mosen %s template: each template quirk named by key',
      (kind) => {
        const r = decode(`${MOSEN}${kind}.mobileconfig`);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.problems.map((p) => [p.rule, p.path])).toEqual([
          ['wrong-type', 'PayloadContent[0].PayloadContent'],
          ['bad-uuid', 'PayloadContent[0].PayloadUUID'],
          ['wrong-type', 'PayloadVersion'],
        ]);
        expect(r.problems[0]?.message).toMatch(/must be <data>.*but is <string>/);
        expect(r.problems[1]?.message).toContain('is empty');
        expect(r.problems[2]?.message).toMatch(/must be <integer>, but is <string>/);
        // Password is not a key of root/pkcs1/pem: devices ignore it, we warn.
        const unknown = r.warnings.filter((w) => w.rule === 'unknown-key').map((w) => w.path);
        expect(unknown).toEqual(kind === 'pkcs12' ? [] : ['PayloadContent[0].Password']);
      },
    );

    it('Apple root example decodes: one root payload with 1430 DER bytes', () => {
      const r = decode(`${APPLE}certificateroot.mobileconfig`);
      expect(r.ok && r.warnings).toEqual([]);
      if (!r.ok) return;
      const p = r.profile.PayloadContent[0];
      expect(p?.PayloadType).toBe('com.apple.security.root');
      const der = p?.PayloadContent as Buffer;
      expect(der.length).toBe(1430);
      expect(der[0]).toBe(0x30); // a DER SEQUENCE; the agent parses it
    });

    it('Apple pkcs1 example decodes structurally: 825 bytes (surplus "==" padding tolerated with a warning)', () => {
      const r = decode(`${APPLE}certificatepkcs1.mobileconfig`);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const p = r.profile.PayloadContent[0];
      expect(p?.PayloadType).toBe('com.apple.security.pkcs1');
      expect((p?.PayloadContent as Buffer).length).toBe(825);
      expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([
        ['base64-noncanonical', 'PayloadContent[0].PayloadContent'],
      ]);
    });

    it('Apple PEM example decodes structurally: PEM text holding a non-ASCII byte', () => {
      const r = decode(`${APPLE}certificatepem.mobileconfig`);
      expect(r.ok && r.warnings).toEqual([]);
      if (!r.ok) return;
      const pem = r.profile.PayloadContent[0]?.PayloadContent as Buffer;
      expect(pem.subarray(0, 27).toString('latin1')).toBe('-----BEGIN CERTIFICATE-----');
      expect(pem.some((b) => b > 0x7f)).toBe(true);
      expect(pem.includes(0x8a)).toBe(true);
    });

    it('Apple SCEP example decodes as a scep payload (dict PayloadContent)', () => {
      const r = decode(`${APPLE}scep.mobileconfig`);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const p = r.profile.PayloadContent[0] as ScepPayload;
      expect(p.PayloadType).toBe('com.apple.security.scep');
      expect(p.PayloadContent.URL).toBe('https://hostname.example.com/');
      expect(p.PayloadContent.Subject?.[0]?.[2]).toEqual(['CN', 'foo']);
      expect(p.PayloadContent['Key Usage']).toBe(5);
      expect(p.PayloadContent.SubjectAltName).toEqual({
        dNSName: 'example.com',
        ntPrincipalName: 'hostname.example.com',
      });
      // Apple's own example uses Keysize 0, outside the schema's 1024/2048/4096: a warning, not a failure.
      expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([
        ['advisory-value', 'PayloadContent[0].PayloadContent.Keysize'],
      ]);
    });
  });
});
