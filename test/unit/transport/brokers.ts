/**
 * The brokers the transport tests run against (`describe.each`): the embedded aedes broker, the same in a
 * child process (`run --broker child`: its accounts mirrored over IPC, simulator/broker/child-broker.ts), and Mosquitto
 * when its binary is installed (CI installs it from Debian; the row is skipped with a message otherwise).
 */
import type { BrokerHandle } from '../../../simulator/broker/broker-handle.ts';
import type { BrokerAccountInit, CredentialTable } from '../../../simulator/broker/credential-table.ts';
import { startChildBroker } from '../../../simulator/broker/child-broker.ts';
import { startEmbeddedBroker } from '../../../simulator/broker/embedded-broker.ts';
import { findMosquitto, startMosquitto } from '../../../simulator/broker/mosquitto.ts';

export const TENANT = 'acme';

/** A started broker with its accounts table. */
export type TestBroker = BrokerHandle & { credentials: CredentialTable };

/** One row of the broker table. */
export interface BrokerRow {
  name: 'embedded' | 'child' | 'mosquitto';
  /** Why the row is skipped, if it is. */
  skip: string | undefined;
  start(accounts: BrokerAccountInit[]): Promise<TestBroker>;
  /** Whether the broker supports MQTT 5. */
  mqtt5: boolean;
  /** Whether a subscription outside the ACL is refused at SUBACK (else granted but never delivered). */
  subackRefusesForeignInbox: boolean;
}

const mosquitto = findMosquitto();

export const BROKERS: BrokerRow[] = [
  {
    name: 'embedded',
    skip: undefined,
    start: (accounts) => startEmbeddedBroker({ tenant: TENANT, credentials: accounts }),
    mqtt5: false,
    subackRefusesForeignInbox: true,
  },
  {
    name: 'child',
    skip: undefined,
    start: (accounts) => startChildBroker({ tenant: TENANT, credentials: accounts }),
    mqtt5: false,
    subackRefusesForeignInbox: true,
  },
  {
    name: 'mosquitto',
    skip: mosquitto ? undefined : 'the mosquitto binary is not installed (apt-get install mosquitto)',
    start: (accounts) => startMosquitto({ tenant: TENANT, credentials: accounts }),
    mqtt5: true,
    // Mosquitto 2.0's acl_file grants a literal filter it does not allow and filters at delivery instead.
    subackRefusesForeignInbox: false,
  },
];
