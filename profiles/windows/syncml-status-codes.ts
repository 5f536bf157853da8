/**
 * The SyncML status codes a Windows device returns, with their meanings.
 *
 * Models docs/formats.md §2.2 (OMADM table; the full list is SyncML RepPro §10) and docs/errors.md §1.1 (source S1,
 * `MicrosoftDocs/windows-itpro-docs:windows/client-management/oma-dm-protocol-support.md@00af39a1`).
 */
export const SYNCML_STATUS_CODES = {
  200: { name: 'OK', meaning: 'The SyncML command completed successfully.' },
  202: { name: 'ACCEPTED', meaning: 'Accepted for processing (asynchronous, e.g. Exec).' },
  212: { name: 'AUTHENTICATION_ACCEPTED', meaning: 'Authentication accepted (normally only on SyncHdr).' },
  214: {
    name: 'OPERATION_CANCELLED',
    meaning: 'Operation cancelled: no more commands processed in session.',
  },
  215: { name: 'NOT_EXECUTED', meaning: 'Not executed: the user cancelled.' },
  216: { name: 'ATOMIC_ROLLBACK_OK', meaning: 'Atomic roll back OK: the command was rolled back.' },
  400: { name: 'BAD_REQUEST', meaning: 'Bad request: malformed syntax (e.g. missing CmdID).' },
  401: { name: 'INVALID_CREDENTIALS', meaning: 'Invalid credentials.' },
  403: { name: 'FORBIDDEN', meaning: 'Forbidden.' },
  404: { name: 'NOT_FOUND', meaning: 'Not found: the node does not exist.' },
  405: { name: 'COMMAND_NOT_ALLOWED', meaning: 'Command not allowed (e.g. a write to a read-only node).' },
  406: { name: 'OPTIONAL_FEATURE_NOT_SUPPORTED', meaning: 'Optional feature not supported.' },
  415: { name: 'UNSUPPORTED_MEDIA_TYPE', meaning: 'Unsupported type or format.' },
  418: { name: 'ALREADY_EXISTS', meaning: 'Already exists: Add of a node that already exists.' },
  425: { name: 'PERMISSION_DENIED', meaning: 'Permission denied (ACL).' },
  500: { name: 'COMMAND_FAILED', meaning: 'Command failed (generic failure).' },
  507: { name: 'ATOMIC_FAILED', meaning: 'Atomic failed: one of the operations in the Atomic block failed.' },
  516: { name: 'ATOMIC_ROLLBACK_FAILED', meaning: 'Atomic roll back failed.' },
} as const satisfies Record<number, { name: string; meaning: string }>;

/** A status code from the docs/formats.md §2.2 table. */
export type SyncmlStatusCode = keyof typeof SYNCML_STATUS_CODES;

/** True when `code` is one of the codes of docs/formats.md §2.2. */
export function isKnownSyncmlStatus(code: number): code is SyncmlStatusCode {
  return Object.prototype.hasOwnProperty.call(SYNCML_STATUS_CODES, code);
}

/** The meaning of a status code, or a generic text for a code outside the docs/formats.md §2.2 table. */
export function syncmlStatusMeaning(code: number): string {
  return isKnownSyncmlStatus(code) ? SYNCML_STATUS_CODES[code].meaning : `SyncML status ${code}`;
}
