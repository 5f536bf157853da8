/**
 * The settings of an imported-PKCS profile (imported-pkcs.ts) that a run reads but nothing acts on (the
 * contract of unused-settings.ts): only the renewal threshold. Intune does not renew an imported certificate —
 * it was made outside Intune, and the tenant imports a new PFX for the user (docs/formats.md §5.4) — so the
 * threshold Graph carries on the type has no effect (a device's renewal request gets the user's newer import,
 * if any, else an event: simulator/service/mdm/handlers/imported-delivery.ts renewImported).
 */
import type { ImportedPkcsProfile } from './imported-pkcs.ts';
import { PKCS_LIMITS } from './settings.ts';
import type { UnusedSetting } from './unused-settings.ts';

/** The set (non-default) settings of `profile` that have no effect. */
export function unusedImportedSettingsOf(profile: ImportedPkcsProfile): UnusedSetting[] {
  if (profile.renewalThresholdPercentage === PKCS_LIMITS.renewalThresholdPercentage.default) return [];
  return [
    {
      code: 'PROFILE_SETTING_UNUSED',
      path: 'renewalThresholdPercentage',
      advice:
        'an imported certificate is not renewed by the service: it was made outside Intune; import the user’s new PFX (certfleet pfx import) before the old one expires — a device that asks to renew then gets the newer import, otherwise an event saying so (the device still asks at its own default threshold)',
    },
  ];
}
