import { describe, expect, it } from 'vitest';
import {
  buildTimeReport,
  certificatesOf,
  chooseBucket,
  MAX_BUCKETS,
  type TimeInputs,
} from '../../../simulator/report/time-series.ts';
import type { DeliveryRecord, StoreSnapshotItem } from '../../../simulator/report/run-db.ts';
import type { RunEvent, RunResult } from '../../../simulator/run-model.ts';
import { sampleRun } from './fixture.ts';

const DAY = 86_400_000;

describe('chooseBucket', () => {
  it.each([
    [0, '1m'],
    [60 * 60_000, '1m'],
    [61 * 60_000, '5m'],
    [2 * DAY, '1h'],
    [14 * DAY, '6h'],
    [30 * DAY, '12h'],
    [40 * DAY, '1d'],
    [300 * DAY, '7d'],
    [365 * DAY, '7d'],
    [10 * 365 * DAY, '90d'],
  ])('a run of %i ms → %s', (ms, label) => {
    const b = chooseBucket(ms);
    expect(b.label).toBe(label);
    expect(Math.ceil(ms / b.ms)).toBeLessThanOrEqual(MAX_BUCKETS);
  });
});

/** An event of a device about profile P (or `profile`). */
const ev = (at: string, device: string, type: string, detail = '', profile = 'P'): RunEvent => ({
  at,
  device,
  type,
  detail,
  profile,
});

/** A 40-day run from 2026-01-01: two devices install, one renews on day 24, one is refused, one expires. */
function timedRun(): RunResult {
  const run = sampleRun();
  run.metrics.virtualStart = '2026-01-01T00:00:00.000Z';
  run.metrics.virtualEnd = '2026-02-10T00:00:00.000Z';
  run.events = [
    ev('2026-01-01T00:00:15.000Z', 'win-1', 'installed', 'OK'),
    ev('2026-01-01T00:00:15.000Z', 'and-3', 'installed', 'OK'),
    ev('2026-01-02T10:00:00.000Z', 'win-2', 'failed', 'INSTALL_KSP_UNAVAILABLE: no TPM'),
    {
      at: '2026-01-03T00:00:00.000Z',
      device: 'mac-1',
      type: 'enroll-refused',
      detail: 'ENROLL_OS_TOO_OLD: x',
    },
    // the renewal on day 24: `renewed` and the install of the new certificate at the same instant
    ev('2026-01-25T00:01:15.000Z', 'win-1', 'installed', 'OK'),
    ev('2026-01-25T00:01:15.000Z', 'win-1', 'renewed', 'certificate 02 replaces 01'),
    ev('2026-01-28T00:01:45.000Z', 'ios-1', 'renewed', 'certificate 04 replaces 03'),
    ev('2026-01-28T00:01:45.000Z', 'ios-1', 'installed', 'OK'),
    ev('2026-02-05T08:00:00.000Z', 'and-3', 'failed', 'RENEWAL_EXPIRED: The certificate CN=x expired'),
    { at: '2026-01-01T00:00:31.000Z', type: 'connector-started', detail: 'connector-1' },
  ];
  // mac-1's refusal made two failed rows
  run.outcomes.push(
    {
      ...run.outcomes[0]!,
      device: 'mac-1',
      platform: 'macos',
      kind: 'device',
      profile: 'A',
      status: 'failed',
    },
    {
      ...run.outcomes[0]!,
      device: 'mac-1',
      platform: 'macos',
      kind: 'device',
      profile: 'B',
      status: 'failed',
    },
  );
  return run;
}

const INPUTS: TimeInputs = {
  deferrals: [
    { at: '2026-01-25T00:00:00.000Z', device: 'ios-1', type: 'renewal-deferred', detail: 'locked' },
    { at: '2026-01-25T08:00:00.000Z', device: 'ios-1', type: 'renewal-deferred', detail: 'locked' },
    { at: '2026-01-27T16:00:00.000Z', device: 'ios-1', type: 'renewal-deferred', detail: 'locked' },
    { at: '2026-01-26T00:00:00.000Z', device: 'mac-2', type: 'renewal-deferred', detail: 'locked' },
  ],
  certificates: [
    // 30-day certificates; the run ends 2026-02-10
    {
      device: 'win-1',
      profile: 'P',
      notBefore: '2026-01-25T00:00:00.000Z',
      notAfter: '2026-02-24T00:00:00.000Z',
      threshold: 20,
    },
    {
      device: 'ios-1',
      profile: 'P',
      notBefore: '2026-01-28T00:00:00.000Z',
      notAfter: '2026-02-27T00:00:00.000Z',
      threshold: 20,
    },
    // 5 days of 30 left: 16.7 %, below the 20 % threshold
    {
      device: 'and-3',
      profile: 'P',
      notBefore: '2026-01-16T00:00:00.000Z',
      notAfter: '2026-02-15T00:00:00.000Z',
      threshold: 20,
    },
    {
      device: 'win-2',
      profile: 'P',
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2026-01-31T00:00:00.000Z',
      threshold: 20,
    },
  ],
};

