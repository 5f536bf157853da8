/**
 * Issue 12 point 7, service side: the administrator replaces the certificate of a trusted-certificate profile
 * (`uploadIssuingCa`) and the service sends the changed profile again to each device that has it; a device's
 * `trustChange` outcome report (its untrusted identity became trusted) updates the row without counting an
 * install or a renewal, and does not stand in for the answer to a payload in flight.
 */
import { describe, expect, it } from 'vitest';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import type { OutcomeReport } from '../../../protocol/wire/messages.ts';
import { deviceOutTopic } from '../../../protocol/wire/topics.ts';
import type { RunEvent } from '../../../simulator/run-model.ts';
import { outcomeOf, pkcs, START, toAll, trusted, world, type FakeDevice } from './harness.ts';

const untrusted = (d: FakeDevice, payload: string): InstallOutcome => ({
  device: d.id,
  platform: 'windows',
  payload,
  status: 'installed',
  code: 'INSTALL_UNTRUSTED_CHAIN',
  message: 'Installed, not trusted.',
  native: { platform: 'windows', syncml: 200 },
});

describe('issue 12 point 7: a trusted profile updated, a trust change reported', () => {
  it('updateTrustedCertificate re-sends the changed trusted profile to its devices only', async () => {
    const events: RunEvent[] = [];
    const w = await world({
      assignments: (ca) => [
        toAll('issuing', trusted('windows', ca.issuing.der)),
        toAll('cert', pkcs('windows')),
      ],
      service: { onEvent: (e) => events.push(e) },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'hybrid-joined' });
    await w.run(60_000);
    const before = d.payloads().filter((p) => p.topic.includes('/issuing'));
    expect(before).toHaveLength(1);

    const renewed = await w.ca.renewIssuing(new Date(START.getTime() + 86_400_000));
    expect(await w.service.updateTrustedCertificate('issuing', renewed.der)).toBe(1);
    await w.settle();
    const after = d.payloads().filter((p) => p.topic.includes('/issuing'));
    expect(after).toHaveLength(2);
    // the new payload carries the renewed issuing CA (its thumbprint names the RootCATrustedCertificates node)
    expect(after[1]!.payload.toString('utf8')).toContain(renewed.sha1Thumbprint);
    expect(after[0]!.payload.toString('utf8')).not.toContain(renewed.sha1Thumbprint);
    expect(events.filter((e) => e.type === 'profile-updated').map((e) => [e.device, e.profile])).toEqual([
      [d.id, 'issuing'],
    ]);
    expect(outcomeOf(w.service, d.id, 'issuing')).toMatchObject({ status: 'installed', code: 'OK' });
    // a PKCS profile is not a trusted-certificate profile: nothing changes, nothing is sent
    const sent = d.payloads().length;
    expect(await w.service.updateTrustedCertificate('cert', renewed.der)).toBe(0);
    await w.settle();
    expect(d.payloads()).toHaveLength(sent);
  });

  it('a trustChange report turns the untrusted row into OK without an install, a renewal or an answer', async () => {
    const events: RunEvent[] = [];
    const w = await world({
      assignments: [toAll('cert', pkcs('windows'))],
      service: { onEvent: (e) => events.push(e) },
    });
    const d = await w.enrol({
      platform: 'windows',
      kind: 'hybrid-joined',
      answer: (profileId) => [untrusted(d, profileId)],
    });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'cert')).toMatchObject({
      status: 'installed',
      code: 'INSTALL_UNTRUSTED_CHAIN',
      renewals: 0,
    });
    const counters = w.service.counters();

    const transport = w.bus.transport(`device-${d.id}-2`);
    const report = (trustChange: boolean): OutcomeReport => ({
      type: 'outcome',
      deviceId: d.id,
      profileId: 'cert',
      outcomes: [{ ...untrusted(d, 'cert'), code: 'OK', message: 'The certificate is now trusted.' }],
      at: START.toISOString(),
      ...(trustChange && { trustChange: true }),
    });
    await transport.publish(
      deviceOutTopic('contoso', d.id, 'outcome', 'cert'),
      Buffer.from(JSON.stringify(report(true))),
    );
    await w.settle();
    expect(outcomeOf(w.service, d.id, 'cert')).toMatchObject({
      status: 'installed',
      code: 'OK',
      message: 'The certificate is now trusted.',
      renewals: 0,
    });
    // one more message in, nothing else: no certificate, renewal, revocation or message out
    expect(w.service.counters()).toEqual({ ...counters, messagesIn: counters.messagesIn + 1 });
    expect(events.filter((e) => e.type === 'trust-changed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'installed')).toHaveLength(1); // the first install only
  });

  it('a trustChange report while a payload waits for its answer changes nothing: the service keeps re-sending', async () => {
    const events: RunEvent[] = [];
    const w = await world({
      assignments: [toAll('cert', pkcs('windows'))],
      service: { onEvent: (e) => events.push(e) },
    });
    const d = await w.enrol({ platform: 'windows', kind: 'hybrid-joined', answer: 'silent' });
    await w.run(60_000);
    expect(outcomeOf(w.service, d.id, 'cert')).toMatchObject({ status: 'pending' });
    const report: OutcomeReport = {
      type: 'outcome',
      deviceId: d.id,
      profileId: 'cert',
      outcomes: [{ ...untrusted(d, 'cert'), code: 'OK', message: 'The certificate is now trusted.' }],
      at: START.toISOString(),
      trustChange: true,
    };
    const mark = events.length;
    await w.bus
      .transport(`device-${d.id}-2`)
      .publish(deviceOutTopic('contoso', d.id, 'outcome', 'cert'), Buffer.from(JSON.stringify(report)));
    await w.settle();
    expect(outcomeOf(w.service, d.id, 'cert')).toMatchObject({ status: 'pending' });
    await w.run(86_400_000);
    // re-sent after the report: the report did not stand in for the answer
    expect(events.slice(mark).filter((e) => e.type === 'retry' && e.device === d.id).length).toBeGreaterThan(
      0,
    );
    expect(events.filter((e) => e.type === 'trust-changed')).toEqual([]);
  });
});
