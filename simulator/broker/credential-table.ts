/**
 * The broker's accounts: who may connect (user name → password hash) and as what (a device, the service,
 * a connector, an agent host's control client — see protocol/wire/topic-acl.ts). Given when a broker starts and updatable while it runs
 * (enrollment adds devices, retiring removes them); brokers listen with {@link CredentialTable.onChange}.
 * Passwords are hashed at once (password-hash.ts) and never kept.
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { BrokerIdentity, BrokerRole } from '../../protocol/wire/topic-acl.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';

/** One account: an identity and its password hash (`$7$…`). */
export interface BrokerAccount {
  identity: BrokerIdentity;
  passwordHash: string;
}

/** An account to add: a plain password (hashed here) or a ready hash. */
export type BrokerAccountInit = { role: BrokerRole; name: string } & (
  { password: string; passwordHash?: undefined } | { passwordHash: string; password?: undefined }
);

const DEVICE_NAME = /^[A-Za-z0-9._-]+$/;
// Mosquitto's password file separates name and hash with ':'; ACL files are line based.
const ANY_NAME = /^[^\s:#+/]{1,128}$/;

function checkName(role: BrokerRole, name: string): void {
  // a device id and a host id are topic segments (protocol/wire/topics.ts)
  const segment = role === 'device' || role === 'host';
  const ok = segment ? DEVICE_NAME.test(name) && name.length <= 128 : ANY_NAME.test(name);
  if (!ok) {
    throw new CertfleetError(
      'USAGE',
      `The broker user name '${name}' cannot be used for a ${role}: ` +
        (segment
          ? `a ${role} id is a topic segment (letters, digits, . _ -).`
          : 'use 1-128 characters without spaces, :, #, + or /.'),
    );
  }
}

/** A mutable table of broker accounts. */
export class CredentialTable {
  readonly #accounts = new Map<string, BrokerAccount>();
  readonly #listeners = new Set<(name: string) => void>();

  constructor(accounts: Iterable<BrokerAccountInit> = []) {
    for (const a of accounts) this.#put(a);
  }

  #put(a: BrokerAccountInit): void {
    checkName(a.role, a.name);
    const passwordHash = a.passwordHash ?? hashPassword(a.password ?? '');
    this.#accounts.set(a.name, { identity: { role: a.role, name: a.name }, passwordHash });
  }

  #changed(name: string): void {
    for (const l of this.#listeners) l(name);
  }

  /** Adds or replaces an account (a device enrolled, a password rotated). */
  set(account: BrokerAccountInit): void {
    this.#put(account);
    this.#changed(account.name);
  }

  /** Removes an account; true when it existed. Connected clients stay connected (brokers may kick them). */
  remove(name: string): boolean {
    const had = this.#accounts.delete(name);
    if (had) this.#changed(name);
    return had;
  }

  /** The account of `name`, if any. */
  get(name: string): BrokerAccount | undefined {
    return this.#accounts.get(name);
  }

  /** Every account, in insertion order. */
  accounts(): BrokerAccount[] {
    return [...this.#accounts.values()];
  }

  /** The identity `username` authenticates as with `password`, or undefined (unknown user, bad password). */
  verify(username: string | undefined, password: Buffer | string | undefined): BrokerIdentity | undefined {
    if (username === undefined || password === undefined) return undefined;
    const account = this.#accounts.get(username);
    if (!account) return undefined;
    return verifyPassword(password.toString(), account.passwordHash) ? account.identity : undefined;
  }

  /** Calls `listener` after every change, with the user name that changed; returns a function that stops listening. */
  onChange(listener: (name: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** A table from what a caller gave: a table as is, or a list of accounts. */
export function toCredentialTable(
  c: CredentialTable | Iterable<BrokerAccountInit> | undefined,
): CredentialTable {
  return c instanceof CredentialTable ? c : new CredentialTable(c ?? []);
}
