/**
 * The public API of pki/: keys, thumbprints, distinguished names, X.509 certificates, CSRs, CRLs and chains.
 * pki/ knows nothing of devices, profiles or the simulator (docs/architecture.md "Layers").
 */
export { CertfleetError, ERROR_CODES, isCertfleetError, type ErrorCode } from './errors.ts';
export {
  assertKeySpec,
  exportPrivateKeyDer,
  exportPrivateKeyPem,
  exportPublicKeyDer,
  exportPublicKeyPem,
  generateKeyPair,
  importPrivateKey,
  importPrivateKey as importPrivateKeyPem,
  importPublicKey,
  keySpecLabel,
  keySpecOf,
  publicKeyOf,
  type KeyPair,
  type KeySpec,
} from './keys.ts';
export { sha1Thumbprint, sha256Thumbprint } from './thumbprint.ts';
export {
  decodeSidExtension,
  encodeSidExtension,
  isSidString,
  OID_NTDS_CA_SECURITY_EXT,
  OID_NTDS_OBJECTSID,
} from './sid-extension.ts';
export {
  dnFromPairs,
  dnGet,
  dnValues,
  escapeDnValue,
  formatDn,
  formatDnAttribute,
  parseDn,
  toDn,
  type Dn,
  type DnAttribute,
  type DnStringType,
  type DnValueForm,
  type Rdn,
} from './dn.ts';
export {
  DN_ATTRIBUTE_TYPES,
  attributeName,
  attributeTypeByName,
  attributeTypeByOid,
} from './dn-attributes.ts';
export { decodeDn, encodeDn } from './dn-der.ts';
export { CRYPT_E_INVALID_X500_STRING, parseDnAsCertStrToName } from './dn-certstrtoname.ts';
export { EKU_OIDS, EXT, OID_UPN, ekuName, ekuOid, type EkuName } from './oids.ts';
export {
  KEY_USAGE_BITS,
  keyIdentifier,
  type ExtensionsSpec,
  type KeyUsageName,
  type ParsedExtensions,
  type RawExtension,
  type SanEntry,
  type TemplateExtension,
} from './extensions.ts';
export { derToPem, pemToDer } from './pem.ts';
export { type SignatureHash } from './signature.ts';
export {
  Certificate,
  createCertificate,
  startCertificate,
  normaliseSerial,
  parseCertificate,
  parseCertificateBundle,
  toPemBundle,
  type CertificateIssuer,
  type CreateCertificateOptions,
} from './certificate.ts';
export { KeptCertificate } from './kept-certificate.ts';
export {
  createCsr,
  createCsrAsync,
  parseCsr,
  parseCsrAsync,
  type CreateCsrOptions,
  type Csr,
} from './csr.ts';
export {
  CRL_REASONS,
  createCrl,
  parseCrl,
  type CreateCrlOptions,
  type Crl,
  type CrlEntry,
  type CrlReason,
} from './crl.ts';
export {
  buildChain,
  verifyChain,
  type ChainProblem,
  type ChainProblemCode,
  type ChainResult,
  type VerifyChainOptions,
} from './chain.ts';
// PKCS#12: the PKCS#12 helper adds its export line here (from './pkcs12.ts').
