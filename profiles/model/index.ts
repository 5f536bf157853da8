/** Public API of the profile model: vocabulary, enums, profile types, validation and name templates. */
export * from './platform.ts';
export * from './enums.ts';
export * from './profile.ts';
export * from './problem.ts';
export * from './settings.ts';
export * from './profile-names.ts';
export { validateProfile, isCertificationAuthority, trustedCertificateProblem } from './validate-profile.ts';
export { unusedSettingsOf, type UnusedSetting } from './unused-settings.ts';
