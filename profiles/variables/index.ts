/** Public API of the certificate-variable catalogue and resolver. */
export * from './facts.ts';
export * from './catalogue.ts';
export { lexTemplate } from './template-syntax.ts';
export type { TemplateToken, LexedTemplate } from './template-syntax.ts';
export * from './validate-template.ts';
export * from './resolve-template.ts';
export * from './resolve-profile-names.ts';
