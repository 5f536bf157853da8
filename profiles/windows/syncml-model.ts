/**
 * The typed model of an OMA-DM SyncML 1.2 message, as Windows MDM speaks it.
 *
 * Models docs/formats.md §2.1 (sources: STRUCT, OMADM, CCI examples, [MS-MDM] §3.1.5.1.2). Only the XML form is
 * modelled (Windows also accepts WBXML, OMADM). Every command carries its CmdID as a positive integer:
 * Windows requires distinct numeric CmdIDs (STRUCT), which is also why `<CmdID>313$</CmdID>` from the CCI
 * SCEP example is rejected by the decoder.
 */

/** The SyncML namespace of a DM 1.2 message (`<SyncML xmlns="SYNCML:SYNCML1.2">`, docs/formats.md §2.1). */
export const SYNCML_NAMESPACE = 'SYNCML:SYNCML1.2';

/** The namespace of `<Meta>` children such as `<Format>`, `<Type>`, `<MaxMsgSize>` (docs/formats.md §2.1). */
export const METINF_NAMESPACE = 'syncml:metinf';

/** The node formats an `<Item>`'s `<Meta><Format>` may name (docs/formats.md §2.1 "Item"). */
export const SYNCML_FORMATS = ['int', 'chr', 'b64', 'bin', 'bool', 'node', 'xml'] as const;

/** One node format: `int | chr | b64 | bin | bool | node | xml` (docs/formats.md §2.1). */
export type SyncmlFormat = (typeof SYNCML_FORMATS)[number];

/** `<Meta>` of an item or command: the `syncml:metinf` Format and Type (docs/formats.md §2.1). */
export interface SyncmlMeta {
  /** `<Format xmlns="syncml:metinf">`; OMA-DM's default when absent is `chr`. */
  format?: SyncmlFormat;
  /** `<Type xmlns="syncml:metinf">`, a MIME type such as `text/plain`. */
  type?: string;
}

/**
 * One `<Item>`: a node addressed by `<Target><LocURI>` (server → device) or `<Source><LocURI>` (results and
 * alerts, device → server), its Meta and its Data (docs/formats.md §2.1 "Item"). Data is the element's exact text;
 * `''` is an empty `<Data/>`, `undefined` means no `<Data>` element at all.
 */
export interface SyncmlItem {
  target?: string;
  source?: string;
  meta?: SyncmlMeta;
  data?: string;
}

/** The commands Windows supports inside `<SyncBody>` (OMADM, docs/formats.md §2.1). */
export const SYNCML_COMMAND_NAMES = [
  'Add',
  'Replace',
  'Delete',
  'Get',
  'Exec',
  'Alert',
  'Atomic',
  'Sequence',
  'Status',
  'Results',
] as const;

/** The name of one SyncML command element. */
export type SyncmlCommandName = (typeof SYNCML_COMMAND_NAMES)[number];

/** Add / Replace / Delete / Get / Exec: a command that acts on the nodes its items name (docs/formats.md §2.1). */
export interface SyncmlItemCommand {
  kind: 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec';
  cmdId: number;
  /** Command-level Meta, applying to every item that has none of its own. */
  meta?: SyncmlMeta;
  items: SyncmlItem[];
}

/** `<Alert>`: `<Data>` is the alert code (1201 client session, 1224 device alert, 1226 generic alert). */
export interface SyncmlAlert {
  kind: 'Alert';
  cmdId: number;
  /** The alert code carried in `<Data>`. */
  code: number;
  items: SyncmlItem[];
}

/** `<Atomic>` (all-or-nothing) or `<Sequence>` (in order): containers of other commands (OMADM). */
export interface SyncmlContainer {
  kind: 'Atomic' | 'Sequence';
  cmdId: number;
  meta?: SyncmlMeta;
  children: SyncmlCommand[];
}

/** The command a `<Status>` answers: a command name, or `SyncHdr` for the header status. */
export type SyncmlStatusCmd = SyncmlCommandName | 'SyncHdr';

/**
 * `<Status>`: the answer to one command (docs/formats.md §2.1 "Status element shape"; docs/errors.md §1.1). The header
 * status uses `cmdRef: 0` and `cmd: 'SyncHdr'`.
 */
export interface SyncmlStatus {
  kind: 'Status';
  cmdId: number;
  /** MsgID of the message that carried the command. */
  msgRef: number;
  /** CmdID of the command answered (0 for the SyncHdr). */
  cmdRef: number;
  cmd: SyncmlStatusCmd;
  targetRefs: string[];
  sourceRefs: string[];
  /** The status code from `<Data>` (see {@link SYNCML_STATUS_CODES}). */
  code: number;
  items: SyncmlItem[];
}

/** `<Results>`: the values answering a Get, with `<Source>` LocURIs (docs/formats.md §2.1 "Results"). */
export interface SyncmlResults {
  kind: 'Results';
  cmdId: number;
  msgRef?: number;
  cmdRef: number;
  meta?: SyncmlMeta;
  targetRef?: string;
  sourceRef?: string;
  items: SyncmlItem[];
}

/** Any command inside `<SyncBody>`, `<Atomic>` or `<Sequence>`. */
export type SyncmlCommand = SyncmlItemCommand | SyncmlAlert | SyncmlContainer | SyncmlStatus | SyncmlResults;

/**
 * `<SyncHdr>` (docs/formats.md §2.1). `target`/`source` are the header's `<Target><LocURI>` and
 * `<Source><LocURI>`: the server URL and the device id (`./DevInfo/DevId`) depending on the direction.
 */
export interface SyncHdr {
  verDtd: '1.2';
  verProto: 'DM/1.2';
  sessionId: string;
  msgId: number;
  target: string;
  source: string;
  /** `<RespURI>`: where the device must send its reply (server messages only). */
  respUri?: string;
  /** `<Meta><MaxMsgSize xmlns="syncml:metinf">`. */
  maxMsgSize?: number;
}

/** One SyncML message: header, body commands in order, and whether `<Final/>` closes the package. */
export interface SyncmlMessage {
  header: SyncHdr;
  body: SyncmlCommand[];
  final: boolean;
}
