import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../simulator/scenario/index.ts';

const README = readFileSync(join(import.meta.dirname, '../../../scenarios/README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('scenarios/README.md examples load', () => {
  it('has six YAML examples', () => expect(BLOCKS).toHaveLength(6));

  it('the small example is a whole scenario', () => {
    const s = loadScenario({ text: BLOCKS[0]!, file: 'example.yaml' });
    expect([s.name, s.fleet.devices, s.profiles.length, s.expect.length]).toEqual([
      'wifi-rollout',
      200,
      2,
      1,
    ]);
  });

  it('the template overrides change and extend the defaults', () => {
    const s = loadScenario({ text: `fleet: { devices: 1 }\n${BLOCKS[1]!}`, file: 'ca.yaml' });
    expect(s.ca.type).toBe('fresh');
    const t = s.ca.type === 'fresh' ? s.ca.templates : [];
    expect(t.map((x) => [x.name, x.minimumKeySize, x.keyUsage.nonRepudiation])).toEqual([
      ['CertfleetUser', 4096, true],
      ['CertfleetDevice', 2048, false],
      ['WifiDevice', 2048, false],
    ]);
    expect(t[2]!.validity).toEqual({ value: 2, unit: 'years' });
    expect(new Set(t.map((x) => x.oid)).size).toBe(3);
  });

  it('the assignment example reads include and exclude groups', () => {
    const assign = BLOCKS[2]!
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    const s = loadScenario({
      text: `fleet: { devices: 1 }\nprofiles:\n  - name: R\n    type: trusted\n    platforms: all\n${assign}`,
      file: 'a.yaml',
    });
    expect(s.profiles[0]!.assign).toEqual({
      include: [{ platform: ['windows', 'ios'] }, { tags: ['pilot'] }],
      exclude: [{ kind: ['dedicated'] }],
    });
  });

  it('the actions example reads a retire group and a profile removal', () => {
    const s = loadScenario({
      text: `duration: 30d\nfleet: { devices: 1 }\nprofiles:\n  - { name: Wi-Fi, type: trusted, platforms: all }\n${BLOCKS[3]!}`,
      file: 'a.yaml',
    });
    expect(s.actions.map((a) => a.type)).toEqual(['retire', 'remove-profile']);
  });

  it('the lost-devices example accepts DEVICE_NEVER_ENROLLED rows', () => {
    const s = loadScenario({
      text: `duration: 30d\nfleet: { devices: 1 }\nprofiles:\n  - { name: Wi-Fi, type: trusted, platforms: all }\n${BLOCKS[4]!}`,
      file: 'e.yaml',
    });
    expect(s.expect).toHaveLength(1);
    expect(JSON.stringify(s.expect[0])).toContain('DEVICE_NEVER_ENROLLED');
  });

  it('the importedPfx example reads a purpose and a group', () => {
    const s = loadScenario({
      text: `fleet: { devices: 1 }\nprofiles:\n  - { name: S/MIME, type: pkcs-imported, platforms: all, purpose: smimeEncryption }\n${BLOCKS[5]!}`,
      file: 'imported.yaml',
    });
    expect(s.importedPfx?.map((i) => [i.purpose, i.where])).toEqual([
      ['smimeEncryption', { tags: ['smime'] }],
    ]);
    expect(s.profiles[0]?.kind).toBe('pkcs-imported-certificate');
  });
});
