/**
 * The in-process control channel of `certfleet run` (simulator/engine/local-control-channel.ts): the
 * clock messages go through the protocol's own codecs, arrive later (never inside the sender's call), in
 * the order sent, at every host; a host speaks only for itself.
 */
import { describe, expect, it } from 'vitest';
import { CertfleetError as CertfleetErrorClass, type CertfleetError } from '../../../pki/errors.ts';
import type { CtlMessage, HostReportMessage, JoinMessage } from '../../../protocol/wire/clock-messages.ts';
import { localControlChannels } from '../../../simulator/engine/local-control-channel.ts';

const join = (host: string): JoinMessage => ({
  type: 'join',
  host,
  shard: { index: 0, count: 1 },
  digest: 'in-process',
  seed: 's',
  devices: 3,
  incarnation: 'i-1',
});

describe('localControlChannels', () => {
  it('delivers the coordinator\u2019s messages to every host, later and in order, decoded', async () => {
    const channels = localControlChannels('acme');
    const got: Record<string, CtlMessage[]> = { a: [], b: [] };
    for (const h of ['a', 'b'] as const) {
      channels.host(h).listen({ onCtl: (m) => got[h]!.push(m), onInvalid: (e) => expect.fail(e.message) });
    }
    const sent: CtlMessage[] = [
      { type: 'start', run: 'r', t: 1, wave: 0 },
      { type: 'step', run: 'r', t: 2, wave: 1 },
      { type: 'probe', run: 'r', t: 2, wave: 2, host: 'b' },
      { type: 'end', run: 'r', t: 3, reason: 'done' },
    ];
    for (const m of sent) await channels.coordinator.publish(m);
    expect(got.a).toEqual([]); // not inside the publisher's call
    await new Promise((r) => setImmediate(r));
    expect(got.a).toEqual(sent);
    expect(got.b).toEqual(sent);
    expect(got.a![0]).not.toBe(sent[0]); // a decoded copy, not the sender's object
  });

  it('delivers a host\u2019s join and reports to the coordinator; what came before it listened is kept', async () => {
    const channels = localControlChannels('acme');
    const host = channels.host('h1');
    const report: HostReportMessage = {
      type: 'report',
      host: 'h1',
      incarnation: 'i-1',
      run: 'r',
      wave: 1,
      t: 5,
      idle: true,
      nextAt: null,
      counters: { d1: [1, 2] },
      progress: { devices: 3 },
      events: [],
    };
    await host.send(join('h1'));
    await host.send(report);
    const got: Array<JoinMessage | HostReportMessage> = [];
    const invalid: CertfleetError[] = [];
    channels.coordinator.listen({ onHostMessage: (m) => got.push(m), onInvalid: (e) => invalid.push(e) });
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([join('h1'), report]);
    expect(invalid).toEqual([]);
  });

  it('refuses a message a host sends for another host, and one the codec refuses', async () => {
    const channels = localControlChannels('acme');
    await expect(channels.host('h1').send(join('h2'))).rejects.toMatchObject({ code: 'INTERNAL' });
    const invalid: CertfleetError[] = [];
    channels.coordinator.listen({
      onHostMessage: () => expect.fail('delivered'),
      onInvalid: (e) => invalid.push(e),
    });
    // a join the strict decoder refuses (a negative device count) reaches the coordinator as CLOCK_PROTOCOL
    await channels.host('h1').send({ ...join('h1'), devices: -1 });
    await new Promise((r) => setImmediate(r));
    expect(invalid.map((e) => e.code)).toEqual(['CLOCK_PROTOCOL']);
  });

  it('fail() hands an error to the coordinator as the channel\u2019s failure', async () => {
    const channels = localControlChannels('acme');
    const invalid: CertfleetError[] = [];
    channels.coordinator.listen({
      onHostMessage: () => expect.fail('delivered'),
      onInvalid: (e) => invalid.push(e),
    });
    channels.fail(new CertfleetErrorClass('TRANSPORT_NOT_AUTHORIZED', 'refused'));
    await new Promise((r) => setImmediate(r));
    expect(invalid.map((e) => e.code)).toEqual(['TRANSPORT_NOT_AUTHORIZED']);
  });
});
