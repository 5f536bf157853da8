/**
 * Mirror of the conformance test test/unit/apple/mobileconfig-corpus.test.ts on project-made samples
 * (samples.ts): the same faults, judged at the codec level, on a clone without the conformance material.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import { APPLE_PLATFORMS, type ScepPayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { pfxOf } from '../agent-apple/fixtures.ts';
import { makeHierarchy } from '../pki/hierarchy.ts';
import { ownAppleSamples, PFX_PASSWORD, type OwnAppleSamples } from './samples.ts';

let s: OwnAppleSamples;
beforeAll(() => {
  s = ownAppleSamples(pfxOf(makeHierarchy(), PFX_PASSWORD));
});

describe.each(APPLE_PLATFORMS)('project-made samples on %s', (platform) => {
  const decode = (bytes: Buffer) => decodeMobileconfig(bytes, { platform });

  it('top-level PayloadType com.apple.security.pkcs12: exactly one problem, on its line', () => {
    const bytes = s.pkcs12BadTypeAndPassword.profile;
    const r = decode(bytes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.code, p.rule, p.path])).toEqual([
      ['MOBILECONFIG_INVALID', 'bad-value', 'PayloadType'],
    ]);
    expect(r.problems[0]?.message).toContain('com.apple.security.pkcs12');
    expect(s.pkcs12BadTypeAndPassword.line).toBeGreaterThan(1);
    expect(r.problems[0]?.line).toBe(s.pkcs12BadTypeAndPassword.line);
    expect(r.raw.equals(bytes)).toBe(true);
  });

  it.each(['root', 'pkcs1', 'pem', 'pkcs12'] as const)('%s template: each quirk named by key', (kind) => {
    const r = decode(s.templates[kind]);
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
    // Password is a key of pkcs12 only: elsewhere devices ignore it, and we warn.
    const unknown = r.warnings.filter((w) => w.rule === 'unknown-key').map((w) => w.path);
    expect(unknown).toEqual(kind === 'pkcs12' ? [] : ['PayloadContent[0].Password']);
  });

  it('root profile decodes: one root payload holding exactly the DER written', () => {
    const r = decode(s.rootProfile);
    expect(r.ok && r.warnings).toEqual([]);
    if (!r.ok) return;
    expect(r.profile.PayloadType).toBe('Configuration');
    const p = r.profile.PayloadContent[0];
    expect(p?.PayloadType).toBe('com.apple.security.root');
    const der = p?.PayloadContent as Buffer;
    expect(der.length).toBe(s.root.der.length);
    expect(der.equals(Buffer.from(s.root.der))).toBe(true);
  });

  it('truncated pkcs1 decodes structurally (surplus "==" tolerated with a warning)', () => {
    const r = decode(s.truncated.profile);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.profile.PayloadContent[0];
    expect(p?.PayloadType).toBe('com.apple.security.pkcs1');
    expect((p?.PayloadContent as Buffer).length).toBe(s.truncated.has);
    expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([
      ['base64-noncanonical', 'PayloadContent[0].PayloadContent'],
    ]);
    expect(r.warnings[0]?.message).toContain(`giving ${s.truncated.has} bytes`);
  });

  it('PEM payload decodes structurally: PEM text holding a non-ASCII byte where it was put', () => {
    const r = decode(s.pemNonAscii.profile);
    expect(r.ok && r.warnings).toEqual([]);
    if (!r.ok) return;
    const pem = r.profile.PayloadContent[0]?.PayloadContent as Buffer;
    expect(pem.subarray(0, 27).toString('latin1')).toBe('-----BEGIN CERTIFICATE-----');
    expect(pem.findIndex((b) => b > 0x7f)).toBe(s.pemNonAscii.offset);
    expect(pem[s.pemNonAscii.offset]).toBe(0x8a);
  });

  it('SCEP payload decodes (dict PayloadContent); Keysize 0 is a warning, not a failure', () => {
    const r = decode(s.scep);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.profile.PayloadContent[0] as ScepPayload;
    expect(p.PayloadType).toBe('com.apple.security.scep');
    expect(p.PayloadContent.URL).toBe('https://scep.certfleet.test/scep');
    expect(p.PayloadContent.Subject).toEqual([[['O', 'Certfleet Test']], [['CN', 'own-device']]]);
    expect(p.PayloadContent['Key Usage']).toBe(5);
    expect(p.PayloadContent.SubjectAltName).toEqual({
      dNSName: 'own-device.certfleet.test',
      ntPrincipalName: 'own-device@certfleet.test',
    });
    expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([
      ['advisory-value', 'PayloadContent[0].PayloadContent.Keysize'],
    ]);
  });
});
