/**
 * Every decoder and loader the fuzz suite drives, each with its valid seed inputs: scenario YAML, Graph JSON,
 * Apple mobileconfig (plist) and MDM command responses, Windows SyncML and the PFX-password CMS, Android
 * policy JSON, PEM/DER certificates, CSRs, CRLs, PKCS#12, `inspect` on any file, the fleet engine's clock
 * messages and the device ↔ service messages (protocol/wire). A target either decodes, returns coded problems, or throws a CertfleetError; the
 * property (test/fuzz/property.ts) says which outcomes are acceptable.
 */
import type { KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectPayload } from '../../agent/inspect.ts';
import { PLATFORM_ADAPTERS } from '../../agent/platforms/index.ts';
import { createCertificate, parseCertificate } from '../../pki/certificate.ts';
import { createCrl, parseCrl } from '../../pki/crl.ts';
import { createCsr, parseCsr } from '../../pki/csr.ts';
import { buildPkcs12, parsePkcs12 } from '../../pki/pkcs12.ts';
import { decodeAndroidPolicy } from '../../profiles/android/policy-codec.ts';
import { decodeCommandResponse } from '../../profiles/apple/command-response.ts';
import { decodeMobileconfig } from '../../profiles/apple/mobileconfig.ts';
import { importGraphProfile } from '../../profiles/graph/import-graph.ts';
import { decryptPfxPassword, encryptPfxPasswordForDevice } from '../../profiles/windows/pfx-password.ts';
import { decodeSyncml } from '../../profiles/windows/syncml-decode.ts';
import { FixedClock } from '../../protocol/runtime/clock.ts';
import {
  decodeCtlMessage,
  decodeHostMessage,
  encodeClockMessage,
} from '../../protocol/wire/clock-messages.ts';
import {
  decodeDeviceMessage,
  decodeEnrollResponse,
  type DeviceMessageKind,
} from '../../protocol/wire/device-messages-decode.ts';
import { loadScenario } from '../../simulator/scenario/load-scenario.ts';

/** What a target returned: codes of the problems it reported (thrown errors are caught by the property). */
export type TargetResult = { codes: readonly string[] };

/** One decoder under fuzz. */
export interface FuzzTarget {
  name: string;
  seeds: Buffer[];
  run(input: Buffer): TargetResult;
}

const ROOT = join(import.meta.dirname, '..', '..');
const files = (dir: string, pattern: RegExp): Buffer[] =>
  readdirSync(join(ROOT, dir))
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => readFileSync(join(ROOT, dir, f)));

const codesOf = (problems: readonly { code: string }[]): TargetResult => ({
  codes: problems.map((p) => p.code),
});

/** The pass-word used for the PKCS#12 seeds (a test value, not a secret of any run). */
const FUZZ_PFX_PASSWORD = 'fuzz-pfx';

/**
 * Builds every target. `key` is an RSA-2048 key pair (the test key pool's in `npm test`, one generated
 * once by the long runner): certificates, CSRs, CRLs, PKCS#12 and the password CMS seeds are made with it.
 */