describe('buildTimeReport', () => {
  const t = buildTimeReport(timedRun(), INPUTS);
  const at = (day: number) => t.series[day]!;

  it('cuts a 40-day run into 40 one-day buckets from the virtual start', () => {
    expect(t.bucket).toBe('1d');
    expect(t.series).toHaveLength(40);
    expect(t.series[0]?.start).toBe('2026-01-01T00:00:00.000Z');
    expect(t.series[24]?.start).toBe('2026-01-25T00:00:00.000Z');
  });

  it('counts a renewal once, as a renewal, not also as an install, in its own bucket', () => {
    expect(at(0).installs).toBe(2);
    expect(at(24)).toMatchObject({ installs: 0, renewals: 1, deferrals: 2 });
    expect(at(27)).toMatchObject({ installs: 0, renewals: 1 });
    expect(t.series.reduce((n, b) => n + b.installs, 0)).toBe(2);
  });

  it('counts failures, the rows of a refused enrolment and expiries where they happened', () => {
    expect(at(1).failures).toBe(1);
    expect(at(2).failures).toBe(2);
    expect(at(35)).toMatchObject({ failures: 1, expiries: 1 });
    expect(t.expiries).toEqual([
      {
        device: 'and-3',
        platform: 'android',
        profile: 'P',
        at: '2026-02-05T08:00:00.000Z',
        message: 'The certificate CN=x expired',
      },
    ]);
  });

  it('the totals are the sums of the series', () => {
    for (const k of ['installs', 'failures', 'renewals', 'deferrals', 'expiries'] as const)
      expect(t.totals[k], k).toBe(t.series.reduce((n, b) => n + b[k], 0));
    expect(t.totals).toEqual({ installs: 2, failures: 4, renewals: 2, deferrals: 4, expiries: 1 });
  });

  it('lists each deferring device with its count, first and last deferral and the renewal after', () => {
    expect(t.deferrals).toEqual([
      {
        device: 'ios-1',
        platform: 'ios',
        count: 3,
        first: '2026-01-25T00:00:00.000Z',
        last: '2026-01-27T16:00:00.000Z',
        renewedAt: '2026-01-28T00:01:45.000Z',
      },
      {
        device: 'mac-2',
        platform: 'macos',
        count: 1,
        first: '2026-01-26T00:00:00.000Z',
        last: '2026-01-26T00:00:00.000Z',
      },
    ]);
  });

  it('gives the validity left per certificate and per profile: min, median, max, below threshold, expired', () => {
    const byDevice = Object.fromEntries(t.validity.certificates.map((c) => [c.device, c]));
    expect(byDevice['win-1']).toMatchObject({
      daysLeft: 14,
      percentLeft: 46.7,
      belowThreshold: false,
      expired: false,
    });
    expect(byDevice['and-3']).toMatchObject({
      daysLeft: 5,
      percentLeft: 16.7,
      belowThreshold: true,
      expired: false,
    });
    expect(byDevice['win-2']).toMatchObject({
      daysLeft: -10,
      percentLeft: 0,
      belowThreshold: false,
      expired: true,
    });
    expect(t.validity.byProfile).toEqual([
      {
        profile: 'P',
        certificates: 4,
        threshold: 20,
        minDays: -10,
        medianDays: 9.5,
        maxDays: 17,
        belowThreshold: 1,
        expired: 1,
      },
    ]);
    expect(t.fromRunDb).toBe(true);
  });

  it('without run.db: no deferrals or validity, and says so', () => {
    const bare = buildTimeReport(timedRun());
    expect(bare.fromRunDb).toBe(false);
    expect(bare.deferrals).toEqual([]);
    expect(bare.validity.certificates).toEqual([]);
    expect(bare.totals.renewals).toBe(2);
  });
});

