import { describe, expect, it } from 'vitest';
import { summarize } from '../../../simulator/report/summary.ts';
import { sampleRun } from './fixture.ts';

describe('summarize', () => {
  const s = summarize(sampleRun());

  it.each([
    // platform, profile, total, installed, failed, pending, skipped, renewed, renewals, failedByCode
    ['windows', 'Contoso Root', 2, 2, 0, 0, 0, 0, 0, {}],
    ['windows', 'Wi-Fi PKCS', 2, 1, 1, 0, 0, 1, 1, { INSTALL_KSP_UNAVAILABLE: 1 }],
    ['macos', 'Contoso Root', 1, 1, 0, 0, 0, 0, 0, {}],
    ['macos', 'Wi-Fi PKCS', 1, 0, 0, 0, 1, 0, 0, {}],
    ['ios', 'Contoso Root', 1, 1, 0, 0, 0, 0, 0, {}],
    ['ios', 'Wi-Fi PKCS', 1, 0, 0, 1, 0, 0, 0, {}],
    ['android', 'Contoso Root', 3, 3, 0, 0, 0, 0, 0, {}],
    ['android', 'Wi-Fi PKCS', 3, 1, 2, 0, 0, 1, 2, { VARIABLE_MISSING: 2 }],
  ] as const)(
    '%s × %s: %i targeted, %i installed, %i failed, %i pending, %i skipped, %i renewed (%i renewals)',
    (platform, profile, total, installed, failed, pending, skipped, renewed, renewals, failedByCode) => {
      const cell = s.byPlatformProfile.find((c) => c.platform === platform && c.profile === profile);
      expect(cell).toEqual({
        platform,
        profile,
        total,
        installed,
        failed,
        pending,
        skipped,
        renewed,
        renewals,
        failedByCode,
      });
    },
  );

  it('orders rows by platform (PLATFORMS order), then profile', () => {
    expect(s.byPlatformProfile.map((c) => `${c.platform}/${c.profile}`)).toEqual([
      'windows/Contoso Root',
      'windows/Wi-Fi PKCS',
      'macos/Contoso Root',
      'macos/Wi-Fi PKCS',
      'ios/Contoso Root',
      'ios/Wi-Fi PKCS',
      'android/Contoso Root',
      'android/Wi-Fi PKCS',
    ]);
  });

  it.each([
    ['windows', 2, 2],
    ['macos', 2, 1],
    ['ios', 1, 1],
    ['android', 3, 3],
  ] as const)('%s has %i devices, %i enrolled', (platform, devices, enrolled) => {
    const p = s.byPlatform.find((c) => c.platform === platform);
    expect([p?.devices, p?.enrolled]).toEqual([devices, enrolled]);
  });

  it('totals, enrolled count and expectations', () => {
    expect(s.totals).toMatchObject({
      total: 14,
      installed: 9,
      failed: 3,
      pending: 1,
      skipped: 1,
      renewed: 2,
      renewals: 3,
    });
    expect([s.devices, s.enrolled]).toEqual([8, 7]);
    expect(s.expectations).toEqual({ total: 2, held: 1, broken: 1 });
    expect(s.passed).toBe(false);
  });

  it('failure reasons: most frequent first, example = first failing device by id, where per platform/kind', () => {
    expect(s.failureReasons.map((r) => [r.code, r.profile, r.count, r.example.device, r.where])).toEqual([
      ['VARIABLE_MISSING', 'Wi-Fi PKCS', 2, 'and-1', { 'android/work-profile-personal': 2 }],
      ['INSTALL_KSP_UNAVAILABLE', 'Wi-Fi PKCS', 1, 'win-2', { 'windows/hybrid-joined': 1 }],
    ]);
    expect(s.failureReasons[0]?.example.message).toContain('{{IMEI}}');
  });

  it('does not depend on the order outcomes arrived in', () => {
    const run = sampleRun();
    run.outcomes.reverse();
    run.devicesList.reverse();
    expect(summarize(run)).toEqual(s);
  });

  it('passes when every expectation held (and with none)', () => {
    const run = sampleRun();
    run.expectations = run.expectations.map((e) => ({ ...e, held: true }));
    expect(summarize(run).passed).toBe(true);
    run.expectations = [];
    expect(summarize(run).passed).toBe(true);
  });
});
