/**
 * The `ca:` section: reuse a CA folder made by `certfleet ca init` (`ca: {dir: ./my-ca}`), or run with a
 * fresh CA whose templates are the defaults (CertfleetUser, CertfleetDevice) with overrides
 * (`ca: {templates: [{name: CertfleetUser, minimumKeySize: 4096, keyUsage: {nonRepudiation: true}}]}`).
 * Template settings are those of simulator/service/ca/template.ts (AD CS template console tabs).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCertificate } from '../../pki/index.ts';
import { CA_FILES, hasCa, readCaFile } from '../service/ca/ca-folder.ts';
import {
  APPLICATION_POLICIES,
  checkTemplate,
  defaultTemplates,
  type ApplicationPolicy,
  type CertificateTemplate,
} from '../service/ca/template.ts';
import { child, type At, type Checker } from './checker.ts';
import { suggestion } from './suggest.ts';
import type { CaSpec } from './types.ts';
import type { MapNode } from './yaml-tree.ts';
import { readTemplateValidity } from './read-validity.ts';

const TEMPLATE_KEYS = [
  'name',
  'base',
  'displayName',
  'subjectType',
  'minimumKeySize',
  'subjectSource',
  'requireEmail',
  'allowPrivateKeyExport',
  'applicationPolicies',
  'keyUsage',
  'validity',
  'permissions',
  'published',
] as const;
const KEY_SIZES = [1024, 2048, 3072, 4096];

/** Reads `ca:` (default: a fresh CA with the default templates). */
export function readCa(c: Checker, at: At | undefined, baseDir: string): CaSpec | undefined {
  if (at === undefined) return { type: 'fresh', templates: defaultTemplates() };
  const map = c.map(at, 'a map with dir or templates');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, ['dir', 'templates', 'policy', 'pendingTimeout', 'authorities']);
  const authorities = (c.list(c.get(map, 'authorities')) ?? []).flatMap((item) => {
    const a = c.map(item, 'a map {host, name, policy}');
    if (a === undefined) return [];
    c.keys(a, ['host', 'name', 'policy'], ['host', 'name']);
    const host = c.string(c.get(a, 'host'));
    const name = c.string(c.get(a, 'name'));
    const pAt = c.get(a, 'policy');
    const p = pAt && c.oneOf(pAt, ['issue', 'deny', 'hold'] as const, 'CA policy');
    return host === undefined || name === undefined
      ? []
      : [{ host, name, ...(p !== undefined && { policy: p }) }];
  });
  const policyAt = c.get(map, 'policy');
  const policy = policyAt && c.oneOf(policyAt, ['issue', 'deny', 'hold'] as const, 'CA policy');
  const timeoutAt = c.get(map, 'pendingTimeout');
  const pendingTimeoutMs = timeoutAt === undefined ? undefined : c.duration(timeoutAt, 60_000);
  const policySpec = {
    ...(authorities.length > 0 && { authorities }),
    ...(policy !== undefined && { policy }),
    ...(pendingTimeoutMs !== undefined && { pendingTimeoutMs }),
  };
  const dirAt = c.get(map, 'dir');
  const templatesAt = c.get(map, 'templates');
  if (dirAt !== undefined && templatesAt !== undefined) {
    c.add(
      templatesAt.node.pos,
      templatesAt.path,
      'cannot be combined with dir: a CA folder keeps its own templates (edit them with certfleet ca commands, or drop dir)',
    );
    return undefined;
  }
  if (dirAt !== undefined) {
    const dir = c.string(dirAt);
    if (dir === undefined) return undefined;
    const full = resolve(baseDir, dir);
    if (!existsSync(full) || !hasCa(full)) {
      return c.add(
        dirAt.node.pos,
        dirAt.path,
        `no CA in ${full}: create one with \`certfleet ca init --dir ${dir}\`, or remove dir to use a fresh CA`,
      );
    }
    let validity: { notBefore: number; notAfter: number };
    try {
      const certs = [CA_FILES.rootPem, CA_FILES.issuingPem].map((f) =>
        parseCertificate(readCaFile(full, f).toString('utf8')),
      );
      validity = {
        notBefore: Math.max(...certs.map((x) => x.notBefore.getTime())),
        notAfter: Math.min(...certs.map((x) => x.notAfter.getTime())),
      };
    } catch (e) {
      return c.add(
        dirAt.node.pos,
        dirAt.path,
        `cannot read the CA certificates in ${full}: ${(e as Error).message}`,
      );
    }
    return { type: 'folder', dir: full, validity, line: dirAt.node.pos.line, ...policySpec };
  }
  const templates = defaultTemplates();
  const unpublished = new Set<string>();
  const items = c.list(templatesAt) ?? [];
  items.forEach((item, i) => {
    const t = readTemplate(c, item, templates, i);
    if (t === undefined) return;
    const at = templates.findIndex((x) => x.name === t.name);
    if (at >= 0) templates[at] = t;
    else templates.push(t);
    // `published: false`: the template exists, but is not in the CA's "Certificate Templates to Issue"
    const publishedAt = item.node.type === 'map' ? c.get(item as At<MapNode>, 'published') : undefined;
    const published = publishedAt === undefined ? true : c.boolean(publishedAt);
    if (published === false) unpublished.add(t.name);
    else unpublished.delete(t.name);
  });
  if (c.problems.length > before) return undefined;
  return {
    type: 'fresh',
    templates,
    ...(unpublished.size > 0 && { unpublished: [...unpublished] }),
    ...policySpec,
  };
}

