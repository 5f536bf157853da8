/**
 * Walks the commands of a SyncML body depth-first, in document order, with the containers (Atomic/Sequence)
 * that enclose each one (docs/formats.md §2.1).
 */
import type { SyncmlCommand, SyncmlContainer, SyncmlItemCommand } from './syncml-model.ts';

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

/**
 * True for the commands that change a node or run it — Add, Replace, Delete, Exec — which the CSP decoders
 * read (a Get is answered elsewhere; an Exec on a node that does not allow it is a decoder's 405).
 */
export function isNodeChange(
  command: SyncmlCommand,
): command is SyncmlItemCommand & { kind: 'Add' | 'Replace' | 'Delete' | 'Exec' } {
  return (
    command.kind === 'Add' ||
    command.kind === 'Replace' ||
    command.kind === 'Delete' ||
    command.kind === 'Exec'
  );
}
