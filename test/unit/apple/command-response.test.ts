/**
 * Apple MDM command responses (docs/formats.md §1.5, docs/errors.md §2.1): round trip, golden bytes, strict decode
 * rules, and the ErrorChain catalogue (docs/errors.md §2.2–2.3).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isCertfleetError } from '../../../pki/errors.ts';
import {
  APPLE_ERRORS,
  appleErrorForProblem,
  intuneCodeForAppleError,
} from '../../../profiles/apple/apple-error-catalogue.ts';
import { decodeCommandResponse, encodeCommandResponse } from '../../../profiles/apple/command-response.ts';
import type { AppleCommandResponse } from '../../../profiles/apple/command-response.ts';
import { golden, goldenPath } from '../../fixtures/golden.ts';

const GOLDEN = goldenPath('apple', 'command-response-error.plist');
const UDID = '00008110-000A1B2C3D4E5F60';
const CMD = '9F3C2B1A-0000-4000-8000-000000000001';
const { installFailure, certificateInvalidPassword } = APPLE_ERRORS;

const samples: [string, AppleCommandResponse][] = [
  ['Acknowledged', { Status: 'Acknowledged', CommandUUID: CMD, UDID }],
  ['NotNow', { Status: 'NotNow', CommandUUID: CMD, UDID }],
  ['Idle', { Status: 'Idle', UDID }],
  ['CommandFormatError', { Status: 'CommandFormatError', CommandUUID: CMD, UDID }],
  [
    'Error (wrong PKCS#12 password chain)',
    {
      Status: 'Error',
      CommandUUID: CMD,
      UDID,
      ErrorChain: [
        {
          ErrorCode: installFailure.code,
          ErrorDomain: installFailure.domain,
          LocalizedDescription: 'Profile Installation Failed',
          USEnglishDescription: 'Profile Installation Failed',
        },
        {
          ErrorCode: certificateInvalidPassword.code,
          ErrorDomain: certificateInvalidPassword.domain,
          LocalizedDescription: 'The password for the certificate “phone.p12” is incorrect.',
        },
      ],
    },
  ],
];

describe('command response codec', () => {
  it.each(samples)('round trips %s', (_name, response) => {
    const bytes = encodeCommandResponse(response);
    expect(bytes.equals(encodeCommandResponse(response))).toBe(true);
    const r = decodeCommandResponse(bytes);
    expect(r.ok && r.response).toEqual(response);
    expect(r.raw.equals(bytes)).toBe(true);
  });

  it('pins the Error response bytes (golden) and plistlib reads them back', () => {
    const bytes = encodeCommandResponse((samples[4] as [string, AppleCommandResponse])[1]);
    expect(bytes.toString('utf8')).toBe(
      golden('apple', 'command-response-error.plist', bytes).toString('utf8'),
    );
    const py = execFileSync(
      'python3',
      [
        '-c',
        'import plistlib,sys,json; d=plistlib.load(open(sys.argv[1],"rb")); print(json.dumps(d))',
        GOLDEN,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(py)).toEqual((samples[4] as [string, AppleCommandResponse])[1]);
  });

  const plist = (body: string): Buffer =>
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n${body}\n</dict>\n</plist>\n`,
    );
  const kv = (k: string, v: string): string => `<key>${k}</key>${v}`;
  const UD = kv('UDID', `<string>${UDID}</string>`);
  const CU = kv('CommandUUID', `<string>${CMD}</string>`);
  const CHAIN = kv(
    'ErrorChain',
    '<array><dict><key>ErrorCode</key><integer>4001</integer><key>ErrorDomain</key><string>MCInstallationErrorDomain</string><key>LocalizedDescription</key><string>x</string></dict></array>',
  );
  const bad: [name: string, input: Buffer, expected: [string, string, string][]][] = [
    [
      'unknown Status',
      plist(kv('Status', '<string>Done</string>') + CU + UD),
      [['APPLE_MDM_RESPONSE_INVALID', 'bad-value', 'Status']],
    ],
    [
      'missing UDID',
      plist(kv('Status', '<string>Acknowledged</string>') + CU),
      [['APPLE_MDM_RESPONSE_INVALID', 'missing-key', 'UDID']],
    ],
    [
      'Acknowledged without CommandUUID',
      plist(kv('Status', '<string>Acknowledged</string>') + UD),
      [['APPLE_MDM_RESPONSE_INVALID', 'missing-key', 'CommandUUID']],
    ],
    [
      'Idle with CommandUUID',
      plist(kv('Status', '<string>Idle</string>') + CU + UD),
      [['APPLE_MDM_RESPONSE_INVALID', 'bad-value', 'CommandUUID']],
    ],
    [
      'Error without ErrorChain',
      plist(kv('Status', '<string>Error</string>') + CU + UD),
      [['APPLE_MDM_RESPONSE_INVALID', 'missing-key', 'ErrorChain']],
    ],
    [
      'ErrorChain on Acknowledged',
      plist(kv('Status', '<string>Acknowledged</string>') + CU + UD + CHAIN),
      [['APPLE_MDM_RESPONSE_INVALID', 'bad-value', 'ErrorChain']],
    ],
    [
      'ErrorCode as a string',
      plist(
        kv('Status', '<string>Error</string>') +
          CU +
          UD +
          CHAIN.replace('<integer>4001</integer>', '<string>4001</string>'),
      ),
      [['APPLE_MDM_RESPONSE_INVALID', 'wrong-type', 'ErrorChain[0].ErrorCode']],
    ],
    [
      'ErrorChain item without ErrorDomain',
      plist(
        kv('Status', '<string>Error</string>') +
          CU +
          UD +
          CHAIN.replace('<key>ErrorDomain</key><string>MCInstallationErrorDomain</string>', ''),
      ),
      [['APPLE_MDM_RESPONSE_INVALID', 'missing-key', 'ErrorChain[0].ErrorDomain']],
    ],
    ['not a plist', Buffer.from('{"Status":"Acknowledged"}'), [['PLIST_PARSE', 'plist-syntax', '']]],
  ];
  it.each(bad)('decode refuses: %s', (_name, input, expected) => {
    const r = decodeCommandResponse(input);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.rule, p.path])).toEqual(expected);
  });

  it('keeps unmodelled keys out of the model, as warnings', () => {
    const r = decodeCommandResponse(
      plist(kv('Status', '<string>Acknowledged</string>') + CU + UD + kv('UserID', '<string>u</string>')),
    );
    expect(r.ok && r.response).toEqual({ Status: 'Acknowledged', CommandUUID: CMD, UDID });
    expect(r.warnings.map((w) => [w.rule, w.path])).toEqual([['unknown-key', 'UserID']]);
  });

  it('encode refuses an Error without ErrorChain', () => {
    expect(() => encodeCommandResponse({ Status: 'Error', CommandUUID: CMD, UDID })).toThrow(
      expect.objectContaining({ code: 'APPLE_MDM_RESPONSE_INVALID' }),
    );
    try {
      encodeCommandResponse({ Status: 'Idle', CommandUUID: CMD, UDID });
    } catch (e) {
      expect(isCertfleetError(e, 'APPLE_MDM_RESPONSE_INVALID')).toBe(true);
    }
  });
});

describe('Apple error catalogue', () => {
  it.each([
    ['installCannotParse', 'MCInstallationErrorDomain', 4000, 0x87d136b0],
    ['installFailure', 'MCInstallationErrorDomain', 4001, 0x87d136b1],
    ['profileMalformed', 'MCProfileErrorDomain', 1000, 0x87d12af8],
    ['profileNonUniqueUuids', 'MCProfileErrorDomain', 1007, 0x87d12aff],
    ['certificateInvalidPassword', 'MCCertificateErrorDomain', 9000, 0x87d14a38],
    ['certificateMalformed', 'MCCertificateErrorDomain', 9005, 0x87d14a3d],
  ] as const)('%s is %s %i (Intune 0x%s)', (name, domain, code, intune) => {
    expect(APPLE_ERRORS[name]).toMatchObject({ domain, code, confidence: 'documented' });
    expect(intuneCodeForAppleError(code)).toBe(intune);
  });

  it('labels observed-only domains as observed', () => {
    expect(APPLE_ERRORS.plistUnexpectedCharacter).toMatchObject({
      domain: 'NSCocoaErrorDomain',
      code: 3840,
      confidence: 'observed',
    });
    expect(APPLE_ERRORS.profileNotInstalled).toMatchObject({ code: 12075, confidence: 'observed' });
  });

  it.each([
    [{ rule: 'wrong-type', path: 'PayloadVersion' }, 'MCProfileErrorDomain', 1003],
    [{ rule: 'wrong-type', path: 'PayloadContent[0].PayloadContent' }, 'MCPayloadErrorDomain', 2003],
    [{ rule: 'bad-value', path: 'PayloadVersion' }, 'MCProfileErrorDomain', 1001],
    // regression issue 4: docs/errors.md §2.3 observes 1000/2000 for a missing key, not 1002/2002.
    [{ rule: 'missing-key', path: 'PayloadContent[1].PayloadUUID' }, 'MCPayloadErrorDomain', 2000],
    [{ rule: 'missing-key', path: 'PayloadIdentifier' }, 'MCProfileErrorDomain', 1000],
    [{ rule: 'duplicate-uuid', path: 'PayloadContent[1].PayloadUUID' }, 'MCProfileErrorDomain', 1007],
    [{ rule: 'plist-syntax', path: '' }, 'MCInstallationErrorDomain', 4000],
  ] as const)('maps %o to %s %i (inferred mapping)', (p, domain, code) => {
    const e = appleErrorForProblem({ code: 'MOBILECONFIG_INVALID', message: 'x', ...p });
    expect([e.domain, e.code]).toEqual([domain, code]);
  });
});