function readTemplate(
  c: Checker,
  at: At,
  current: CertificateTemplate[],
  index: number,
): CertificateTemplate | undefined {
  const map = c.map(at, 'a map such as {name: CertfleetUser, minimumKeySize: 4096}');
  if (map === undefined) return undefined;
  const before = c.problems.length;
  c.keys(map, TEMPLATE_KEYS, ['name']);
  const name = c.string(c.get(map, 'name'));
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    const n = c.get(map, 'name')!;
    return c.add(n.node.pos, n.path, 'must be 1-64 letters, digits, _ . -');
  }
  const names = current.map((t) => t.name);
  const baseAt = c.get(map, 'base');
  const baseName = baseAt === undefined ? undefined : c.string(baseAt);
  let base = current.find((t) => t.name === (baseName ?? name));
  if (baseAt !== undefined && baseName !== undefined && base === undefined) {
    return c.add(
      baseAt.node.pos,
      baseAt.path,
      `unknown template '${baseName}'${suggestion(baseName, names)}`,
    );
  }
  const subjectTypeAt = c.get(map, 'subjectType');
  const subjectType = subjectTypeAt && c.oneOf(subjectTypeAt, ['user', 'device'] as const, 'subject type');
  if (base === undefined) {
    base = current.find((t) => t.name === (subjectType === 'device' ? 'CertfleetDevice' : 'CertfleetUser'));
  }
  if (base === undefined) return undefined;
  const t: CertificateTemplate = structuredClone(base);
  if (t.name !== name) {
    t.name = name;
    t.displayName = name;
    t.oid = t.oid.replace(/\.\d+$/, `.${100 + index}`);
  }
  const displayName = c.get(map, 'displayName');
  if (displayName !== undefined) t.displayName = c.string(displayName) ?? t.displayName;
  if (subjectType !== undefined) t.subjectType = subjectType;
  const sizeAt = c.get(map, 'minimumKeySize');
  if (sizeAt !== undefined) {
    const size = c.number(sizeAt, 1024, 4096, true);
    if (size !== undefined && !KEY_SIZES.includes(size))
      c.add(sizeAt.node.pos, sizeAt.path, `must be one of ${KEY_SIZES.join(', ')}`);
    else if (size !== undefined) t.minimumKeySize = size;
  }
  const sourceAt = c.get(map, 'subjectSource');
  if (sourceAt !== undefined)
    t.subjectSource =
      c.oneOf(sourceAt, ['request', 'directory'] as const, 'subject source') ?? t.subjectSource;
  const emailAt = c.get(map, 'requireEmail');
  if (emailAt !== undefined) t.requireEmail = c.boolean(emailAt) ?? t.requireEmail;
  const exportAt = c.get(map, 'allowPrivateKeyExport');
  if (exportAt !== undefined) t.allowPrivateKeyExport = c.boolean(exportAt) ?? t.allowPrivateKeyExport;
  const policiesAt = c.get(map, 'applicationPolicies');
  if (policiesAt !== undefined) {
    const known = Object.keys(APPLICATION_POLICIES) as ApplicationPolicy[];
    const list = (c.list(policiesAt, true) ?? []).map((p) => c.oneOf(p, known, 'application policy'));
    if (list.every((p) => p !== undefined)) t.applicationPolicies = list as ApplicationPolicy[];
  }
  const kuAt = c.map(c.get(map, 'keyUsage'), 'a map {digitalSignature, keyEncipherment, nonRepudiation}');
  if (kuAt !== undefined) {
    c.keys(kuAt, ['digitalSignature', 'keyEncipherment', 'nonRepudiation']);
    for (const k of ['digitalSignature', 'keyEncipherment', 'nonRepudiation'] as const) {
      const v = c.get(kuAt, k);
      if (v !== undefined) t.keyUsage[k] = c.boolean(v) ?? t.keyUsage[k];
    }
  }
  const validityAt = c.get(map, 'validity');
  if (validityAt !== undefined) t.validity = readTemplateValidity(c, validityAt) ?? t.validity;
  const permsAt = c.get(map, 'permissions');
  if (permsAt !== undefined) {
    const perms = (c.list(permsAt) ?? []).map((p) => {
      const pm = c.map(p, 'a map {principal, read, enroll}');
      if (pm === undefined) return undefined;
      c.keys(pm, ['principal', 'read', 'enroll'], ['principal']);
      const principal = c.string(c.get(pm, 'principal'));
      const read = c.get(pm, 'read');
      const enroll = c.get(pm, 'enroll');
      return principal === undefined
        ? undefined
        : {
            principal,
            read: read === undefined ? true : (c.boolean(read) ?? true),
            enroll: enroll === undefined ? true : (c.boolean(enroll) ?? true),
          };
    });
    if (perms.every((p) => p !== undefined)) t.permissions = perms as CertificateTemplate['permissions'];
  }
  if (c.problems.length > before) return undefined;
  try {
    return checkTemplate(t);
  } catch (e) {
    return c.add(map.node.pos, child(map.path, 'name'), (e as Error).message);
  }
}
