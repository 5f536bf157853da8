/**
 * The assignments store of the MDM service: the profile assignments in force (the tenant's configuration,
 * given at start; an administrator may remove one while the service runs). Which assignments apply to a
 * device is assignment.ts's business; this store only holds the list.
 */
import type { ProfileAssignment } from '../assignment.ts';

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

/** The assignments store. */
export class AssignmentStore implements AssignmentReader, AssignmentWriter {
  #assignments: ProfileAssignment[];

  /** Starts with a copy of `assignments` (already checked with checkAssignments). */
  constructor(assignments: readonly ProfileAssignment[]) {
    this.#assignments = [...assignments];
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
}
