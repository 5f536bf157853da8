/**
 * What the Graph importer says of the properties an `…ImportedPFXCertificateProfile` inherits from the
 * certificate-profile bases but that have no effect on an imported certificate (odata-types.ts
 * IMPORTED_INHERITED, and the Android types' `extendedKeyUsages`): the certificate keeps the subject, SANs,
 * validity and EKUs it was made with, so certfleet reads past them and lists each (a scenario run prints
 * them as warnings, issue 13 point 5). A default value (`none`, `commonName`, an empty list) is not listed.
 */
import { IMPORTED_INHERITED } from './odata-types.ts';

/** One property with no effect (the shape of import-graph.ts GraphUnused). */
interface Unused {
  path: string;
  message: string;
}

function isDefault(key: string, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (key === 'subjectAlternativeNameType') return v === 'none' || v === 0;
  if (key === 'subjectNameFormat') return v === 'commonName' || v === 0;
  return false;
}

/** The inherited properties of `json` (of Graph type `type`) that an imported certificate does not use. */
export function importedUnused(json: Record<string, unknown>, type: string): Unused[] {
  const out: Unused[] = [];
  for (const key of [...IMPORTED_INHERITED, 'extendedKeyUsages']) {
    if (isDefault(key, json[key])) continue;
    out.push({
      path: key,
      message: `is inherited by ${type} from the certificate-profile base, but an imported certificate keeps the subject, SANs, validity and EKUs it was made with; certfleet delivers the user's imported PFX unchanged and ignores it`,
    });
  }
  return out;
}
