/**
 * Android Enterprise evaluates the Wi-Fi networks of `openNetworkConfiguration` (docs/formats.md §3.1,
 * docs/errors.md §3.3). `NetworkConfigurations` stays opaque JSON in the policy model; this reads only the keys
 * it needs. Two passes, both reported as `NonComplianceDetail`s of `openNetworkConfiguration` with the network's
 * GUID in `specificNonComplianceContext.oncWifiContext.wifiGuid` (G1):
 *
 * 1. {@link oncNetworkProblems} — what AMAPI-NET says a network may carry, and what the platform refuses:
 *    - a value outside the set AMAPI-NET lists (NetworkConfiguration `Type` other than `WiFi`, a `Security`,
 *      `Outer`, `Inner`, `ClientCertType`, `ProxySettings.Type` or `MACAddressRandomizationMode` value not
 *      listed, a WEP-PSK passphrase that is not 10 or 26 hex digits, no `SSID`/`HexSSID`, a
 *      `DomainSuffixMatch` entry that is not a domain name) → INVALID_VALUE + ONC_WIFI_INVALID_VALUE at the
 *      value's `fieldPath` (documented, G1);
 *    - a key AMAPI-NET marks "not supported" (WiFi `AllowGatewayARPPolling`, `SignalStrength`; EAP
 *      `ClientCertPattern`, `SaveCredentials`, `UseSystemCAs`) → the same, **inferred**: no source says whether
 *      "not supported" is refused or ignored; certfleet refuses, as it refuses the Certificate keys `Remove` and
 *      `TrustBits` (profiles/android/policy-codec.ts);
 *    - a `ServerCARef(s)` / `ClientCertRef` that names no usable certificate of `Certificates` (missing, of the
 *      wrong Type, X509 not a certificate) → the same, **inferred** (the network cannot be built);
 *    - `MACAddressRandomizationMode` below Android 13 (API 33) → API_LEVEL + ONC_WIFI_API_LEVEL (documented);
 *      the network itself is still added (the setting is skipped; inferred), so this one does not block;
 *    - a TLS-based enterprise network (`Outer` EAP-TLS, EAP-TTLS or PEAP) without its root CA (`ServerCARef` /
 *      `ServerCARefs`) or without `DomainSuffixMatch` → INVALID_VALUE + ONC_WIFI_INVALID_ENTERPRISE_CONFIG
 *      (documented: G1, AMAPI-NET "considered insecure and rejected by the platform"); `fieldPath` names the
 *      missing key, as for the key-alias reason.
 *    At most one blocking problem per network (the first met, in that order), plus the API_LEVEL one.
 * 2. {@link missingKeyAliases} — a network whose EAP `ClientCertType` is `KeyPairAlias` names its client
 *    certificate by `ClientCertKeyPairAlias` (AMAPI-NET); when no installed key pair has that alias the device
 *    reports INVALID_VALUE + ONC_WIFI_KEY_PAIR_ALIAS_NOT_CORRESPONDING_TO_EXISTING_KEY (G1, docs/errors.md
 *    §3.2). A network refused by pass 1 is not added, so it is skipped here.
 */
import { parseCertificate } from '../../../pki/certificate.ts';
import type { OncCertificate } from '../../../profiles/android/policy-model.ts';

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

/** Which ANDROID_NATIVE_CASES row a network problem is (native-status.ts). */
export type OncNetworkCase =
  | 'oncWifiInvalidValue'
  | 'oncWifiInvalidValueInferred'
  | 'oncWifiApiLevel'
  | 'oncWifiInvalidEnterpriseConfig';

