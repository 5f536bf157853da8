/**
 * Where the deliveries store keeps the identity last issued for each delivery (its PKCS#12 file and
 * password): read again only when the device re-enrols and the payload is compiled anew
 * (handlers/delivery.ts `recompileAndSend`), or when the service saves its state. A PFX is ~3.8 KB per
 * PKCS delivery, held for the whole run: 38 MB at 10,000 devices (issue 11 point 3). The deliveries
 * store asks this shelf for it instead of holding it (stores/deliveries.ts); {@link IssuedInMemory} keeps
 * it in memory (the default), `issued-identities-db.ts` on disk.
 */
import type { IssuedIdentity } from '../../../../profiles/compile/index.ts';

/** Keeps one issued identity per delivery key (device id and assignment name). */
export interface IssuedIdentities {
  /** Keeps `identity` for `key`, replacing the one kept before. */
  keep(key: string, identity: IssuedIdentity): void;
  /** The identity kept for `key` (the same bytes and password), or undefined. */
  get(key: string): IssuedIdentity | undefined;
  /** Forgets the identity of `key`. */
  drop(key: string): void;
  /** Releases what the shelf holds open (a file); the shelf is not used afterwards. */
  close(): void;
}

/** The shelf in memory: the identities as given. */
export class IssuedInMemory implements IssuedIdentities {
  readonly #kept = new Map<string, IssuedIdentity>();

  /** @inheritdoc */
  keep(key: string, identity: IssuedIdentity): void {
    this.#kept.set(key, identity);
  }

  /** @inheritdoc */
  get(key: string): IssuedIdentity | undefined {
    return this.#kept.get(key);
  }

  /** @inheritdoc */
  drop(key: string): void {
    this.#kept.delete(key);
  }

  /** @inheritdoc */
  close(): void {
    this.#kept.clear();
  }
}
