/**
 * The result an Apple device sends back for an MDM command (e.g. InstallProfile): `Status`, `CommandUUID`,
 * `UDID` and, on failure, an `ErrorChain`, as an XML plist. Encode + strict decode.
 *
 * Sources: docs/formats.md §1.5 (command response `Status`, `ErrorChain` items); docs/errors.md §2.1 (envelope:
 * `micromdm/nanomdm:mdm/command.go@06466a8d` struct `ErrorChain`, Apple `InstallProfileResponse.ErrorChainItem`).
 *
 * Rules beyond the key types: `CommandUUID` is required except for `Idle` (where it must be absent);
 * `ErrorChain` appears only with `Error` or `CommandFormatError`, and `Error` carries a non-empty chain.
 * `UDID` is required: certfleet simulates the device channel. Other keys a real device adds (UserID,
 * EnrollmentID, command-specific results such as ProfileList) are kept out of the model and reported as
 * warnings.
 */
import { CertfleetError } from '../../pki/errors.ts';
import type { PlistLocation, PlistValue } from './plist-value.ts';
import { readPlistXml } from './plist-xml-reader.ts';
import { writePlistXml } from './plist-xml-writer.ts';
import type { KeySpec } from './profile-schema.ts';
import { validateDictTree } from './profile-validate.ts';
import { buildDictFromSpec } from './schema-build.ts';
import type { Problem } from './problem.ts';

/** The command statuses a device reports (docs/formats.md §1.5, docs/errors.md §2.1). */
export const COMMAND_STATUSES = ['Acknowledged', 'Error', 'CommandFormatError', 'Idle', 'NotNow'] as const;

/** One of {@link COMMAND_STATUSES}. */
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** One `ErrorChain` item; the first is the top-level error, the rest underlying ones (docs/errors.md §2.1). */
export interface ErrorChainItem {
  ErrorCode: number;
  ErrorDomain: string;
  LocalizedDescription: string;
  USEnglishDescription?: string;
}

/** A device's answer to one MDM command (docs/formats.md §1.5, docs/errors.md §2.1). */
export interface AppleCommandResponse {
  Status: CommandStatus;
  /** The command answered; absent only for `Idle`. */
  CommandUUID?: string;
  /** The device's UDID (device channel). */
  UDID: string;
  /** Present with `Error` (required) or `CommandFormatError` (optional). */
  ErrorChain?: ErrorChainItem[];
}

const BOTH = ['macos', 'ios'] as const;

/** The response keys (docs/formats.md §1.5). */
export const COMMAND_RESPONSE_KEYS: readonly KeySpec[] = [
  {
    key: 'Status',
    presence: 'required',
    value: { type: 'string', rangelist: COMMAND_STATUSES },
    platforms: BOTH,
  },
  {
    key: 'CommandUUID',
    presence: 'optional',
    value: { type: 'string', format: 'nonempty' },
    platforms: BOTH,
  },
  { key: 'UDID', presence: 'required', value: { type: 'string', format: 'nonempty' }, platforms: BOTH },
  {
    key: 'ErrorChain',
    presence: 'optional',
    value: {
      type: 'array',
      items: {
        type: 'dict',
        keys: [
          { key: 'ErrorCode', presence: 'required', value: { type: 'integer' }, platforms: BOTH },
          { key: 'ErrorDomain', presence: 'required', value: { type: 'string' }, platforms: BOTH },
          { key: 'LocalizedDescription', presence: 'required', value: { type: 'string' }, platforms: BOTH },
          { key: 'USEnglishDescription', presence: 'optional', value: { type: 'string' }, platforms: BOTH },
        ],
      },
    },
    platforms: BOTH,
  },
];

/** The result of {@link decodeCommandResponse}; the raw bytes are always kept. */
export type CommandResponseDecodeResult =
  | {
      readonly ok: true;
      readonly response: AppleCommandResponse;
      readonly raw: Buffer;
      readonly warnings: readonly Problem[];
    }
  | {
      readonly ok: false;
      readonly problems: readonly Problem[];
      readonly raw: Buffer;
      readonly warnings: readonly Problem[];
    };

