/**
 * The certification authorities a certificate connector can reach, by the names an Intune PKCS profile uses
 * for them: `certificationAuthority` (the CA host's FQDN, or the config string `Host\CA-Name`) and
 * `certificationAuthorityName` (the CA's common name) — docs/formats.md §4.3. A profile is served by the CA
 * it names; a name that matches no CA is what a real connector meets as "the RPC server is unavailable",
 * 0x800706BA (docs/formats.md §5.2 "Other connector-side PKCS failures"; docs/errors.md §4.1, C1).
 */
import type { CertfleetError } from '../../../pki/errors.ts';
import { denial } from './denials.ts';
import type { EnterpriseCa } from './enterprise-ca.ts';

/** One reachable CA: its host FQDN and CA name (the two halves of its config string). */
export interface CaEntry {
  host: string;
  name: string;
  ca: EnterpriseCa;
}

/** The halves of a config string `host\CA-Name` (no backslash: a host alone). */
export function splitConfigString(text: string): { host: string; name?: string } {
  const i = text.indexOf('\\');
  return i < 0 ? { host: text.trim() } : { host: text.slice(0, i).trim(), name: text.slice(i + 1).trim() };
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The CAs of a run, found by the names a profile gives. */
export class CaDirectory {
  readonly #entries: readonly CaEntry[];

  constructor(entries: readonly CaEntry[]) {
    this.#entries = entries;
  }

  /** A directory holding one CA, named by its own config string. */
  static of(ca: EnterpriseCa): CaDirectory {
    const { host, name } = splitConfigString(ca.configString);
    return new CaDirectory([{ host, name: name ?? host, ca }]);
  }

  /** Every CA, in declaration order. */
  get entries(): readonly CaEntry[] {
    return this.#entries;
  }

  /**
   * The CA a profile names, or the connector's failure (`CA_UNAVAILABLE`, 0x800706BA) naming what it looked
   * for and which CAs exist. FQDN and CA name compare case-insensitively, as DNS and AD CS names do.
   *
   * @example
   * const r = CaDirectory.of(ca).find('ca01.certfleet.test', 'Certfleet Issuing CA');
   * if (r.ok) r.ca.issue(…);
   */
  find(
    authority: string,
    authorityName: string,
  ): { ok: true; ca: EnterpriseCa } | { ok: false; error: CertfleetError } {
    const { host, name } = splitConfigString(authority);
    const hit = this.#entries.find(
      (e) => same(e.host, host) && (name === undefined || same(e.name, name)) && same(e.name, authorityName),
    );
    if (hit) return { ok: true, ca: hit.ca };
    const known = this.#entries.map((e) => `${e.host}\\${e.name}`).join(', ') || 'none';
    const hostKnown = this.#entries.some((e) => same(e.host, host));
    const why = hostKnown
      ? `the host ${host} runs no CA named '${name ?? authorityName}'`
      : `no CA runs on ${host}`;
    return {
      ok: false,
      error: denial(
        'CA_UNAVAILABLE',
        `The connector cannot reach the CA the profile names (certificationAuthority '${authority}', certificationAuthorityName '${authorityName}'): ${why}; the CAs it can reach are ${known}. Set both to a CA's FQDN and name`,
        `CA ${authority}`,
      ),
    };
  }
}
