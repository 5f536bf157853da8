/**
 * The attribute types certfleet knows by name in distinguished names: RFC 4514 §3 names, the X.520 /
 * PKCS#9 / RFC 4519 types common in certificates, and the Windows CertStrToName keys (E, S, T, G, I).
 * Each type has one canonical short name (used by formatDn) and the ASN.1 string type encodeDn uses.
 *
 * Sources: RFC 4514 §3 (CN L ST O OU C STREET DC UID), RFC 5280 appendix A (PrintableString for
 * countryName, serialNumber and dnQualifier; IA5String for emailAddress and domainComponent), Microsoft
 * CertStrToName "X500 keys" table (learn.microsoft.com/windows/win32/api/wincrypt/nf-wincrypt-certstrtonamew).
 */

/** The ASN.1 string types a DN value may carry. */
export type DnStringType = 'utf8' | 'printable' | 'ia5' | 'bmp' | 'teletex' | 'universal';

/** One known attribute type. */
export interface DnAttributeType {
  oid: string;
  /** Canonical short name written by formatDn. */
  name: string;
  /** Other accepted names (matched case-insensitively). */
  aliases: readonly string[];
  /** String type used when encoding a value of this type. */
  stringType: DnStringType;
}

/** The table of known attribute types. */
export const DN_ATTRIBUTE_TYPES: readonly DnAttributeType[] = [
  { oid: '2.5.4.3', name: 'CN', aliases: ['commonName'], stringType: 'utf8' },
  { oid: '2.5.4.4', name: 'SN', aliases: ['surname'], stringType: 'utf8' },
  { oid: '2.5.4.5', name: 'SERIALNUMBER', aliases: ['serialNumber'], stringType: 'printable' },
  { oid: '2.5.4.6', name: 'C', aliases: ['countryName'], stringType: 'printable' },
  { oid: '2.5.4.7', name: 'L', aliases: ['localityName'], stringType: 'utf8' },
  { oid: '2.5.4.8', name: 'ST', aliases: ['S', 'stateOrProvinceName'], stringType: 'utf8' },
  { oid: '2.5.4.9', name: 'STREET', aliases: ['streetAddress'], stringType: 'utf8' },
  { oid: '2.5.4.10', name: 'O', aliases: ['organizationName'], stringType: 'utf8' },
  { oid: '2.5.4.11', name: 'OU', aliases: ['organizationalUnitName'], stringType: 'utf8' },
  { oid: '2.5.4.12', name: 'title', aliases: ['T'], stringType: 'utf8' },
  { oid: '2.5.4.13', name: 'description', aliases: [], stringType: 'utf8' },
  { oid: '2.5.4.17', name: 'postalCode', aliases: ['PostalCode'], stringType: 'utf8' },
  { oid: '2.5.4.42', name: 'GN', aliases: ['G', 'givenName'], stringType: 'utf8' },
  { oid: '2.5.4.43', name: 'initials', aliases: ['I'], stringType: 'utf8' },
  { oid: '2.5.4.44', name: 'generationQualifier', aliases: [], stringType: 'utf8' },
  { oid: '2.5.4.46', name: 'dnQualifier', aliases: [], stringType: 'printable' },
  { oid: '2.5.4.65', name: 'pseudonym', aliases: [], stringType: 'utf8' },
  { oid: '0.9.2342.19200300.100.1.25', name: 'DC', aliases: ['domainComponent'], stringType: 'ia5' },
  { oid: '0.9.2342.19200300.100.1.1', name: 'UID', aliases: ['userId'], stringType: 'utf8' },
  { oid: '1.2.840.113549.1.9.1', name: 'E', aliases: ['emailAddress', 'email'], stringType: 'ia5' },
  { oid: '1.2.840.113549.1.9.2', name: 'unstructuredName', aliases: [], stringType: 'ia5' },
];

const BY_NAME = new Map<string, DnAttributeType>();
const BY_OID = new Map<string, DnAttributeType>();
for (const t of DN_ATTRIBUTE_TYPES) {
  BY_OID.set(t.oid, t);
  for (const n of [t.name, ...t.aliases]) BY_NAME.set(n.toLowerCase(), t);
}

/** The attribute type with this short name (case-insensitive), if known. */
export function attributeTypeByName(name: string): DnAttributeType | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The attribute type with this dotted OID, if known. */
export function attributeTypeByOid(oid: string): DnAttributeType | undefined {
  return BY_OID.get(oid);
}

/** The canonical short name of `oid`, or the dotted OID itself when the type is not in the table. */
export function attributeName(oid: string): string {
  return BY_OID.get(oid)?.name ?? oid;
}
