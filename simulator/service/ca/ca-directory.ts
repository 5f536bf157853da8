/**
 * The certification authorities a certificate connector can reach, by the names an Intune PKCS profile uses
 * for them: `certificationAuthority` (the CA host's FQDN, or the config string `Host\CA-Name`) and
 * `certificationAuthorityName` (the CA's common name) — docs/formats.md §4.3. A profile is served by the CA
 * it names; a name that matches no CA is what a real connector meets as "the RPC server is unavailable",
 * 0x800706BA (docs/formats.md §5.2 "Other connector-side PKCS failures"; docs/errors.md §4.1, C1).
 *
 * The requests a CA holds for a certificate manager (with the server-side key each was made with) are
 * kept here; with a {@link HeldJournal} (a coordinated `serve`, issue 10 point 3) each change is written
 * there at once — held, decided, released — and a resumed `serve` reads them back
 * ({@link CaDirectory.restoreHeld}), so a request a manager issues after the kill is delivered with the key
 * it was submitted with.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CertfleetError } from '../../../pki/errors.ts';
import type { KeyPair } from '../../../pki/index.ts';
import { denial } from './denials.ts';
import type { EnterpriseCa } from './enterprise-ca.ts';

/**
 * What the CA's policy module does with a request that passes its checks: issue it, deny it, or hold it
 * for a certificate manager ("submission is pending", docs/formats.md §5.2; AD CS "Set the certificate
 * request status to pending").
 */
export type CaPolicy = 'issue' | 'deny' | 'hold';

/** One reachable CA: its host FQDN and CA name (the two halves of its config string). */
export interface CaEntry {
  host: string;
  name: string;
  ca: EnterpriseCa;
  /** Default `issue`. */
  policy?: CaPolicy;
  /** How long a held request waits for a certificate manager before the connector gives up (virtual ms); default 7 days. */
  pendingTimeoutMs?: number;
}

/** A request the CA holds: the connector keeps its key until the CA manager decides (issue 12 point 2). */
export interface HeldRequest {
  state: 'pending' | 'issue' | 'deny';
  /** The server-side key made for it (a held request is retrieved later with the same key). */
  keyPair: KeyPair;
  /** Virtual time it was submitted (epoch ms). */
  since: number;
  /** The CA that holds it. */
  ca: EnterpriseCa;
}

/** A held request as its journal keeps it (its key apart, sealed): the CA by its config string. */
export interface SavedHeldRequest {
  state: HeldRequest['state'];
  since: number;
  /** The config string (`host\CA-Name`) of the CA that holds it. */
  ca: string;
}

/** Where the held requests are written as they change (the coordinated serve: service-state.db, sealed). */
export interface HeldJournal {
  /** Writes held request `key` and its private key (durably, before the call returns). */
  keep(key: string, held: SavedHeldRequest, privateKey: KeyObject): void;
  /** Removes held request `key` (and its key). */
  forget(key: string): void;
  /** Every held request written and not removed (a resume). */
  saved(): Array<{ key: string; held: SavedHeldRequest; privateKey: KeyObject }>;
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
  readonly #held = new Map<string, HeldRequest>();
  readonly #journal: HeldJournal | undefined;

  /** `journal`: where each held request is written as it changes (see the file comment). */
  constructor(entries: readonly CaEntry[], o: { journal?: HeldJournal } = {}) {
    this.#entries = entries;
    this.#journal = o.journal;
  }

  /** A directory holding one CA, named by its own config string. */
  static of(ca: EnterpriseCa): CaDirectory {
    const { host, name } = splitConfigString(ca.configString);
    return new CaDirectory([{ host, name: name ?? host, ca }]);
  }

  /** The entry of a CA (its policy, its pending timeout). */
  entryOf(ca: EnterpriseCa): CaEntry | undefined {
    return this.#entries.find((e) => e.ca === ca);
  }

  /** The request held for `key` (device id / profile), if any. */
  held(key: string): HeldRequest | undefined {
    return this.#held.get(key);
  }

  /** Records a request the CA holds (with a journal: written there first). */
  hold(key: string, request: HeldRequest): void {
    this.#keep(key, request);
    this.#held.set(key, request);
  }

  /** Forgets a held request once its outcome was retrieved. */
  release(key: string): void {
    if (this.#held.has(key)) this.#journal?.forget(key);
    this.#held.delete(key);
  }

  /**
   * Reads the held requests a killed run's journal kept back in (a resumed `serve`), each with the CA of
   * its config string and its key. Returns how many. Without a journal, none.
   * @throws CertfleetError RUN_STATE_MISMATCH when one names a CA this run does not have; INTERNAL when
   *   requests are held already (only an empty directory is restored).
   */
  restoreHeld(): number {
    if (this.#journal === undefined) return 0;
    if (this.#held.size > 0)
      throw new CertfleetError(
        'INTERNAL',
        `The CA directory holds ${this.#held.size} requests: only an empty one is restored.`,
      );
    const saved = this.#journal.saved();
    for (const { key, held, privateKey } of saved) {
      const entry = this.#entries.find((e) => same(e.ca.configString, held.ca));
      if (entry === undefined)
        throw new CertfleetError(
          'RUN_STATE_MISMATCH',
          `The saved state holds a request held by the CA ${held.ca}, which this run does not have (its CAs: ${this.#entries.map((e) => e.ca.configString).join(', ')}): resume with the scenario of that run.`,
        );
      this.#held.set(key, {
        state: held.state,
        since: held.since,
        ca: entry.ca,
        keyPair: { privateKey, publicKey: createPublicKey(privateKey) },
      });
    }
    return saved.length;
  }

  #keep(key: string, h: HeldRequest): void {
    this.#journal?.keep(key, { state: h.state, since: h.since, ca: h.ca.configString }, h.keyPair.privateKey);
  }

  /**
   * A certificate manager issues or denies every request pending now (a scenario action, issue 12 point 2);
   * connectors retrieve the outcome at their next look. Returns how many were decided.
   */
  decidePending(decision: 'issue' | 'deny'): number {
    let n = 0;
    for (const [key, h] of this.#held) {
      if (h.state !== 'pending') continue;
      h.state = decision;
      // the manager's decision on record: a scenario action that ran before a kill does not run again
      this.#keep(key, h);
      n += 1;
    }
    return n;
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
