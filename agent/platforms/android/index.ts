/**
 * The Android device adapter (issue 4 "Key stores", "Install and status"; docs/formats.md §3, docs/errors.md §3):
 * `androidAdapter` for the platform table, plus the rule and native-status tables it is built from.
 */
export { androidAdapter, policyRefOf } from './adapter.ts';
export {
  ANDROID_KIND_RULES,
  ANDROID_STORES,
  API_DEVICE_ADMIN_NO_CA_INSTALL,
  API_USER_CA_NOT_TRUSTED_BY_APPS,
  apiLevelOf,
  caInstallAllowed,
  isSamsung,
  type AndroidInstallPath,
  type AndroidKindRules,
  type AndroidStore,
} from './enrollment-rules.ts';
export {
  ANDROID_NATIVE_CASES,
  type AndroidNativeCase,
  type AndroidNativeCaseName,
  type AndroidSetting,
} from './native-status.ts';
