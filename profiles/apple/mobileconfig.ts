/**
 * Encode and strictly decode Apple `.mobileconfig` configuration profiles (unsigned XML plists).
 *
 * - {@link encodeMobileconfig}: typed profile → deterministic XML plist bytes (layout in
 *   `plist-xml-writer.ts`: plistlib-identical, keys sorted by code point, tab indentation). Refuses, with
 *   `MOBILECONFIG_INVALID`, anything the target platform or Apple's schema forbids, so whatever it writes
 *   decodes cleanly on that platform.
 * - {@link decodeMobileconfig}: bytes → typed profile, or every problem with its key path (and line/column),
 *   as a strict device would; the raw bytes are always kept.
 *
 * Sources: docs/formats.md §1.1–1.4 (keys, types, platform rules), §1.7 (real-world quirks); docs/errors.md §2.3.
 */
import { CertfleetError } from '../../pki/errors.ts';
import { readPlistXml } from './plist-xml-reader.ts';
import { writePlistXml } from './plist-xml-writer.ts';
import type { ApplePlatform, AppleProfile } from './mobileconfig-types.ts';
import { TOP_LEVEL_KEYS } from './profile-schema.ts';
import { buildDictFromSpec } from './schema-build.ts';
import { validateProfileTree } from './profile-validate.ts';
import type { Problem } from './problem.ts';

/** Options for {@link encodeMobileconfig} and {@link decodeMobileconfig}. */
export interface MobileconfigOptions {
  /** The platform whose rules apply (macOS-only keys are refused for iOS). */
  readonly platform: ApplePlatform;
}

/** The result of {@link decodeMobileconfig}: a typed profile or every problem; the raw bytes either way. */
export type MobileconfigDecodeResult =
  | {
      readonly ok: true;
      readonly profile: AppleProfile;
      /** The exact bytes decoded (a private copy). */
      readonly raw: Buffer;
      /** Things a device ignores: keys outside Apple's schema, advisory values. */
      readonly warnings: readonly Problem[];
    }
  | {
      readonly ok: false;
      /** Every problem found, each with its key path; never empty. */
      readonly problems: readonly Problem[];
      readonly raw: Buffer;
      readonly warnings: readonly Problem[];
    };

/**
 * Turns decode problems into one {@link CertfleetError} (code `PLIST_PARSE` if the bytes are not a
 * well-formed plist, else `MOBILECONFIG_INVALID`); the message lists every problem, `details.problems`
 * carries them.
 */
export function mobileconfigProblemsError(problems: readonly Problem[]): CertfleetError {
  const code = problems.some((p) => p.code === 'PLIST_PARSE') ? 'PLIST_PARSE' : 'MOBILECONFIG_INVALID';
  const lines = problems.map(
    (p) => `- ${p.message}${p.line === undefined ? '' : ` (line ${p.line}, column ${p.column ?? 1})`}`,
  );
  return new CertfleetError(
    code,
    `The .mobileconfig has ${problems.length} problem(s):\n${lines.join('\n')}`,
    {
      details: { problems },
    },
  );
}

/**
 * Encodes a certificate profile as XML plist bytes for `platform`. Same input → same bytes.
 *
 * @throws CertfleetError `MOBILECONFIG_INVALID` when the profile breaks Apple's schema or uses a key the
 * platform forbids (AllowAllAppsAccess/KeyIsExtractable/PayloadScope on iOS), or a payload type other than
 * root/pkcs1/pem/pkcs12/scep.
 *
 * @example
 * const bytes = encodeMobileconfig(profile, { platform: 'ios' });
 */
export function encodeMobileconfig(profile: AppleProfile, options: MobileconfigOptions): Buffer {
  const tree = buildDictFromSpec(profile, TOP_LEVEL_KEYS, 'MOBILECONFIG_INVALID');
  const { problems } = validateProfileTree(tree, options.platform);
  if (problems.length > 0) {
    const e = mobileconfigProblemsError(problems);
    throw new CertfleetError(
      'MOBILECONFIG_INVALID',
      `Refusing to encode for ${options.platform}: ${e.message}`,
      {
        details: e.details,
      },
    );
  }
  return writePlistXml(tree);
}

/**
 * Decodes `.mobileconfig` bytes strictly for `platform`. Never throws for bad input: returns every problem
 * (`PLIST_PARSE` for XML/plist syntax, `MOBILECONFIG_INVALID` for schema breaches), each with a key path.
 *
 * @example
 * const r = decodeMobileconfig(bytes, { platform: 'macos' });
 * if (!r.ok) console.log(r.problems.map((p) => `${p.path}: ${p.message}`));
 */
export function decodeMobileconfig(
  bytes: Uint8Array,
  options: MobileconfigOptions,
): MobileconfigDecodeResult {
  const raw = Buffer.from(bytes);
  const read = readPlistXml(raw);
  if (read.value === undefined) return { ok: false, problems: read.problems, raw, warnings: read.warnings };
  const { profile, problems, warnings: schemaWarnings } = validateProfileTree(read.value, options.platform);
  const warnings = [...read.warnings, ...schemaWarnings];
  if (profile === undefined) return { ok: false, problems, raw, warnings };
  return { ok: true, profile, raw, warnings };
}
