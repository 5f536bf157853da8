/**
 * regression issue 5: `scenarios/default.yaml` (the `npm start` run) loads, is the size scenarios/README.md
 * documents, and its expectations are the documented ones: every device installs the CA root except Pixel
 * device administrators on Android 11+ (INSTALL_NOT_ALLOWED), and every device with a user installs the
 * Wi-Fi certificate without renewing. Loaded only, not run (the run takes most of a minute).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../simulator/scenario/index.ts';

const DIR = join(import.meta.dirname, '../../../scenarios');
const README = readFileSync(join(DIR, 'README.md'), 'utf8');

describe('regression issue 5: scenarios/default.yaml', () => {
  const s = loadScenario(join(DIR, 'default.yaml'));

  it('has the size the README documents', () => {
    const row = README.split('\n').find((l) => l.startsWith('| `default.yaml`'));
    expect(row).toBeDefined();
    expect(Number(/(\d+) devices/.exec(row!)?.[1])).toBe(s.fleet.devices);
    expect(README).toContain(`so ${s.fleet.devices} devices cost`);
  });

  it('has the documented profiles and expectations', () => {
    expect(s.profiles.map((p) => [p.name, p.kind])).toEqual([
      ['Certfleet Root', 'trusted-certificate'],
      ['Corp Wi-Fi', 'pkcs-certificate'],
    ]);
    expect(
      s.expect.map((e) => ({
        profile: e.profile,
        where: e.where,
        status: e.status,
        code: e.code,
        renewals: e.renewals?.text,
        share: e.quantity.check.text,
      })),
    ).toEqual([
      {
        profile: 'Certfleet Root',
        where: { platform: ['windows', 'macos', 'ios'] },
        status: 'installed',
        code: undefined,
        renewals: undefined,
        share: 'all',
      },
      {
        profile: 'Certfleet Root',
        where: {
          platform: ['android'],
          kind: ['work-profile-personal', 'work-profile-corporate', 'fully-managed', 'dedicated'],
        },
        status: 'installed',
        code: undefined,
        renewals: undefined,
        share: 'all',
      },
      {
        profile: 'Certfleet Root',
        where: { platform: ['android'], kind: ['device-admin'], tags: ['da-knox'] },
        status: 'installed',
        code: undefined,
        renewals: undefined,
        share: 'all',
      },
      {
        profile: 'Certfleet Root',
        where: { platform: ['android'], kind: ['device-admin'], tags: ['da-pixel'] },
        status: 'failed',
        code: 'INSTALL_NOT_ALLOWED',
        renewals: undefined,
        share: 'all',
      },
      {
        profile: 'Corp Wi-Fi',
        where: {},
        status: 'installed',
        code: undefined,
        renewals: undefined,
        share: 'all',
      },
      {
        profile: undefined,
        where: { platform: ['windows'] },
        status: 'installed',
        code: undefined,
        renewals: undefined,
        share: 'all',
      },
      { profile: 'Corp Wi-Fi', where: {}, status: undefined, code: undefined, renewals: '0', share: 'all' },
    ]);
  });
});
