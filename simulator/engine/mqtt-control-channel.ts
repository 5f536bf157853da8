/**
 * The fleet engine's control channel over the broker (control-channel.ts): the coordinator publishes on
 * `certfleet/{tenant}/clock/ctl` and subscribes to `clock/host/+/+`; a host publishes its join and reports
 * under its own `clock/host/{hostId}/` and subscribes to `clock/ctl` (protocol/wire/topics.ts; the broker's
 * ACL gives a `host` identity exactly that, protocol/wire/topic-acl.ts). QoS 1.
 *
 * Give each end its own transport, connected for this purpose only:
 * - with a clean session (`clean: true`): a control message is about the run as it is now; a host that
 *   comes back must not be handed a queue of stale probes (it rejoins and is told the current instant);
 * - without the in-flight counter and without a device ledger: control messages are not part of the
 *   simulation, and counting them would keep the run from ever settling.
 *
 * A message that does not decode, or whose `host` is not the host of the topic it came on (a host may
 * only speak for itself), goes to the receiver's `onInvalid` as CLOCK_PROTOCOL.
 */
import { CertfleetError, isCertfleetError } from '../../pki/errors.ts';
import type { Transport, TransportMessage } from '../../protocol/transport/transport.ts';
import {
  decodeCtlMessage,
  decodeHostMessage,
  encodeClockMessage,
  type CtlMessage,
  type HostReportMessage,
  type JoinMessage,
} from '../../protocol/wire/clock-messages.ts';
import {
  clockCtlTopic,
  clockHostsFilter,
  clockJoinTopic,
  clockReportTopic,
  parseClockTopic,
} from '../../protocol/wire/topics.ts';
import type {
  ControlChannel,
  CoordinatorReceiver,
  HostControlChannel,
  HostReceiver,
} from './control-channel.ts';

/** Delivers to a receiver once one is set; keeps what came before. */
class Inbox<R> {
  #receiver: R | undefined;
  #early: Array<(r: R) => void> = [];

  deliver(f: (r: R) => void): void {
    if (this.#receiver) f(this.#receiver);
    else this.#early.push(f);
  }

  listen(receiver: R): void {
    if (this.#receiver) throw new CertfleetError('INTERNAL', 'A control channel has one receiver.');
    this.#receiver = receiver;
    const early = this.#early;
    this.#early = [];
    for (const f of early) f(receiver);
  }
}

function asProtocolError(err: unknown, topic: string): CertfleetError {
  return isCertfleetError(err)
    ? err
    : new CertfleetError('CLOCK_PROTOCOL', `A clock message on ${topic} could not be read: ${String(err)}.`, {
        cause: err,
      });
}

/**
 * The coordinator's end over `transport` (connected as the service, clean session, no counters):
 * subscribes to every host's join and reports before it returns.
 */
export async function mqttCoordinatorChannel(transport: Transport, tenant: string): Promise<ControlChannel> {
  const inbox = new Inbox<CoordinatorReceiver>();
  const onMessage = (m: TransportMessage): void => {
    try {
      const where = parseClockTopic(tenant, m.topic);
      if (where?.kind !== 'join' && where?.kind !== 'report') {
        throw new CertfleetError(
          'CLOCK_PROTOCOL',
          `A message came on ${m.topic}, which is not a host's clock topic.`,
        );
      }
      const decoded = decodeHostMessage(m.topic, m.payload);
      const expected = where.kind === 'join' ? 'join' : 'report or alive';
      if ((decoded.type === 'join') !== (where.kind === 'join')) {
        throw new CertfleetError(
          'CLOCK_PROTOCOL',
          `A ${decoded.type} message came on ${m.topic}, where only a ${expected} belongs.`,
          { details: { topic: m.topic } },
        );
      }
      if (decoded.host !== where.hostId) {
        throw new CertfleetError(
          'CLOCK_PROTOCOL',
          `A message on ${m.topic} speaks for host '${decoded.host}': a host may only publish for itself.`,
          { details: { topic: m.topic, host: decoded.host } },
        );
      }
      inbox.deliver((r) => r.onHostMessage(decoded));
    } catch (err) {
      const e = asProtocolError(err, m.topic);
      inbox.deliver((r) => r.onInvalid(e));
    }
  };
  await transport.subscribe(clockHostsFilter(tenant), onMessage);
  return {
    publish: (message: CtlMessage) => transport.publish(clockCtlTopic(tenant), encodeClockMessage(message)),
    listen: (receiver) => inbox.listen(receiver),
  };
}

/**
 * Host `hostId`'s end over `transport` (connected as that host, clean session, no counters): subscribes
 * to the coordinator's control topic before it returns.
 */
export async function mqttHostChannel(
  transport: Transport,
  tenant: string,
  hostId: string,
): Promise<HostControlChannel> {
  const inbox = new Inbox<HostReceiver>();
  const joinTopic = clockJoinTopic(tenant, hostId);
  const reportTopic = clockReportTopic(tenant, hostId);
  await transport.subscribe(clockCtlTopic(tenant), (m) => {
    try {
      const decoded = decodeCtlMessage(m.topic, m.payload);
      inbox.deliver((r) => r.onCtl(decoded));
    } catch (err) {
      const e = asProtocolError(err, m.topic);
      inbox.deliver((r) => r.onInvalid(e));
    }
  });
  return {
    send: (message: JoinMessage | HostReportMessage) => {
      if (message.host !== hostId) {
        return Promise.reject(
          new CertfleetError(
            'INTERNAL',
            `Host '${hostId}' cannot send a message for host '${message.host}'.`,
          ),
        );
      }
      return transport.publish(
        message.type === 'join' ? joinTopic : reportTopic,
        encodeClockMessage(message),
      );
    },
    listen: (receiver) => inbox.listen(receiver),
  };
}