describe('buildTimeReport: per minute of virtual time', () => {
  /** A 2-hour run: three certificates issued by two connectors and one by SCEP, installs in two minutes. */
  function minuteRun(): RunResult {
    const run = timedRun();
    run.metrics.virtualStart = '2026-01-01T00:00:00.000Z';
    run.metrics.virtualEnd = '2026-01-01T02:00:00.000Z';
    run.events = [
      ev('2026-01-01T00:00:15.000Z', 'win-1', 'issued', 'certificate 0A by connector-2 (initial)'),
      ev('2026-01-01T00:00:15.000Z', 'win-1', 'installed', 'OK'),
      ev('2026-01-01T00:00:59.999Z', 'and-3', 'issued', 'certificate 0B by connector-2 (initial)'),
      ev('2026-01-01T00:00:59.999Z', 'and-3', 'installed', 'OK'),
      ev('2026-01-01T00:01:00.000Z', 'ios-1', 'issued', 'certificate 0C by connector-1 (initial)'),
      ev('2026-01-01T00:01:00.000Z', 'ios-1', 'installed', 'OK'),
      ev(
        '2026-01-01T01:30:00.000Z',
        'mac-2',
        'issued',
        'certificate 0D by the SCEP connector (initial; transaction t-1)',
      ),
      ev('2026-01-01T01:45:10.000Z', 'win-2', 'failed', 'INSTALL_KSP_UNAVAILABLE: no TPM'),
      ev('2026-01-01T01:45:50.000Z', 'win-2', 'failed', 'INSTALL_KSP_UNAVAILABLE: no TPM'),
      // two failed rows of mac-1's refused enrolment, in a minute of their own
      {
        at: '2026-01-01T01:50:00.000Z',
        device: 'mac-1',
        type: 'enroll-refused',
        detail: 'ENROLL_OS_TOO_OLD: x',
      },
    ];
    return run;
  }
  const p = buildTimeReport(minuteRun(), INPUTS).perMinute;

  it("divides by the run's minutes and finds the busiest minute, counted from the virtual start", () => {
    expect(p.minutes).toBe(120);
    expect(p.installs).toEqual({
      total: 3,
      meanPerMinute: 0.025,
      peak: 2,
      peakAt: '2026-01-01T00:00:00.000Z',
    });
    expect(p.renewals).toEqual({ total: 0, meanPerMinute: 0, peak: 0 });
  });

  it('counts failures with the rows of a refused enrolment; a tie goes to the earlier minute', () => {
    expect(p.failures).toEqual({
      total: 4,
      meanPerMinute: 0.0333,
      peak: 2,
      peakAt: '2026-01-01T01:45:00.000Z',
    });
  });

  it('counts the certificates each connector issued, by the name its events give', () => {
    expect(Object.keys(p.issuedByConnector)).toEqual(['connector-1', 'connector-2', 'the SCEP connector']);
    expect(p.issuedByConnector['connector-2']).toEqual({
      total: 2,
      meanPerMinute: 0.0167,
      peak: 2,
      peakAt: '2026-01-01T00:00:00.000Z',
    });
    expect(p.issuedByConnector['connector-1']).toMatchObject({
      total: 1,
      peak: 1,
      peakAt: '2026-01-01T00:01:00.000Z',
    });
    expect(p.issuedByConnector['the SCEP connector']).toMatchObject({ total: 1, peak: 1 });
  });

  it('the 40-day run: the same totals as its series', () => {
    const t = buildTimeReport(timedRun(), INPUTS);
    expect(t.perMinute.installs.total).toBe(t.totals.installs);
    expect(t.perMinute.failures.total).toBe(t.totals.failures);
    expect(t.perMinute.renewals.total).toBe(t.totals.renewals);
    expect(t.perMinute.minutes).toBe(40 * 24 * 60);
  });
});

describe('certificatesOf', () => {
  const item = (
    deviceId: string,
    store: string,
    ref: string,
    kind: StoreSnapshotItem['kind'] = 'identity',
  ): StoreSnapshotItem => ({
    deviceId,
    store,
    kind,
    ref,
    subject: 'CN=x',
    issuer: 'CN=ca',
    thumbprint: 'AA',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2026-01-31T00:00:00.000Z',
    installedAt: '2026-01-01T00:00:00.000Z',
    attrs: {},
  });
  const delivery = (device: string, profile: string, payload: string, topic: string): DeliveryRecord => ({
    device,
    profile,
    payload,
    format: 'x',
    topic,
    bytes: 1,
    attempt: 1,
    at: '2026-01-01T00:00:00.000Z',
  });

  it('matches Apple, Windows and Android identities to their profile and threshold; skips the rest', () => {
    const certs = certificatesOf(
      [
        item('ios', 'ios/keychain', 'com.certfleet.profile.A'),
        item('ios', 'ios/keychain', 'com.certfleet.profile.A', 'certificate'),
        item('win', 'windows/user/My', './User/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/G1'),
        item('and', 'android/work-profile', 'Wi-Fi-cert'),
        item('and', 'mdm/identity', 'mdm-enrollment'),
        item('lost', 'ios/keychain', 'com.certfleet.profile.Z'),
      ],
      [
        delivery(
          'ios',
          'Wi-Fi cert',
          'com.certfleet.profile.A',
          'certfleet/t/device/ios/in/mobileconfig/Wi-Fi-cert/25',
        ),
        delivery(
          'win',
          'Wi-Fi cert',
          './User/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/G1/KeyLocation',
          'certfleet/t/device/win/in/syncml/Wi-Fi-cert/20',
        ),
        delivery('and', 'Wi-Fi cert', 'GUID-1', 'certfleet/t/device/and/in/android-policy/Wi-Fi-cert/10'),
      ],
    );
    expect(certs.map((c) => [c.device, c.profile, c.threshold])).toEqual([
      ['ios', 'Wi-Fi cert', 25],
      ['win', 'Wi-Fi cert', 20],
      ['and', 'Wi-Fi cert', 10],
    ]);
  });
});
