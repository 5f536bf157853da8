/**
 * Scratch folders named after the process that made them (`<prefix><pid>-<random>`), and the sweep that
 * removes the ones a process no longer running left behind: a run killed with SIGKILL cannot delete its
 * own, so the next process that makes a folder of the same kind in the same place does. Used for the
 * service's issued-PFX shelf (service/mdm/stores/issued-identities-db.ts) and the folder of a Mosquitto a
 * run starts (broker/mosquitto.ts: its password file, ACL and, with TLS, the broker's private key).
 *
 * @example
 * const dir = makeScratchDir(tmpdir(), 'certfleet-mosquitto-'); // e.g. /tmp/certfleet-mosquitto-4242-Ab12Cd
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether process `pid` runs (a process of another user counts: it is not ours to clean up after). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes the folders `<prefix><pid>-<random>` in `parent` whose process no longer runs. Best effort: a
 * folder that cannot be read or removed stays; a name without a process id is never touched.
 */
export function removeLeftoverScratch(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const shape = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-[A-Za-z0-9]+$`);
  for (const name of names) {
    const m = shape.exec(name);
    if (m === null || running(Number(m[1]))) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
    } catch {
      // another user's folder in a shared temporary folder, say: not ours to remove, and no error of ours
    }
  }
}

/**
 * A new folder `<parent>/<prefix><this pid>-<random>` (mode 0700, as mkdtemp makes it), after the folders
 * with that prefix that processes no longer running left in `parent` were removed.
 * @throws the file system's error when the folder cannot be made (callers give it their own code).
 */
export function makeScratchDir(parent: string, prefix: string): string {
  removeLeftoverScratch(parent, prefix);
  return mkdtempSync(join(parent, `${prefix}${process.pid}-`));
}