/** One thing the device refuses (or cannot apply) in one network of `NetworkConfigurations`. */
export interface OncNetworkProblem {
  case: OncNetworkCase;
  /** The network's index in `NetworkConfigurations`. */
  index: number;
  /** The outcome's payload id: the network's `GUID`, or `NetworkConfigurations[i]` when it has none. */
  guid: string;
  /** The network's real ONC `GUID`, for `oncWifiContext.wifiGuid` (absent when it has none). */
  wifiGuid?: string;
  name?: string;
  /** AMAPI `fieldPath`, e.g. `openNetworkConfiguration.NetworkConfigurations[0].WiFi.EAP.DomainSuffixMatch`. */
  fieldPath: string;
  message: string;
  /** False for an API_LEVEL problem: the network is added without that setting. */
  blocking: boolean;
}

/** API 33 (Android 13): `MACAddressRandomizationMode` applies from here on (AMAPI-NET). */
export const API_ONC_MAC_RANDOMIZATION = 33;

/** AMAPI-NET's supported value sets. `EAP-PWD` was added in March 2026 (AMAPI release notes). */
const SECURITY = ['None', 'WEP-PSK', 'WPA-PSK', 'WPA-EAP', 'WEP-8021X', 'WPA3-Enterprise_192'];
const EAP_SECURITY = ['WPA-EAP', 'WEP-8021X', 'WPA3-Enterprise_192'];
const OUTER = ['EAP-AKA', 'EAP-TLS', 'EAP-TTLS', 'EAP-SIM', 'PEAP', 'EAP-PWD'];
/** The TLS-based methods, whose server certificate Android 11+ must be able to validate. */
const TLS_OUTER = ['EAP-TLS', 'EAP-TTLS', 'PEAP'];
const INNER = ['MSCHAPv2', 'PAP'];
/** `Ref` (AMAPI-NET), `KeyPairAlias` (with `ClientCertKeyPairAlias`), `None` (no client certificate; ONC). */
const CLIENT_CERT_TYPE = ['Ref', 'KeyPairAlias', 'None'];
const PROXY_TYPE = ['Manual', 'PAC'];
const MAC_MODE = ['Hardware', 'Automatic'];
const WIFI_NOT_SUPPORTED = ['AllowGatewayARPPolling', 'SignalStrength'];
const EAP_NOT_SUPPORTED = ['ClientCertPattern', 'SaveCredentials', 'UseSystemCAs'];
// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
const DOMAIN =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

const list = (values: readonly string[]): string => values.join(', ');
const shown = (v: unknown): string => JSON.stringify(v) ?? String(v);

interface Found {
  case: OncNetworkCase;
  path: string;
  message: string;
}

