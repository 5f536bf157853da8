/**
 * The topic ACL of topics.ts as one pure function, shared by the embedded broker's authorize hooks, the
 * Mosquitto ACL file the project writes (simulator/broker/mosquitto.ts renders the same rules), and the
 * in-flight counter (so that it does not wait for a message the broker drops):
 *
 * | identity  | publish                                  | subscribe                               |
 * |-----------|------------------------------------------|-----------------------------------------|
 * | device    | `certfleet/{tenant}/device/{id}/out/...` | `certfleet/{tenant}/device/{id}/in/...` |
 * | service   | `certfleet/{tenant}/...`                 | `certfleet/{tenant}/...`                |
 * | connector | `certfleet/{tenant}/service/...`         | `certfleet/{tenant}/service/...`        |
 * | host      | `certfleet/{tenant}/clock/host/{id}/...` | `certfleet/{tenant}/clock/ctl`          |
 *
 * A `host` is the control client of an agent host of the fleet engine (simulator/engine/): it joins the run
 * and reports on its own `clock/host/{id}/` topics and reads the coordinator's `clock/ctl`; its devices
 * connect as devices. The coordinator's control client is the service (it publishes `clock/ctl`).
 *
 * A device that connects over TLS without its management certificate yet (enrollment, `--tls`) is
 * `enrollOnly`: it may publish only `device/{id}/out/enroll` and subscribe only `device/{id}/in/enrolled`.
 *
 * A filter is allowed only when its first levels spell the allowed prefix literally: `certfleet/t/device/+/in/#`
 * is refused to every device, `#` to everyone.
 */
import { clockCtlTopic, clockHostPrefix, tenantRoot } from './topics.ts';
import { filterWithin } from '../transport/topic-filter.ts';

/** What an identity is for the broker. */
export type BrokerRole = 'device' | 'service' | 'connector' | 'host';

/**
 * Who a connected client is, as the broker knows it: the user name it authenticated with (or the name its
 * TLS client certificate maps to). For a device, `name` is its device id; for a host, its host id.
 */
export interface BrokerIdentity {
  role: BrokerRole;
  /** The MQTT user name; for a device its device id (a topic segment). */
  name: string;
  /** A device authenticated by password on a TLS broker, before it holds a management certificate. */
  enrollOnly?: boolean;
}

/** What a client wants to do with a topic (publish) or a topic filter (subscribe). */
export type AclAction = 'publish' | 'subscribe';

/** The literal topic prefix an identity may use for `action` in `tenant`'s tree. */
export function aclPrefix(tenant: string, identity: BrokerIdentity, action: AclAction): string {
  const root = tenantRoot(tenant);
  switch (identity.role) {
    case 'service':
      return root;
    case 'connector':
      return `${root}/service`;
    case 'device':
      if (identity.enrollOnly) {
        return `${root}/device/${identity.name}/${action === 'publish' ? 'out/enroll' : 'in/enrolled'}`;
      }
      return `${root}/device/${identity.name}/${action === 'publish' ? 'out' : 'in'}`;
    case 'host':
      return action === 'publish' ? clockHostPrefix(tenant, identity.name) : clockCtlTopic(tenant);
  }
}

/** True when `identity` may `action` the topic (publish) or topic filter (subscribe) in `tenant`'s tree. */
export function aclAllows(
  tenant: string,
  identity: BrokerIdentity,
  action: AclAction,
  topicOrFilter: string,
): boolean {
  if (action === 'publish' && /[+#]/.test(topicOrFilter)) return false;
  return filterWithin(topicOrFilter, aclPrefix(tenant, identity, action));
}

/**
 * An `admits` predicate for the in-flight counter (in-flight.ts): whether the broker lets the client
 * `publisherClientId` publish `topic`, given how client ids map to identities (unknown clients: admitted).
 */
export function aclAdmits(
  tenant: string,
  identityOf: (clientId: string) => BrokerIdentity | undefined,
): (publisherClientId: string, topic: string) => boolean {
  return (publisherClientId, topic) => {
    const identity = identityOf(publisherClientId);
    return identity === undefined || aclAllows(tenant, identity, 'publish', topic);
  };
}

/**
 * The `admits` and `delivers` options of the in-flight counter (in-flight.ts) from this ACL: what the
 * broker lets a client publish, and what it delivers to a client. Unknown client ids: allowed.
 */
export function aclInFlightOptions(
  tenant: string,
  identityOf: (clientId: string) => BrokerIdentity | undefined,
): {
  admits: (publisherClientId: string, topic: string) => boolean;
  delivers: (recipientClientId: string, topic: string) => boolean;
} {
  return {
    admits: aclAdmits(tenant, identityOf),
    delivers: (recipientClientId, topic) => {
      const identity = identityOf(recipientClientId);
      return identity === undefined || aclAllows(tenant, identity, 'subscribe', topic);
    },
  };
}