function crossRules(root: PlistValue): Problem[] {
  if (root.kind !== 'dict') return [];
  const problems: Problem[] = [];
  const at = (v: PlistValue | undefined): PlistLocation | object => (v?.loc === undefined ? {} : v.loc);
  const status = root.entries.get('Status');
  const s = status?.kind === 'string' ? status.value : undefined;
  const uuid = root.entries.get('CommandUUID');
  const chain = root.entries.get('ErrorChain');
  const add = (rule: Problem['rule'], path: string, message: string, node: PlistValue | undefined): void => {
    problems.push({ code: 'APPLE_MDM_RESPONSE_INVALID', rule, path, message, ...at(node ?? root) });
  };
  if (s === 'Idle' && uuid !== undefined)
    add(
      'bad-value',
      'CommandUUID',
      'An Idle response answers no command: it must not carry CommandUUID.',
      uuid,
    );
  if (s !== undefined && s !== 'Idle' && uuid === undefined)
    add(
      'missing-key',
      'CommandUUID',
      `A ${s} response must name the command it answers (CommandUUID).`,
      root,
    );
  if (chain !== undefined && s !== undefined && s !== 'Error' && s !== 'CommandFormatError') {
    add(
      'bad-value',
      'ErrorChain',
      `ErrorChain belongs to Error or CommandFormatError responses, not ${s}.`,
      chain,
    );
  }
  if (s === 'Error' && (chain === undefined || (chain.kind === 'array' && chain.items.length === 0))) {
    add(
      'missing-key',
      'ErrorChain',
      'An Error response must carry a non-empty ErrorChain saying what failed.',
      chain ?? root,
    );
  }
  return problems;
}

/**
 * Encodes a command response as XML plist bytes (same layout as the profile encoder; same input → same
 * bytes). @throws CertfleetError `APPLE_MDM_RESPONSE_INVALID` when it breaks the rules above.
 *
 * @example
 * encodeCommandResponse({ Status: 'Acknowledged', CommandUUID: 'c0ffee', UDID: '00008110-000A1B2C3D4E5F60' });
 */
export function encodeCommandResponse(response: AppleCommandResponse): Buffer {
  const tree = buildDictFromSpec(response, COMMAND_RESPONSE_KEYS, 'APPLE_MDM_RESPONSE_INVALID');
  const problems = [
    ...validateDictTree(tree, COMMAND_RESPONSE_KEYS, 'macos', 'APPLE_MDM_RESPONSE_INVALID').problems,
    ...crossRules(tree),
  ];
  if (problems.length > 0) {
    throw new CertfleetError(
      'APPLE_MDM_RESPONSE_INVALID',
      `Refusing to encode the command response: ${problems.map((p) => p.message).join(' ')}`,
      { details: { problems } },
    );
  }
  return writePlistXml(tree);
}

/**
 * Decodes a command response strictly. Never throws for bad input: returns every problem
 * (`PLIST_PARSE` or `APPLE_MDM_RESPONSE_INVALID`) with its key path.
 */
export function decodeCommandResponse(bytes: Uint8Array): CommandResponseDecodeResult {
  const raw = Buffer.from(bytes);
  const read = readPlistXml(raw);
  if (read.value === undefined) return { ok: false, problems: read.problems, raw, warnings: read.warnings };
  const checked = validateDictTree(read.value, COMMAND_RESPONSE_KEYS, 'macos', 'APPLE_MDM_RESPONSE_INVALID');
  const problems = [...checked.problems, ...crossRules(read.value)];
  const warnings = [...read.warnings, ...checked.warnings];
  if (problems.length > 0 || checked.value === undefined) return { ok: false, problems, raw, warnings };
  return { ok: true, response: checked.value as unknown as AppleCommandResponse, raw, warnings };
}
