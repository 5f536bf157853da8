/**
 * What the MDM service's handlers work with: the ports (transport, CA, clock and scheduler, seeded
 * random), the settings, the named stores, and the few effects every handler shares — record an event, set
 * a delivery's outcome, publish, revoke, publish a CRL. Each handler takes the part it needs
 * (`Pick<ServiceContext, …>`), so its signature says which stores and ports it touches.
 *
 * One context per service, built by {@link serviceContext}; the service itself (../mdm-service.ts) only
 * dispatches messages to the handlers and runs the lifecycle (start, stop, idle).
 */
import type { Clock } from '../../../../protocol/runtime/clock.ts';
import type { Random } from '../../../../protocol/runtime/random.ts';
import type { Scheduler } from '../../../../protocol/runtime/scheduler.ts';
import type { Transport } from '../../../../protocol/transport/transport.ts';
import { tenantRoot } from '../../../../protocol/wire/topics.ts';
import type { OutcomeCode } from '../../../../protocol/wire/outcome.ts';
import { isCertfleetError } from '../../../../pki/errors.ts';
import type { DeviceProfileOutcome, RunEvent } from '../../../run-model.ts';
import type { EnterpriseCa, RevocationReason } from '../../ca/enterprise-ca.ts';
import type { Directory } from '../directory.ts';
import type { EnrollmentRestrictions } from '../enrollment-restrictions.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../retry-policy.ts';
import type { MdmServiceOptions } from '../service-types.ts';
import type { AssignmentStore } from '../stores/assignments.ts';
import type { CertificateRequestStore } from '../stores/certificate-requests.ts';
import type { Delivery, DeliveryStore } from '../stores/deliveries.ts';
import type { EnrollmentStore } from '../stores/enrollments.ts';
import type { ReportStore } from '../stores/reports.ts';
import type { RevocationStore } from '../stores/revocations.ts';

/** The ports the service is given (docs/architecture.md house rule 2). */
export interface ServicePorts {
  tenant: string;
  transport: Transport;
  ca: EnterpriseCa;
  clock: Clock & Scheduler;
  random: Random;
}

/** The service's settings, defaults applied. */
export interface ServiceSettings {
  directory: Directory | undefined;
  restrictions: EnrollmentRestrictions;
  retry: RetryPolicy;
  leaseMs: number;
  commitMs: number;
  encryptPassword: MdmServiceOptions['encryptPassword'];
  pkcs12: MdmServiceOptions['pkcs12'];
  /** The run's SCEP server and challenge store (scep-certificate profiles). */
  scep: MdmServiceOptions['scep'];
  /** The caller's callbacks (events, outcomes, CRLs, inventories, deliveries). */
  hooks: Pick<MdmServiceOptions, 'onEvent' | 'onOutcome' | 'onCrl' | 'onInventory' | 'onDelivery'>;
}

/** The named stores: all the service's state. */
export interface ServiceStores {
  enrollments: EnrollmentStore;
  deliveries: DeliveryStore;
  requests: CertificateRequestStore;
  revocations: RevocationStore;
  assignments: AssignmentStore;
  reports: ReportStore;
}

/** Effects shared by the handlers. */
export interface ServiceEffects {
  /** The clock's time, ISO-8601. */
  now(): string;
  /** Records an event (the report store, then `onEvent`). */
  event(type: string, detail: string, device?: string, profile?: string): void;
  /** Sets a delivery's outcome (stamped now) and reports it to `onOutcome`. */
  setOutcome(
    d: Delivery,
    status: DeviceProfileOutcome['status'],
    code: OutcomeCode,
    message: string,
    native?: unknown,
  ): void;
  /** Publishes and counts an outgoing message. */
  publish(topic: string, payload: Buffer): Promise<void>;
  /** `certfleet/{tenant}/device/{id}/in/{rest}`. */
  deviceTopic(deviceId: string, rest: string): string;
  /** Has the CA revoke `serial`; false when it was already revoked or is unknown to the CA. */
  revoke(serial: string, reason: RevocationReason): boolean;
  /** Has the CA publish a CRL and hands it to `onCrl`. */
  publishCrl(): void;
  /** Keeps track of work started by a timer, so that the service's `idle()` waits for it. */
  track(p: Promise<void>): Promise<void>;
  /** True once the service is stopped. */
  stopped(): boolean;
}

/** Everything a handler may use. */
export type ServiceContext = ServicePorts & ServiceSettings & ServiceStores & ServiceEffects;

/** What the lifecycle (the service) lends the context. */
export interface ServiceLifecycle {
  track(p: Promise<void>): Promise<void>;
  stopped(): boolean;
}

/** Builds the context of one service from its options, its stores and its lifecycle. */
export function serviceContext(
  o: MdmServiceOptions,
  stores: ServiceStores,
  lifecycle: ServiceLifecycle,
): ServiceContext {
  const { reports, revocations } = stores;
  const now = (): string => o.clock.now().toISOString();
  const event = (type: string, detail: string, device?: string, profile?: string): void => {
    const e: RunEvent = {
      at: now(),
      ...(device !== undefined && { device }),
      ...(profile !== undefined && { profile }),
      type,
      detail,
    };
    reports.record(e);
    o.onEvent?.(e);
  };
  return {
    tenant: o.tenant,
    transport: o.transport,
    ca: o.ca,
    clock: o.clock,
    random: o.random,
    directory: o.directory,
    restrictions: o.restrictions ?? {},
    retry: { ...DEFAULT_RETRY_POLICY, ...o.retry },
    leaseMs: o.leaseMs ?? 5 * 60_000,
    commitMs: o.commitMs ?? 10 * 60_000,
    encryptPassword: o.encryptPassword,
    pkcs12: o.pkcs12,
    scep: o.scep,
    hooks: o,
    ...stores,
    now,
    event,
    setOutcome(d, status, code, message, native) {
      d.outcome = {
        ...d.outcome,
        status,
        code,
        message,
        ...(native !== undefined ? { native } : {}),
        at: now(),
      };
      if (native === undefined) delete d.outcome.native;
      o.onOutcome?.({ ...d.outcome });
    },
    async publish(topic, payload) {
      reports.counters.messagesOut += 1;
      await o.transport.publish(topic, payload);
    },
    deviceTopic: (deviceId, rest) => `${tenantRoot(o.tenant)}/device/${deviceId}/in/${rest}`,
    revoke(serial, reason) {
      const at = o.clock.now();
      try {
        o.ca.revoke(serial, reason, at);
      } catch (e) {
        if (isCertfleetError(e, 'CA_ALREADY_REVOKED') || isCertfleetError(e, 'CA_SERIAL_NOT_FOUND'))
          return false;
        throw e;
      }
      revocations.revoked(serial, reason, at);
      reports.counters.revocations += 1;
      event('revoked', `certificate ${serial} (${reason})`);
      return true;
    },
    publishCrl() {
      const crl = o.ca.publishCrl(o.clock.now());
      revocations.published(crl, o.ca.lastCrlNumber);
      reports.counters.crlsPublished += 1;
      event('crl-published', `${crl.length} bytes`);
      o.onCrl?.(crl);
    },
    track: (p) => lifecycle.track(p),
    stopped: () => lifecycle.stopped(),
  };
}
