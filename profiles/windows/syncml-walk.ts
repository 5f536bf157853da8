/**
 * Walks the commands of a SyncML body depth-first, in document order, with the containers (Atomic/Sequence)
 * that enclose each one (docs/formats.md §2.1).
 */
import type { SyncmlCommand, SyncmlContainer } from './syncml-model.ts';

/** One command met by {@link walkCommands} and its enclosing containers, outermost first. */
export interface WalkedCommand {
  command: SyncmlCommand;
  parents: SyncmlContainer[];
}

/** Every command of `body`, containers before their children. */
export function walkCommands(
  body: readonly SyncmlCommand[],
  parents: SyncmlContainer[] = [],
): WalkedCommand[] {
  const out: WalkedCommand[] = [];
  for (const command of body) {
    out.push({ command, parents });
    if (command.kind === 'Atomic' || command.kind === 'Sequence') {
      out.push(...walkCommands(command.children, [...parents, command]));
    }
  }
  return out;
}

/** True for `<Atomic>` and `<Sequence>` (narrows the command type; the shared `kind` union defeats TS narrowing). */
export function isContainer(command: SyncmlCommand): command is SyncmlContainer {
  return command.kind === 'Atomic' || command.kind === 'Sequence';
}
