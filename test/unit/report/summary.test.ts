import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../simulator/report/console.ts';
import { buildReportJson } from '../../../simulator/report/report-json.ts';
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
        untrusted: 0, // issue 12 point 4: the sample has no untrusted install (test/unit/report/untrusted.test.ts)
        notApplicable: 0,
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

describe('regression issue 13: failures are grouped by code and cause, not code alone', () => {
  /** The fixture with and-2's IMEI removed by the scenario instead of hidden by Android. */
  function twoCauses(): ReturnType<typeof sampleRun> {
    const run = sampleRun();
    const and2 = run.devicesList.find((d) => d.id === 'and-2')!;
    and2.absent = {
      imei: {
        reason: 'not-reported',
        source: 'scenario',
        rule: 'fleet.missing.imei',
        text: 'removed by the scenario (fleet.missing.imei: 10 % of devices)',
      },
    };
    return run;
  }

  it('the same code on the same profile with two causes is two groups, each with count, share and its own example', () => {
    const reasons = summarize(twoCauses()).failureReasons.filter((r) => r.code === 'VARIABLE_MISSING');
    expect(
      reasons.map((r) => [r.count, r.of, r.share, r.cause.key, r.cause.source, r.example.device]),
    ).toEqual([
      [1, 7, 1 / 7, '{{IMEI}}|imei|android12-work-profile', 'os-version', 'and-1'],
      [1, 7, 1 / 7, '{{IMEI}}|imei|fleet.missing.imei', 'scenario', 'and-2'],
    ]);
    expect(reasons[1]?.cause).toMatchObject({
      variable: '{{IMEI}}',
      attribute: 'imei',
      reason: 'not-reported',
      text: '{{IMEI}} (imei): removed by the scenario (fleet.missing.imei: 10 % of devices)',
    });
  });

  it('the console prints each cause on its own line', () => {
    const text = renderSummary(twoCauses(), { color: false });
    expect(text).toContain(
      '— {{IMEI}} (imei): a personally-owned work profile enrolled on Android 12 or later [os-version]',
    );
    expect(text).toContain(
      '— {{IMEI}} (imei): removed by the scenario (fleet.missing.imei: 10 % of devices) [scenario]',
    );
  });

  it('report.json carries the groups (code, profile, cause, count, share, example)', () => {
    const json = buildReportJson(twoCauses());
    expect(json.summary.failureReasons.map((r) => [r.code, r.cause.source, r.count, r.share])).toEqual([
      ['INSTALL_KSP_UNAVAILABLE', undefined, 1, 1 / 7],
      ['VARIABLE_MISSING', 'os-version', 1, 1 / 7],
      ['VARIABLE_MISSING', 'scenario', 1, 1 / 7],
    ]);
  });

  it('a device that has the attribute yet fails is a documented restriction, grouped per platform/kind', () => {
    const run = sampleRun();
    for (const d of run.devicesList) delete d.absent;
    const r = summarize(run).failureReasons.find((x) => x.code === 'VARIABLE_MISSING');
    expect(r?.cause).toMatchObject({
      source: 'restriction',
      text: '{{IMEI}}: not filled on android/work-profile-personal devices (a documented restriction)',
    });
  });

  it('other codes group by their message with identifiers masked: two GUIDs, one cause', () => {
    const run = sampleRun();
    const ksp = (id: string): string =>
      `./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/${id}: KeyLocation 1 requires the TPM key storage provider, and this device has no TPM. Use KeyLocation 2.`;
    const base = run.outcomes.find((o) => o.device === 'win-2' && o.code === 'INSTALL_KSP_UNAVAILABLE')!;
    base.message = ksp('9B0373B8-14E6-467B-9339-F78109A3ED16');
    run.outcomes.push({ ...base, device: 'win-3', message: ksp('E2852703-2C74-432A-8AB7-D7549C923A1D') });
    const r = summarize(run).failureReasons.filter((x) => x.code === 'INSTALL_KSP_UNAVAILABLE');
    expect(r.map((x) => [x.count, x.cause.text])).toEqual([
      [
        2,
        './Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/…: KeyLocation 1 requires the TPM key storage provider, and this device has no TPM.',
      ],
    ]);
  });
});
