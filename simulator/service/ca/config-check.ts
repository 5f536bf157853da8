/**
 * Checks the shape of a `ca.json` read back from a CA folder before anything uses it, so that a damaged
 * file (a key deleted, a value of the wrong type) is reported as CA_CORRUPT naming the field path —
 * `templates[1].validity` — instead of failing later inside the CA (docs/architecture.md house rule 6: a parse error says where).
 */
import { CertfleetError } from '../../../pki/errors.ts';
import type { CaConfig } from './ca-folder.ts';
import { checkTemplate } from './template.ts';

/** One problem found in a ca.json: the field path and what is wrong with it. */
export interface ConfigProblem {
  path: string;
  problem: string;
}

type Check = (v: unknown, path: string, out: ConfigProblem[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function shown(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string '${v}'` : `${typeof v} ${JSON.stringify(v)}`;
}

const str: Check = (v, path, out) => {
  if (typeof v !== 'string') out.push({ path, problem: `must be a string, not ${shown(v)}` });
};
const bool: Check = (v, path, out) => {
  if (typeof v !== 'boolean') out.push({ path, problem: `must be true or false, not ${shown(v)}` });
};
const int: Check = (v, path, out) => {
  if (!Number.isInteger(v)) out.push({ path, problem: `must be an integer, not ${shown(v)}` });
};
const oneOf =
  (...values: string[]): Check =>
  (v, path, out) => {
    if (typeof v !== 'string' || !values.includes(v))
      out.push({ path, problem: `must be one of ${values.join(', ')}, not ${shown(v)}` });
  };
const arrayOf =
  (item: Check): Check =>
  (v, path, out) => {
    if (!Array.isArray(v)) {
      out.push({ path, problem: `must be an array, not ${shown(v)}` });
      return;
    }
    v.forEach((x, i) => item(x, `${path}[${i}]`, out));
  };
const object =
  (fields: Record<string, Check>, optional: readonly string[] = []): Check =>
  (v, path, out) => {
    if (!isObject(v)) {
      out.push({ path, problem: `must be an object, not ${shown(v)}` });
      return;
    }
    for (const [key, check] of Object.entries(fields)) {
      const p = path === '' ? key : `${path}.${key}`;
      if (!(key in v)) {
        if (!optional.includes(key)) out.push({ path: p, problem: 'is missing' });
      } else check(v[key], p, out);
    }
  };

const templateShape = object(
  {
    name: str,
    displayName: str,
    subjectType: oneOf('user', 'device'),
    oid: str,
    majorVersion: int,
    minorVersion: int,
    minimumKeySize: int,
    keyAlgorithms: arrayOf(oneOf('RSA', 'ECDSA')),
    subjectSource: oneOf('request', 'directory'),
    requireEmail: bool,
    allowPrivateKeyExport: bool,
    applicationPolicies: arrayOf(str),
    keyUsage: object({ digitalSignature: bool, keyEncipherment: bool, nonRepudiation: bool }),
    validity: object({ value: int, unit: oneOf('days', 'weeks', 'months', 'years') }),
    permissions: arrayOf(object({ principal: str, read: bool, enroll: bool })),
  },
  ['keyAlgorithms'],
);

const configShape = object({
  format: oneOf('certfleet-ca/1'),
  kind: oneOf('enterprise', 'standalone'),
  configString: str,
  crlUrl: str,
  templates: arrayOf(templateShape),
  published: arrayOf(str),
  nextCrlNumber: int,
});

/** Every shape problem of a parsed ca.json (empty when it is a well-formed {@link CaConfig}). */
export function caConfigProblems(raw: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  configShape(raw, '', out);
  return out;
}

/**
 * Returns `raw` as a {@link CaConfig} when its shape and its templates are valid, or throws CA_CORRUPT
 * listing every problem with its field path (`file` names the file in the message).
 */
export function checkCaConfig(raw: unknown, file: string): CaConfig {
  const problems = caConfigProblems(raw);
  if (problems.length > 0) {
    throw new CertfleetError(
      'CA_CORRUPT',
      `${file} is damaged: ${problems.map((p) => `${p.path || '(top level)'} ${p.problem}`).join('; ')}. Re-create the CA with --force.`,
      { details: { file, problems } },
    );
  }
  const config = raw as CaConfig;
  config.templates.forEach((t, i) => {
    try {
      checkTemplate(t);
    } catch (e) {
      if (e instanceof CertfleetError)
        throw new CertfleetError('CA_CORRUPT', `${file} templates[${i}]: ${e.message}`, {
          cause: e,
          details: { file, ...e.details, path: `templates[${i}]` },
        });
      throw e;
    }
  });
  return config;
}
