/**
 * Broker gone mid-run: a publish fails with TRANSPORT_TIMEOUT after `ackTimeoutMs`; the client reconnects
 * by itself when the broker is back on the same port, and publishing works again.
 */
import { describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { startEmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { TENANT } from './brokers.ts';

describe('broker gone mid-run', () => {
  it('times out a publish with a clear message, then reconnects and publishes again', async () => {
    const credentials = [{ role: 'device' as const, name: 'd1', password: 'd' }];
    const first = await startEmbeddedBroker({ tenant: TENANT, credentials });
    const t = await connectMqtt({
      url: first.url,
      clientId: 'd1',
      username: 'd1',
      password: 'd',
      ackTimeoutMs: 300,
      reconnectPeriodMs: 50,
    });
    const topic = `certfleet/${TENANT}/device/d1/out/checkin`;
    await t.publish(topic, Buffer.from('before'));
    await first.close();
    const err = await t.publish(topic, Buffer.from('during')).catch((e: unknown) => e);
    expect(isCertfleetError(err, 'TRANSPORT_TIMEOUT')).toBe(true);
    expect((err as Error).message).toContain(first.url);
    expect((err as Error).message).not.toContain("'d'");

    const second = await startEmbeddedBroker({ tenant: TENANT, credentials, port: first.port });
    try {
      let published = false;
      for (let i = 0; i < 40 && !published; i++) {
        published = await t.publish(topic, Buffer.from('after')).then(
          () => true,
          () => false,
        );
      }
      expect(published).toBe(true);
    } finally {
      await t.close();
      await second.close();
    }
  });
});
