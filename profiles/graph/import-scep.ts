/**
 * The SCEP-only part of the Graph import of a `…ScepCertificateProfile` (odata-types.ts; GRAPH resource pages
 * of each type): `scepServerUrls` (a String collection, checked by the model), `keyUsage` and `hashAlgorithm`
 * (the flag enums `keyUsages` and `hashAlgorithms`: member names separated by commas, or their sum as a
 * number), `keySize` (enum `keySize`, by name or number; size1024 is refused: the simulated devices make RSA
 * keys of 2048 bits or more, scep-profile.ts unsimulatedKeySizeRule). The subject, SAN, validity, store, EKU,
 * access and root-certificate properties are read as for PKCS (import-graph.ts). Android device administrator
 * SCEP (`androidScepCertificateProfile`) is refused as the model refuses it.
 */
import { HASH_ALGORITHMS, KEY_SIZE, KEY_USAGES } from '../model/enums.ts';
import { profileInvalidError } from '../model/problem.ts';
import { unsimulatedKeySizeRule } from '../model/scep-profile.ts';
import type { ProfileProblem } from '../model/problem.ts';
import { validateProfile } from '../model/validate-profile.ts';
import { decodeEnum, decodeFlags } from './graph-enums.ts';
import { GRAPH_TYPE_PREFIX, UNMODELLED_SCEP_TYPE } from './odata-types.ts';
import type { CertfleetError } from '../../pki/errors.ts';

type Rec = Record<string, unknown>;

/** Reads the SCEP-only settings of `json` into `model` (the properties `own` has), collecting problems. */
export function readScepSettings(
  json: Rec,
  own: ReadonlySet<string>,
  problems: ProfileProblem[],
  model: Rec,
): void {
  const present = (key: string): boolean => own.has(key) && json[key] !== undefined && json[key] !== null;
  if (present('scepServerUrls')) model['scepServerUrls'] = json['scepServerUrls'];
  const flags = <T extends Record<string, number>>(key: string, table: T, enumName: string): void => {
    if (!present(key)) return;
    const r = decodeFlags(table, json[key], key, enumName);
    if (r.ok) model[key] = r.names;
    else problems.push(r.problem);
  };
  flags('keyUsage', KEY_USAGES, 'keyUsages');
  flags('hashAlgorithm', HASH_ALGORITHMS, 'hashAlgorithms');
  if (present('keySize')) {
    const r = decodeEnum(KEY_SIZE, json['keySize'], 'keySize', 'keySize');
    // size1024 is valid Graph, but the simulated devices make no 1024-bit key: refused here as a scenario's
    // inline keySize 1024 is, with the simulator's limit as the reason, not KEY_UNSUPPORTED on every device
    const unsimulated = r.ok ? unsimulatedKeySizeRule(r.name, (s) => s) : undefined;
    if (!r.ok) problems.push(r.problem);
    else if (unsimulated !== undefined)
      problems.push({ path: 'keySize', rule: unsimulated, code: 'PROFILE_INVALID' });
    else model['keySize'] = r.name;
  }
}

/**
 * The error for an `androidScepCertificateProfile`: PROFILE_INVALID with the model's own refusal of the
 * family (validate-scep.ts), at the Graph path `@odata.type`.
 */
export function unmodelledScepError(): CertfleetError {
  const r = validateProfile({ kind: 'scep-certificate', family: 'android-device-admin', displayName: 'x' });
  const rule = r.ok
    ? 'is not modelled'
    : (r.problems.find((p) => p.path === 'family')?.rule ?? 'is not modelled');
  return profileInvalidError(`The Graph profile ${GRAPH_TYPE_PREFIX}${UNMODELLED_SCEP_TYPE}`, [
    { path: '@odata.type', rule, code: 'PROFILE_INVALID' },
  ]);
}
