/**
 * Windows SCEP: a `scep-certificate` profile → one SyncML message with the ClientCertificateInstall
 * `SCEP/{UniqueID}/Install/…` Adds and the `Enroll` Exec in one Atomic (CCI; profiles/windows/scep-install.ts).
 * Mappings (**[inferred]** unless noted):
 * - `ServerURL` = the enrolment's URL (a run's own SCEP server) or the profile's `scepServerUrls` joined with
 *   `;` (CCI: several URLs separated by semicolons); `Challenge` = the device's one-time challenge;
 * - `SubjectName` = the resolved subject; `SubjectAlternativeNames` = `type+value` pairs joined with `;`
 *   (CCI), the type numbers of the CertEnroll AlternativeNameType enumeration: 2 e-mail (RFC 822), 3 DNS,
 *   7 URI, 11 UPN; the custom Entra attribute SAN is not requested (as for PKCS);
 * - `KeyUsage` = X.509 key-usage bits as a decimal (CCI: must include 0x20 and/or 0x80): digitalSignature
 *   0x80, keyEncipherment 0x20 (both: 160); `KeyLength` = Graph `keySize` in bits;
 * - `KeyProtection` from `keyStorageProvider` with the PFX KeyLocation numbers (compile-windows.ts); with 4
 *   (Windows Hello for Business) also `ContainerName`, which CCI requires then ("otherwise enrollment fails",
 *   docs/formats.md §2.3), named as the PKCS compiler names it (windowsHelloContainerName);
 * - `HashAlgorithm` = `SHA-1` / `SHA-2` joined with `+` (CCI); `EKUMapping` = the EKU OIDs joined with `+` (CCI)
 *   — the PC requests them, but the CA writes its template's EKUs, which scep-unused-settings.ts says;
 * - `CAThumbprint` = SHA-1 of the root CA the device must chain to (CCI: required);
 * - `ValidPeriod` Days/Months/Years and `ValidPeriodUnits` from `validity` (CCI leaf names);
 * - scope `./User` for a user certificate, `./Device` for a device certificate (as PKCS).
 */
import type { HashAlgorithm, KeyUsage, ValidityUnit } from '../model/enums.ts';
import { KEY_SIZE_BITS, type WindowsScepProfile } from '../model/scep-profile.ts';
import type { TemplateTarget } from '../model/profile-names.ts';
import type { DeviceFacts } from '../variables/facts.ts';
import { buildScepInstallAtomic } from '../windows/scep-install.ts';
import { encodeSyncml } from '../windows/syncml-encode.ts';
import type { SyncmlMessage } from '../windows/syncml-model.ts';
import {
  KEY_LOCATION_OF_PROVIDER,
  PFX_SCOPE_OF_CERTIFICATE_TYPE,
  windowsHelloContainerName,
} from './compile-windows.ts';
import type { CompileOptions, CompileResult } from './compile-types.ts';
import { startScepCompile } from './scep-start.ts';

/** CertEnroll AlternativeNameType numbers of the SAN targets a SCEP request carries. */
export const SCEP_SAN_TYPE_NUMBER = {
  'san:email': 2,
  'san:dns': 3,
  'san:uri': 7,
  'san:upn': 11,
} as const satisfies Partial<Record<TemplateTarget, number>>;

/** X.509 key-usage bits (RFC 5280 §4.2.1.3, as the byte CCI's KeyUsage takes). */
export const KEY_USAGE_BITS = { digitalSignature: 0x80, keyEncipherment: 0x20 } as const satisfies Record<
  KeyUsage,
  number
>;

const HASH_NAME = { sha1: 'SHA-1', sha2: 'SHA-2' } as const satisfies Record<HashAlgorithm, string>;
const PERIOD_NAME = { days: 'Days', months: 'Months', years: 'Years' } as const satisfies Record<
  ValidityUnit,
  string
>;

/** Compiles a Windows SCEP profile for the device described by `facts`. */
export function compileWindowsScep(
  profile: WindowsScepProfile,
  facts: DeviceFacts,
  options: CompileOptions,
): CompileResult {
  const start = startScepCompile(profile, facts, options, true);
  if (!start.ok) return start;
  const { enrolment, names } = start;
  const sans = names.sans.flatMap((s) =>
    s.target === 'san:aad-attribute' ? [] : [`${SCEP_SAN_TYPE_NUMBER[s.target]}+${s.value}`],
  );
  const uniqueId = options.ids('windows-unique-id');
  const scope = PFX_SCOPE_OF_CERTIFICATE_TYPE[profile.certificateType];
  const keyProtection = KEY_LOCATION_OF_PROVIDER[profile.keyStorageProvider];
  const atomic = buildScepInstallAtomic(
    {
      scope,
      uniqueId,
      leaves: {
        ServerURL: enrolment.url ?? profile.scepServerUrls.join(';'),
        Challenge: enrolment.challenge,
        SubjectName: names.subject,
        ...(sans.length > 0 && { SubjectAlternativeNames: sans.join(';') }),
        KeyUsage: String(profile.keyUsage.reduce((bits, u) => bits | KEY_USAGE_BITS[u], 0)),
        KeyLength: String(KEY_SIZE_BITS[profile.keySize]),
        KeyProtection: String(keyProtection),
        ...(keyProtection === 4 && { ContainerName: windowsHelloContainerName(uniqueId) }),
        HashAlgorithm: profile.hashAlgorithm.map((h) => HASH_NAME[h]).join('+'),
        ...(profile.extendedKeyUsages.length > 0 && {
          EKUMapping: profile.extendedKeyUsages.map((e) => e.objectIdentifier).join('+'),
        }),
        CAThumbprint: enrolment.caThumbprint,
        ValidPeriod: PERIOD_NAME[profile.validity.unit],
        ValidPeriodUnits: String(profile.validity.value),
      },
    },
    options.firstCmdId ?? 1,
  );
  const o = options.syncml ?? {};
  const native: SyncmlMessage = {
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: o.sessionId ?? '1',
      msgId: o.msgId ?? 1,
      target: o.deviceId ?? facts.attributes.entraDeviceId ?? 'device',
      source: o.serverUrl ?? 'https://mdm.certfleet.test/omadm',
    },
    body: [atomic],
    final: true,
  };
  return {
    ok: true,
    payload: { format: 'syncml', bytes: encodeSyncml(native), fileExtension: '.xml', native },
  };
}
