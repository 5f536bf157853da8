/**
 * The ports the fleet engine's state machines talk through (docs/architecture.md "The fleet engine: one
 * virtual clock across hosts"): the coordinator publishes control messages and hears the hosts; a host
 * sends its join and reports and hears the coordinator. Over the broker: mqtt-control-channel.ts; the tests
 * use an in-memory bus that delivers in a seeded random order.
 *
 * A channel delivers decoded messages (protocol/wire/clock-messages.ts). A message that does not decode,
 * or that arrives on another host's topic, is handed to `onInvalid` as a CertfleetError CLOCK_PROTOCOL;
 * the state machines end the run with it (a clear error, never a crash).
 */
import type { CertfleetError } from '../../pki/errors.ts';
import type { CtlMessage, HostReportMessage, JoinMessage } from '../../protocol/wire/clock-messages.ts';

/** What the coordinator hears. */
export interface CoordinatorReceiver {
  onHostMessage(message: JoinMessage | HostReportMessage): void;
  onInvalid(error: CertfleetError): void;
}

/** The coordinator's end of the control channel. */
export interface ControlChannel {
  /** Publishes a control message to every host (a message with `host` is acted on by that host only). */
  publish(message: CtlMessage): Promise<void>;
  /**
   * Sets the receiver of the hosts' messages (once). Messages that arrived before are delivered to it at
   * once, in order.
   */
  listen(receiver: CoordinatorReceiver): void;
}

/** What a host hears. */
export interface HostReceiver {
  onCtl(message: CtlMessage): void;
  onInvalid(error: CertfleetError): void;
}

/** A host's end of the control channel. */
export interface HostControlChannel {
  /** Sends a join, a report or an alive to the coordinator. */
  send(message: JoinMessage | HostReportMessage): Promise<void>;
  /** Sets the receiver of the coordinator's messages (once); earlier messages are delivered at once. */
  listen(receiver: HostReceiver): void;
}
