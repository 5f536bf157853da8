/**
 * The fleet engine's control channel inside one process (control-channel.ts): `certfleet run` without
 * `--workers` runs the coordinator and one agent host in the same process, and they talk through this
 * instead of the broker. The messages are the clock protocol's own (protocol/wire/clock-messages.ts),
 * encoded and decoded as over MQTT — so a message the strict decoder would refuse is refused here too —
 * and delivered on a later turn of the event loop, in the order they were sent (as one MQTT client's
 * QoS 1 messages are).
 */
import { CertfleetError, isCertfleetError } from '../../pki/errors.ts';
import {
  decodeCtlMessage,
  decodeHostMessage,
  encodeClockMessage,
  type CtlMessage,
  type HostReportMessage,
  type JoinMessage,
} from '../../protocol/wire/clock-messages.ts';
import { clockCtlTopic, clockJoinTopic, clockReportTopic } from '../../protocol/wire/topics.ts';
import type {
  ControlChannel,
  CoordinatorReceiver,
  HostControlChannel,
  HostReceiver,
} from './control-channel.ts';

/** Delivers to a receiver once one is set, in order, each on a later turn of the event loop. */
class LocalInbox<R> {
  #receiver: R | undefined;
  #queue: Array<(r: R) => void> = [];
  #scheduled = false;

  deliver(f: (r: R) => void): void {
    this.#queue.push(f);
    this.#schedule();
  }

  listen(receiver: R): void {
    if (this.#receiver) throw new CertfleetError('INTERNAL', 'A control channel has one receiver.');
    this.#receiver = receiver;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#receiver || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const receiver = this.#receiver;
      if (!receiver) return;
      const batch = this.#queue;
      this.#queue = [];
      for (const f of batch) f(receiver);
      this.#schedule();
    });
  }
}

/** The two ends of an in-process control channel: the coordinator's, and one per host id. */
export interface LocalControlChannels {
  coordinator: ControlChannel;
  host(hostId: string): HostControlChannel;
  /**
   * Hands `error` to the coordinator as the channel's failure (its `onInvalid`): the coordinator ends the
   * run with it. For a host in the same process that failed (a device the broker refuses): no wall-clock
   * liveness limit has to run out first.
   */
  fail(error: CertfleetError): void;
}

function asProtocolError(err: unknown, topic: string): CertfleetError {
  return isCertfleetError(err)
    ? err
    : new CertfleetError('CLOCK_PROTOCOL', `A clock message on ${topic} could not be read: ${String(err)}.`, {
        cause: err,
      });
}

/** An in-process control channel for `tenant` (see the file comment). */
export function localControlChannels(tenant: string): LocalControlChannels {
  const toCoordinator = new LocalInbox<CoordinatorReceiver>();
  const toHosts = new Map<string, LocalInbox<HostReceiver>>();
  const hostInbox = (hostId: string): LocalInbox<HostReceiver> => {
    let inbox = toHosts.get(hostId);
    if (!inbox) {
      inbox = new LocalInbox<HostReceiver>();
      toHosts.set(hostId, inbox);
    }
    return inbox;
  };
  const ctlTopic = clockCtlTopic(tenant);
  return {
    coordinator: {
      publish: (message: CtlMessage) => {
        const payload = encodeClockMessage(message);
        for (const inbox of toHosts.values()) {
          inbox.deliver((r) => {
            try {
              r.onCtl(decodeCtlMessage(ctlTopic, payload));
            } catch (err) {
              r.onInvalid(asProtocolError(err, ctlTopic));
            }
          });
        }
        return Promise.resolve();
      },
      listen: (receiver) => toCoordinator.listen(receiver),
    },
    fail: (error) => toCoordinator.deliver((r) => r.onInvalid(error)),
    host: (hostId) => {
      const inbox = hostInbox(hostId);
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
          const topic =
            message.type === 'join' ? clockJoinTopic(tenant, hostId) : clockReportTopic(tenant, hostId);
          const payload = encodeClockMessage(message);
          toCoordinator.deliver((r) => {
            try {
              r.onHostMessage(decodeHostMessage(topic, payload));
            } catch (err) {
              r.onInvalid(asProtocolError(err, topic));
            }
          });
          return Promise.resolve();
        },
        listen: (receiver) => inbox.listen(receiver),
      };
    },
  };
}