/** The first blocking problem of one network (paths relative to `NetworkConfigurations[i]`). */
function blockingProblem(net: Record<string, unknown>, certs: readonly OncCertificate[]): Found | undefined {
  const invalid = (path: string, message: string): Found => ({ case: 'oncWifiInvalidValue', path, message });
  const inferred = (path: string, message: string): Found => ({
    case: 'oncWifiInvalidValueInferred',
    path,
    message,
  });
  const unsupported = (path: string, key: string): Found => ({
    case: 'oncWifiInvalidValueInferred',
    path,
    message: `"${key}" is not supported by the Android Management API; remove it`,
  });
  for (const key of ['GUID', 'Name', 'Type']) {
    if (typeof net[key] !== 'string' || net[key] === '')
      return invalid(key, `"${key}" is required (a non-empty string)`);
  }
  if (net.Type !== 'WiFi') return invalid('Type', `Type ${shown(net.Type)} is not supported; only "WiFi" is`);
  const wifi = record(net.WiFi);
  if (wifi === undefined) return invalid('WiFi', '"WiFi" is required (an object)');
  const proxy = record(net.ProxySettings);
  if (net.ProxySettings !== undefined && !PROXY_TYPE.includes(proxy?.Type as string))
    return invalid(
      'ProxySettings.Type',
      `proxy Type ${shown(proxy?.Type)} is not supported (${list(PROXY_TYPE)})`,
    );
  for (const key of WIFI_NOT_SUPPORTED) if (wifi[key] !== undefined) return unsupported(`WiFi.${key}`, key);
  const ssid = typeof wifi.SSID === 'string' && wifi.SSID !== '' ? wifi.SSID : undefined;
  const hex = typeof wifi.HexSSID === 'string' && wifi.HexSSID !== '' ? wifi.HexSSID : undefined;
  if (ssid === undefined && hex === undefined)
    return invalid('WiFi.SSID', 'one of "SSID" or "HexSSID" is required');
  if (
    ssid !== undefined &&
    hex !== undefined &&
    Buffer.from(ssid, 'utf8').toString('hex') !== hex.toLowerCase()
  )
    return invalid('WiFi.HexSSID', `HexSSID "${hex}" is not the hex of SSID "${ssid}"`);
  const security = wifi.Security;
  if (typeof security !== 'string' || !SECURITY.includes(security))
    return invalid('WiFi.Security', `Security ${shown(security)} is not supported (${list(SECURITY)})`);
  if (security === 'WEP-PSK' && typeof wifi.Passphrase === 'string') {
    const digits = wifi.Passphrase.replace(/^0x/i, '');
    if (!/^(?:[0-9A-Fa-f]{10}|[0-9A-Fa-f]{26})$/.test(digits))
      return invalid('WiFi.Passphrase', 'a WEP-PSK passphrase must be 10 or 26 hex digits (40 or 104 bits)');
  }
  const mac = wifi.MACAddressRandomizationMode;
  if (mac !== undefined && !MAC_MODE.includes(mac as string))
    return invalid('WiFi.MACAddressRandomizationMode', `${shown(mac)} is not supported (${list(MAC_MODE)})`);
  if (!EAP_SECURITY.includes(security)) return undefined;
  const eap = record(wifi.EAP);
  if (eap === undefined) return invalid('WiFi.EAP', `Security ${security} needs an "EAP" object`);
  for (const key of EAP_NOT_SUPPORTED) if (eap[key] !== undefined) return unsupported(`WiFi.EAP.${key}`, key);
  const outer = eap.Outer;
  if (typeof outer !== 'string' || !OUTER.includes(outer))
    return invalid('WiFi.EAP.Outer', `Outer ${shown(outer)} is not supported (${list(OUTER)})`);
  if (eap.Inner !== undefined && !INNER.includes(eap.Inner as string))
    return invalid('WiFi.EAP.Inner', `Inner ${shown(eap.Inner)} is not supported (${list(INNER)})`);
  const certType = eap.ClientCertType;
  if (certType !== undefined && !CLIENT_CERT_TYPE.includes(certType as string)) {
    return invalid(
      'WiFi.EAP.ClientCertType',
      `ClientCertType ${shown(certType)} is not supported (${list(CLIENT_CERT_TYPE)})`,
    );
  }
  if (certType === 'Ref') {
    const ref = eap.ClientCertRef;
    const cert = certs.find((c) => c.GUID === ref);
    if (cert?.Type !== 'Client') {
      return inferred(
        'WiFi.EAP.ClientCertRef',
        `ClientCertRef ${shown(ref)} names no Client certificate of openNetworkConfiguration.Certificates`,
      );
    }
  }
  const refs: [path: string, ref: unknown][] = [];
  if (eap.ServerCARef !== undefined) refs.push(['WiFi.EAP.ServerCARef', eap.ServerCARef]);
  if (eap.ServerCARefs !== undefined) {
    if (!Array.isArray(eap.ServerCARefs))
      return invalid('WiFi.EAP.ServerCARefs', '"ServerCARefs" must be an array of certificate GUIDs');
    eap.ServerCARefs.forEach((r, j) => refs.push([`WiFi.EAP.ServerCARefs[${j}]`, r]));
  }
  for (const [path, ref] of refs) {
    const cert = certs.find((c) => c.GUID === ref);
    if (cert === undefined || cert.Type === 'Client') {
      return inferred(
        path,
        `${shown(ref)} names no Authority or Server certificate of openNetworkConfiguration.Certificates`,
      );
    }
    try {
      parseCertificate(cert.X509);
    } catch {
      return inferred(path, `certificate "${cert.GUID}" it names does not parse as an X.509 certificate`);
    }
  }
  const dsm = eap.DomainSuffixMatch;
  if (dsm !== undefined) {
    if (!Array.isArray(dsm))
      return invalid('WiFi.EAP.DomainSuffixMatch', '"DomainSuffixMatch" must be an array of domain names');
    const bad = dsm.findIndex((d) => typeof d !== 'string' || !DOMAIN.test(d));
    if (bad >= 0)
      return invalid(
        `WiFi.EAP.DomainSuffixMatch[${bad}]`,
        `${shown(dsm[bad])} is not a domain name (e.g. "example.com")`,
      );
  }
  if (TLS_OUTER.includes(outer)) {
    const enterprise = (path: string, what: string): Found => ({
      case: 'oncWifiInvalidEnterpriseConfig',
      path,
      message: `the ${outer} network has no ${what}; Android refuses an enterprise configuration without its root CA and domain name as insecure`,
    });
    if (refs.length === 0) return enterprise('WiFi.EAP.ServerCARefs', 'root CA (ServerCARefs)');
    if (!Array.isArray(dsm) || dsm.length === 0)
      return enterprise('WiFi.EAP.DomainSuffixMatch', 'domain name (DomainSuffixMatch)');
  }
  return undefined;
}

