/**
 * `certfleet run --tls`: the embedded broker requires TLS, and each enrolled device connects with its
 * device-management certificate as its TLS client certificate (the broker maps its CN to the device id).
 * Before enrollment a device authenticates by password over TLS and may only enrol (topic-acl.ts
 * `enrollOnly`); the service and connectors authenticate by password over TLS.
 *
 * The broker's server certificate is issued by the run CA from a `CertfleetBroker` template (serverAuth,
 * SAN IP 127.0.0.1 and DNS localhost), so every client trusts the broker through the same CA.
 */
import { exportPrivateKeyPem, parseCertificate, verifyChain, type KeyPair } from '../../pki/index.ts';
import type { ManagementIdentity } from '../../agent/platform-adapter.ts';
import type { EmbeddedBrokerTls } from '../broker/embedded-broker.ts';
import type { MqttTlsOptions } from '../../protocol/transport/mqtt-transport.ts';
import type { EnterpriseCa } from '../service/ca/enterprise-ca.ts';
import { defaultTemplates, type CertificateTemplate } from '../service/ca/template.ts';

const BROKER_TEMPLATE = 'CertfleetBroker';
const RUN_IDENTITY = 'certfleet-run';

function brokerTemplate(): CertificateTemplate {
  const base = defaultTemplates()[1]!;
  return {
    ...base,
    name: BROKER_TEMPLATE,
    displayName: 'Certfleet MQTT Broker',
    oid: `${base.oid}.9`,
    keyAlgorithms: ['RSA', 'ECDSA'],
    applicationPolicies: ['serverAuth'],
    permissions: [{ principal: RUN_IDENTITY, read: true, enroll: true }],
  };
}

/** The TLS material of a run: the broker's server side and what each client trusts. */
export interface RunTls {
  broker: EmbeddedBrokerTls;
  /** For the service, connectors and enrolling devices (server authentication only). */
  client: MqttTlsOptions;
  /** For an enrolled device: its management certificate and key as the TLS client certificate. */
  deviceClient(identity: ManagementIdentity): MqttTlsOptions;
}

/**
 * Issues the broker certificate from `ca` (adding the template if needed) and returns the TLS settings.
 * The broker certificate is dated by the wall clock (`realNow`): TLS clients check the server against it.
 * Client certificates are judged by `verifyClient` at the run's virtual time instead.
 */
export function setUpRunTls(ca: EnterpriseCa, key: KeyPair, realNow: Date, virtualNow: () => Date): RunTls {
  const list = ca.templates();
  if (!list.some((t) => t.template.name === BROKER_TEMPLATE)) {
    ca.configureTemplates({
      templates: [...list.map((t) => t.template), brokerTemplate()],
      published: [...list.filter((t) => t.published).map((t) => t.template.name), BROKER_TEMPLATE],
    });
  }
  const issued = ca.issue({
    template: BROKER_TEMPLATE,
    requester: { identity: RUN_IDENTITY },
    subject: 'CN=certfleet broker',
    san: [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
    ],
    publicKey: key.publicKey,
    validity: { value: 30, unit: 'days' },
    now: realNow,
  });
  const trust = `${ca.root.pem}${ca.issuing.pem}`;
  return {
    broker: {
      ca: trust,
      cert: `${issued.certificate.pem}${ca.issuing.pem}`,
      key: exportPrivateKeyPem(key.privateKey),
      passwordEnrollment: true,
      verifyClient: (der) =>
        verifyChain({
          leaf: parseCertificate(der),
          intermediates: [ca.issuing],
          trustedRoots: [ca.root],
          at: virtualNow(),
        }).ok,
    },
    client: { ca: trust },
    deviceClient: (identity) => ({
      ca: trust,
      cert: `${identity.certificate.pem}${ca.issuing.pem}`,
      key: exportPrivateKeyPem(identity.privateKey),
    }),
  };
}