export function buildTargets(key: { privateKey: KeyObject; publicKey: KeyObject }): FuzzTarget[] {
  const notBefore = new Date(Date.UTC(2026, 0, 1));
  const notAfter = new Date(Date.UTC(2027, 0, 1));
  const cert = createCertificate({
    subject: 'CN=Fuzz Root,O=certfleet',
    publicKey: key.publicKey,
    issuer: 'self',
    signingKey: key.privateKey,
    serialNumber: '0A1B2C',
    notBefore,
    notAfter,
    extensions: { basicConstraints: { ca: true } },
  });
  const csr = createCsr({
    subject: 'CN=ada@contoso.com,O=Contoso',
    keyPair: key,
    san: [{ type: 'upn', value: 'ada@contoso.com' }],
  });
  const crl = createCrl({
    issuer: cert,
    signingKey: key.privateKey,
    entries: [{ serialNumber: '1A2B', revokedAt: notBefore, reason: 'keyCompromise' }],
    thisUpdate: notBefore,
    nextUpdate: notAfter,
    crlNumber: 1,
  });
  const pfx = (profile: 'legacy' | 'modern'): Buffer =>
    buildPkcs12({
      privateKey: key.privateKey,
      certificates: [Buffer.from(cert.der)],
      password: FUZZ_PFX_PASSWORD,
      profile,
      iterations: 16,
    });
  const pem = (p: string): Buffer => Buffer.from(p, 'utf8');
  const mobileconfigs = files('test/golden/apple', /\.mobileconfig$/).concat(
    files('test/golden/compile', /\.mobileconfig$/),
  );
  const syncml = files('test/golden/windows', /\.xml$/).concat(files('test/golden/compile', /\.xml$/));
  const android = files('test/golden/android', /\.json$/).concat(
    files('test/golden/compile', /^android-.*\.json$/),
  );
  const graph = files('test/fixtures/conformance-own/graph', /\.json$/);
  const scenarios = files('scenarios', /\.ya?ml$/);
  const T = Date.UTC(2026, 0, 1);
  const hostMessages = [
    {
      type: 'join',
      host: 'h1',
      shard: { index: 1, count: 2 },
      digest: 'sha256:ab',
      seed: '42',
      devices: 100,
      incarnation: 'i-1',
    },
    { type: 'alive', host: 'h1', incarnation: 'i-1', run: 'r', wave: 3 },
    {
      type: 'report',
      host: 'h1',
      incarnation: 'i-1',
      run: 'r',
      wave: 3,
      t: T,
      idle: true,
      nextAt: null,
      counters: { 'dev-1': [2, 3] },
      progress: { enrolled: 5 },
      events: [{ seq: 0, data: { kind: 'renewal-deferred', device: 'dev-1' } }],
    },
  ].map((m) => encodeClockMessage(m as Parameters<typeof encodeClockMessage>[0]));
  const ctlMessages = [
    { type: 'start', run: 'r', t: T, wave: 0 },
    { type: 'step', run: 'r', t: T, wave: 1 },
    { type: 'probe', run: 'r', t: T, wave: 2, host: 'h2' },
    { type: 'end', run: 'r', t: T, reason: 'error', message: 'stalled', code: 'RUN_STALLED' },
  ].map((m) => encodeClockMessage(m as Parameters<typeof encodeClockMessage>[0]));
  const passwordCms = Buffer.from(encryptPfxPasswordForDevice('pw-123', cert), 'utf8');
  const recipients = [{ certificate: cert, privateKey: key.privateKey }];
  const clock = new FixedClock(T + 86_400_000);
  const none: TargetResult = { codes: [] };
  // what a device publishes on its out/ topics, and the service's enrolment answer (protocol/wire/messages.ts)
  const at = '2026-03-01T08:00:00.000Z';
  const deviceMessages = [
    {
      type: 'enroll',
      deviceId: 'd1',
      platform: 'android',
      kind: 'work-profile-personal',
      osVersion: '14',
      ownership: 'personal',
      inventory: { imei: '490154203237518', serialNumber: 'R58N' },
      csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----',
    },
    { type: 'checkin', deviceId: 'd1', at },
    { type: 'renew', deviceId: 'd1', profileId: 'p1', thumbprint: 'AB'.repeat(20), notAfter: at, at },
    {
      type: 'outcome',
      deviceId: 'd1',
      profileId: 'p1',
      at,
      outcomes: [
        {
          device: 'd1',
          platform: 'macos',
          payload: 'com.example.p1',
          status: 'failed',
          code: 'PKCS12_BAD_PASSWORD',
          message: 'The password is wrong.',
          path: 'PayloadContent[0].Password',
          problems: [{ code: 'PKCS12_BAD_PASSWORD', path: 'PayloadContent[0].Password', message: 'wrong' }],
          native: {
            platform: 'macos',
            status: 'Error',
            errorChain: [{ ErrorCode: 4001, ErrorDomain: 'MCProfileErrorDomain', LocalizedDescription: 'x' }],
          },
        },
        {
          device: 'd1',
          platform: 'windows',
          payload: 'p1',
          status: 'installed',
          code: 'OK',
          message: '',
          native: { platform: 'windows', syncml: 200, cspStatus: '0x00000000' },
        },
      ],
    },
  ].map((m) => Buffer.from(JSON.stringify(m)));
  const enrollResponses = [
    { type: 'enrolled', deviceId: 'd1', certificate: '-----BEGIN CERTIFICATE-----', chain: ['a', 'b'] },
    { type: 'enroll-refused', deviceId: 'd1', code: 'ENROLL_PLATFORM_BLOCKED', message: 'blocked' },
  ].map((m) => Buffer.from(JSON.stringify(m)));
  const deviceKinds: readonly DeviceMessageKind[] = ['enroll', 'checkin', 'renew', 'outcome'];

  return [
    {
      name: 'scenario-yaml',
      seeds: scenarios,
      run: (b) => {
        loadScenario({ text: b.toString('utf8'), file: 'fuzz.yaml', baseDir: join(ROOT, 'scenarios') });
        return none;
      },
    },
    {
      name: 'graph-json',
      seeds: graph,
      run: (b) => {
        const r = importGraphProfile(b.toString('utf8'));
        return r.ok ? none : { codes: [r.error.code, ...r.problems.map((p) => p.code)] };
      },
    },
    {
      name: 'apple-mobileconfig',
      seeds: mobileconfigs,
      run: (b) => {
        const r = decodeMobileconfig(b, { platform: 'ios' });
        return r.ok ? none : codesOf(r.problems);
      },
    },
    {
      name: 'apple-command-response',
      seeds: files('test/golden/apple', /\.plist$/),
      run: (b) => {
        const r = decodeCommandResponse(b);
        return 'problems' in r && Array.isArray(r.problems)
          ? codesOf(r.problems as { code: string }[])
          : none;
      },
    },
    {
      name: 'windows-syncml',
      seeds: syncml,
      run: (b) => {
        const r = decodeSyncml(b);
        return r.ok ? none : codesOf(r.problems);
      },
    },
    {
      name: 'windows-pfx-password-cms',
      seeds: [passwordCms],
      run: (b) => {
        decryptPfxPassword(b.toString('latin1'), recipients);
        return none;
      },
    },
    {
      name: 'android-policy-json',
      seeds: android,
      run: (b) => {
        const r = decodeAndroidPolicy(b);
        return r.ok ? none : codesOf(r.problems);
      },
    },
    {
      name: 'certificate-pem-der',
      seeds: [pem(cert.pem), Buffer.from(cert.der)],
      run: (b) => {
        parseCertificate(b[0] === 0x30 ? b : b.toString('latin1'));
        return none;
      },
    },
    {
      name: 'csr',
      seeds: [pem(csr.pem), Buffer.from(csr.der)],
      run: (b) => {
        parseCsr(b[0] === 0x30 ? b : b.toString('latin1'));
        return none;
      },
    },
    {
      name: 'crl',
      seeds: [Buffer.from(crl), pem(parseCrl(crl).pem)],
      run: (b) => {
        parseCrl(b[0] === 0x30 ? b : b.toString('latin1'));
        return none;
      },
    },
    {
      name: 'pkcs12',
      seeds: [pfx('legacy'), pfx('modern')],
      run: (b) => {
        parsePkcs12(b, FUZZ_PFX_PASSWORD);
        return none;
      },
    },
    {
      name: 'inspect',
      seeds: [...mobileconfigs.slice(0, 2), ...syncml.slice(0, 2), ...android.slice(0, 2)],
      run: (b) => {
        const r = inspectPayload(b, PLATFORM_ADAPTERS, { clock, seed: 'fuzz' });
        return codesOf(r.errors);
      },
    },
    {
      name: 'clock-host-message',
      seeds: hostMessages,
      run: (b) => {
        decodeHostMessage('certfleet/fuzz/clock/host', b);
        return none;
      },
    },
    {
      name: 'device-message',
      seeds: deviceMessages,
      run: (b) => {
        // the kind the topic would name: the one the message claims, when it is one
        const claimed = /"type":"(\w+)"/.exec(b.toString('latin1'))?.[1];
        const kind = deviceKinds.find((k) => k === claimed) ?? 'enroll';
        decodeDeviceMessage('certfleet/fuzz/device/d1/out', kind, 'd1', 'p1', b);
        return none;
      },
    },
    {
      name: 'enroll-response',
      seeds: enrollResponses,
      run: (b) => {
        decodeEnrollResponse('certfleet/fuzz/device/d1/in/enrolled', 'd1', b);
        return none;
      },
    },
    {
      name: 'clock-ctl-message',
      seeds: ctlMessages,
      run: (b) => {
        decodeCtlMessage('certfleet/fuzz/clock/ctl', b);
        return none;
      },
    },
  ];
}