/**
 * The problems of every network of `networks` on a device of `apiLevel`, in network order (pass 1 above).
 * `certificates` are the policy's decoded ONC `Certificates`.
 */
export function oncNetworkProblems(
  networks: readonly unknown[] | undefined,
  certificates: readonly OncCertificate[],
  apiLevel: number,
): OncNetworkProblem[] {
  const out: OncNetworkProblem[] = [];
  (networks ?? []).forEach((n, i) => {
    const net = record(n);
    const base = `openNetworkConfiguration.NetworkConfigurations[${i}]`;
    const wifiGuid = typeof net?.GUID === 'string' && net.GUID !== '' ? net.GUID : undefined;
    const name = typeof net?.Name === 'string' ? net.Name : undefined;
    const push = (f: Found, blocking: boolean): void => {
      out.push({
        case: f.case,
        index: i,
        guid: wifiGuid ?? `NetworkConfigurations[${i}]`,
        ...(wifiGuid !== undefined && { wifiGuid }),
        ...(name !== undefined && { name }),
        fieldPath: f.path === '' ? base : `${base}.${f.path}`,
        message: `Wi-Fi network "${name ?? wifiGuid ?? `NetworkConfigurations[${i}]`}": ${f.message}.`,
        blocking,
      });
    };
    if (net === undefined) {
      push(
        { case: 'oncWifiInvalidValue', path: '', message: 'a network configuration must be an object' },
        true,
      );
      return;
    }
    const mac = record(net.WiFi)?.MACAddressRandomizationMode;
    if (mac !== undefined && MAC_MODE.includes(mac as string) && apiLevel < API_ONC_MAC_RANDOMIZATION) {
      push(
        {
          case: 'oncWifiApiLevel',
          path: 'WiFi.MACAddressRandomizationMode',
          message: `MACAddressRandomizationMode needs Android 13 (API ${API_ONC_MAC_RANDOMIZATION}); this device runs API ${apiLevel}, so the network is added without it`,
        },
        false,
      );
    }
    const found = blockingProblem(net, certificates);
    if (found !== undefined) push(found, true);
  });
  return out;
}

/**
 * The networks of `networks` whose `ClientCertKeyPairAlias` is not among `aliases` (pass 2 above); the
 * networks whose index is in `skip` (refused by pass 1) are not looked at.
 */
export function missingKeyAliases(
  networks: readonly unknown[] | undefined,
  aliases: ReadonlySet<string>,
  skip: ReadonlySet<number> = new Set(),
): MissingKeyAlias[] {
  const out: MissingKeyAlias[] = [];
  (networks ?? []).forEach((n, i) => {
    if (skip.has(i)) return;
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
