/**
 * Android Enterprise evaluates the Wi-Fi networks of `openNetworkConfiguration` against the key pairs the
 * device holds (issue 12 point 6): a network whose EAP `ClientCertType` is `KeyPairAlias` names its client
 * certificate by `ClientCertKeyPairAlias` (AMAPI-NET), and when no installed key pair has that alias the
 * device reports the documented non-compliance — `nonComplianceReason` INVALID_VALUE with
 * `specificNonComplianceReason` ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY and the network's
 * GUID in `specificNonComplianceContext.oncWifiContext.wifiGuid` (G1, docs/errors.md §3.2).
 *
 * `NetworkConfigurations` stays opaque JSON in the policy model; this reads only the keys it needs and
 * skips entries that do not use a key-pair alias.
 */

/** One Wi-Fi network that names a key-pair alias no installed key has. */
export interface MissingKeyAlias {
  /** The network's ONC `GUID` (or `NetworkConfigurations[i]` when it has none). */
  guid: string;
  /** Its ONC `Name`, when given. */
  name?: string;
  alias: string;
  /** `openNetworkConfiguration.NetworkConfigurations[i].WiFi.EAP.ClientCertKeyPairAlias`. */
  fieldPath: string;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** The networks of `networks` whose `ClientCertKeyPairAlias` is not among `aliases`. */
export function missingKeyAliases(
  networks: readonly unknown[] | undefined,
  aliases: ReadonlySet<string>,
): MissingKeyAlias[] {
  const out: MissingKeyAlias[] = [];
  (networks ?? []).forEach((n, i) => {
    const net = record(n);
    const eap = record(record(net?.WiFi)?.EAP);
    if (eap?.ClientCertType !== 'KeyPairAlias') return;
    const alias = typeof eap.ClientCertKeyPairAlias === 'string' ? eap.ClientCertKeyPairAlias : '';
    if (aliases.has(alias)) return;
    const guid = typeof net?.GUID === 'string' && net.GUID !== '' ? net.GUID : `NetworkConfigurations[${i}]`;
    out.push({
      guid,
      ...(typeof net?.Name === 'string' && { name: net.Name }),
      alias,
      fieldPath: `openNetworkConfiguration.NetworkConfigurations[${i}].WiFi.EAP.ClientCertKeyPairAlias`,
    });
  });
  return out;
}
