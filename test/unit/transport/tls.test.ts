/**
 * The embedded broker in TLS mode: client certificates from the right CA are mapped to their device id;
 * no certificate, or one from a foreign CA, is refused.
 */
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt } from '../../../protocol/transport/mqtt-transport.ts';
import type { Transport } from '../../../protocol/transport/transport.ts';
import { createCertificate, type Certificate } from '../../../pki/certificate.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { exportPrivateKeyPem } from '../../../pki/keys.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { makeHierarchy } from '../pki/hierarchy.ts';
import { TENANT } from './brokers.ts';

const DAY = 86_400_000;
let serial = 0x4000;

function leaf(
  subject: string,
  key: { publicKey: KeyObject },
  issuer: Certificate,
  issuerKey: KeyObject,
  serverAuth = false,
): Certificate {
  const now = Date.now();
  return createCertificate({
    subject,
    publicKey: key.publicKey,
    issuer,
    signingKey: issuerKey,
    serialNumber: (serial++).toString(16),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    extensions: serverAuth
      ? {
          keyUsage: ['digitalSignature', 'keyEncipherment'],
          extKeyUsage: ['serverAuth'],
          subjectAltName: [
            { type: 'ip', value: '127.0.0.1' },
            { type: 'dns', value: 'localhost' },
          ],
        }
      : { keyUsage: ['digitalSignature', 'keyEncipherment'], extKeyUsage: ['clientAuth'] },
  });
}

describe('embedded broker with TLS client certificates', () => {
  let broker: EmbeddedBroker;
  let caPem: string;
  let foreignCaPem: string;
  const certs: Record<string, { cert: string; key: string }> = {};
  const open: Transport[] = [];

  beforeAll(async () => {
    const h = makeHierarchy();
    caPem = h.root.pem + h.issuing.pem;
    const serverKey = poolKey('rsa2048', 3);
    const server = leaf('CN=127.0.0.1', serverKey, h.issuing, h.issuingKey.privateKey, true);
    const devKey = poolKey('rsa2048', 4);
    certs.good = {
      cert: leaf('CN=dev-tls-1,O=Contoso', devKey, h.issuing, h.issuingKey.privateKey).pem,
      key: exportPrivateKeyPem(devKey.privateKey),
    };
    // a CA nobody trusts, issuing a certificate with the same device name
    const foreignKey = poolKey('rsa2048', 5);
    const foreignCa = createCertificate({
      subject: 'CN=Foreign Root',
      publicKey: foreignKey.publicKey,
      issuer: 'self',
      signingKey: foreignKey.privateKey,
      serialNumber: '0F',
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign'] },
    });
    foreignCaPem = foreignCa.pem;
    certs.foreign = {
      cert: leaf('CN=dev-tls-1', devKey, foreignCa, foreignKey.privateKey).pem,
      key: exportPrivateKeyPem(devKey.privateKey),
    };
    broker = await startEmbeddedBroker({
      tenant: TENANT,
      tls: { ca: caPem, cert: server.pem, key: exportPrivateKeyPem(serverKey.privateKey) },
    });
  });
  afterAll(async () => {
    for (const t of open) await t.close();
    await broker?.close();
  });

  it('maps a certificate of the right CA to its device id, with that device’s ACL', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const t = await connectMqtt({
      url: broker.url,
      clientId: 'dev-tls-1',
      tls: { ca: caPem, ...certs.good! },
    });
    open.push(t);
    expect(broker.identityOf('dev-tls-1')).toEqual({ role: 'device', name: 'dev-tls-1' });
    await t.subscribe(`certfleet/${TENANT}/device/dev-tls-1/in/#`, () => undefined);
    await expect(t.subscribe(`certfleet/${TENANT}/device/other/in/#`, () => undefined)).rejects.toMatchObject(
      {
        code: 'TRANSPORT_SUBSCRIBE_REFUSED',
      },
    );
  });

  it.each([
    { what: 'no client certificate', clientId: 'dev-tls-1', tls: () => ({ ca: caPem }) },
    {
      what: 'a certificate from a foreign CA',
      clientId: 'dev-tls-1',
      tls: () => ({ ca: caPem, ...certs.foreign! }),
    },
    {
      what: 'a client id that is not the certificate’s device',
      clientId: 'dev-tls-2',
      tls: () => ({ ca: caPem, ...certs.good! }),
    },
  ])('refuses $what with TRANSPORT_NOT_AUTHORIZED', async (c) => {
    const err = await connectMqtt({
      url: broker.url,
      clientId: c.clientId,
      tls: c.tls(),
      connectTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(isCertfleetError(err, 'TRANSPORT_NOT_AUTHORIZED')).toBe(true);
    expect(broker.identityOf(c.clientId === 'dev-tls-2' ? 'dev-tls-2' : 'nobody')).toBeUndefined();
  });

  it('fails with TRANSPORT_UNREACHABLE when the client does not trust the broker’s certificate', async () => {
    const err = await connectMqtt({
      url: broker.url,
      clientId: 'dev-tls-1',
      tls: { ca: foreignCaPem, ...certs.good! },
      connectTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/TLS/);
    expect(isCertfleetError(err, 'TRANSPORT_UNREACHABLE')).toBe(true);
  });
});
