/**
 * The assignments store of the MDM service: the profile assignments in force (the tenant's configuration,
 * given at start; an administrator may remove one while the service runs). Which assignments apply to a
 * device is assignment.ts's business; this store only holds the list.
 */
import { CertfleetError } from '../../../../pki/errors.ts';
import type { ProfileAssignment } from '../assignment.ts';
import { jsonRecord, readRecord, type SavableStore, type SavedRecord } from './saved-records.ts';

/** The one record of the assignments store: the names still assigned (saved-records.ts). */
const NAMES_KEY = 'names';

/** Reads the assignments in force. */
export interface AssignmentReader {
  /** The assignments in force, in their configured order. */
  list(): readonly ProfileAssignment[];
}

/** Removes assignments. */
export interface AssignmentWriter {
  /** Removes the assignment named `name`; false when there is none. */
  remove(name: string): boolean;
  /**
   * Replaces each assignment named `name` by `change(assignment)` (an administrator edits the profile);
   * returns each replaced assignment → its replacement (empty when none has that name).
   */
  update(
    name: string,
    change: (a: ProfileAssignment) => ProfileAssignment,
  ): Map<ProfileAssignment, ProfileAssignment>;
}

/** The key prefix of a replaced trusted certificate's record ({@link AssignmentStore.save}). */
const CERTIFICATE_KEY = 'certificate/';

/** The assignments store. */
export class AssignmentStore implements AssignmentReader, AssignmentWriter, SavableStore {
  #assignments: ProfileAssignment[];
  /** The assignments as the run configured them (what a saved replacement is compared with). */
  readonly #initial: readonly ProfileAssignment[];

  /** Starts with a copy of `assignments` (already checked with checkAssignments). */
  constructor(assignments: readonly ProfileAssignment[]) {
    this.#assignments = [...assignments];
    this.#initial = [...assignments];
  }

  /** @inheritdoc */
  list(): readonly ProfileAssignment[] {
    return this.#assignments;
  }

  /** @inheritdoc */
  remove(name: string): boolean {
    if (!this.#assignments.some((a) => a.name === name)) return false;
    this.#assignments = this.#assignments.filter((a) => a.name !== name);
    return true;
  }

  /** @inheritdoc */
  update(
    name: string,
    change: (a: ProfileAssignment) => ProfileAssignment,
  ): Map<ProfileAssignment, ProfileAssignment> {
    const replaced = new Map<ProfileAssignment, ProfileAssignment>();
    this.#assignments = this.#assignments.map((a) => {
      if (a.name !== name) return a;
      const next = change(a);
      replaced.set(a, next);
      return next;
    });
    return replaced;
  }

  /**
   * The names of the assignments still in force (the run's list is the scenario's: removals are the state),
   * and for each trusted-certificate assignment whose certificate {@link update} replaced (an
   * `uploadIssuingCa` action), that certificate (`certificate/<name>`, base64 DER), so that a resumed
   * service delivers the uploaded certificate, not the scenario's.
   */
  save(): SavedRecord[] {
    const out = [
      jsonRecord(
        NAMES_KEY,
        this.#assignments.map((a) => a.name),
      ),
    ];
    const replaced = new Map<string, Uint8Array>();
    for (const a of this.#assignments) {
      const was = this.#initial.find((b) => b.name === a.name && b.profile.family === a.profile.family);
      if (a.profile.kind !== 'trusted-certificate' || was?.profile.kind !== 'trusted-certificate') continue;
      if (Buffer.from(a.profile.certificate).equals(Buffer.from(was.profile.certificate))) continue;
      if (!replaced.has(a.name)) replaced.set(a.name, a.profile.certificate);
    }
    for (const [name, der] of replaced) {
      out.push(jsonRecord(`${CERTIFICATE_KEY}${name}`, Buffer.from(der).toString('base64')));
    }
    return out;
  }

  /**
   * Keeps only the assignments {@link save} listed (the others were removed during the run).
   * @throws CertfleetError IO when the record names an assignment this run does not have.
   */
  restore(records: ReadonlyMap<string, Buffer>): void {
    const saved = records.get(NAMES_KEY);
    if (saved === undefined) return;
    const names = readRecord<string[]>('assignments', NAMES_KEY, saved);
    const unknown = names.filter((n) => !this.#assignments.some((a) => a.name === n));
    if (unknown.length > 0)
      throw new CertfleetError(
        'IO',
        `The saved assignments name ${unknown.join(', ')}, which this run's scenario does not assign: the run cannot be resumed.`,
      );
    this.#assignments = this.#assignments.filter((a) => names.includes(a.name));
    for (const [key, value] of records) {
      if (!key.startsWith(CERTIFICATE_KEY)) continue;
      const name = key.slice(CERTIFICATE_KEY.length);
      const der = new Uint8Array(Buffer.from(readRecord<string>('assignments', key, value), 'base64'));
      this.update(name, (a) =>
        a.profile.kind === 'trusted-certificate' ? { ...a, profile: { ...a.profile, certificate: der } } : a,
      );
    }
  }
}
