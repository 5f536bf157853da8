/**
 * The Windows device fails where a real one fails, with the same status (QA walkthrough of `certfleet inspect`;
 * its SyncML files are test/fixtures/windows-walk/):
 * 1. Exec on a node whose supported operations do not include it → 405 (OMA-DM "Command not allowed"), inside
 *    an Atomic → 507 on the Atomic, 216 on the others;
 * 2. every RootCATrustedCertificates store the CSP documents is modelled (TrustedPeople, TrustedPublisher,
 *    UntrustedCertificates from 1803, OemEsim from Windows 11 21H2), in both trees;
 * 3. an Add of a RootCATrustedCertificates node that already holds the certificate → 418, still installed;
 * 4. a PFX parameter written again after PFXCertBlob fails on that command, not on the blob.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/generate.ts';
import { StoreDb } from '../../../agent/keystore/store-db.ts';
import type { DeviceContext } from '../../../agent/platform-adapter.ts';
import { windowsAdapter } from '../../../agent/platforms/windows/index.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import { decodePfxInstalls } from '../../../profiles/windows/pfx-cert-install.ts';
import {
  buildTrustedCertAdd,
  type RootCaStore,
} from '../../../profiles/windows/root-ca-trusted-certificates.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { SyncmlItemCommand } from '../../../profiles/windows/syncml-model.ts';
import type { Certificate } from '../../../pki/certificate.ts';
import { codes, hierarchy, message, NOW, reply } from './fixtures.ts';

/** The SyncML status of a Windows outcome. */
const syncml = (o: InstallOutcome): number | undefined =>
  o.native.platform === 'windows' ? o.native.syncml : undefined;

const WALK = new URL('../../fixtures/windows-walk/', import.meta.url);
const walk = (name: string): Buffer => readFileSync(new URL(`${name}.xml`, WALK));

const WIN10_22H2 = '10.0.19045.4651';
const WIN11_23H2 = '10.0.22631.4037';
/** Windows 10 1709: before UntrustedCertificates (1803). */
const WIN10_1709 = '10.0.16299.15';

let db: StoreDb;
beforeEach(() => {
  db = StoreDb.open(':memory:');
});
afterEach(() => db.close());

/** A fresh Windows device on `osVersion` (the walk files' certificates are valid at `now`). */
function device(osVersion = WIN10_22H2, now = new Date('2027-06-01T00:00:00Z')): DeviceContext {
  const d = generateDevice({
    seed: 'windows-device-fidelity',
    index: 0,
    platform: 'windows',
    kind: 'hybrid-joined',
    overrides: { tpm: true, windowsHello: true, osVersion },
  });
  return { device: d, db, clock: new FixedClock(now) };
}

/** An Add of `cert` to `…/RootCATrustedCertificates/{store}/{thumbprint}/EncodedCertificate`. */
function rcaAdd(
  cert: Certificate,
  cmdId: number,
  store: RootCaStore,
  scope: 'Device' | 'User' = 'Device',
): SyncmlItemCommand {
  return buildTrustedCertAdd(
    { scope, store, thumbprint: cert.sha1Thumbprint, certificateDer: cert.der },
    cmdId,
  );
}

const RCA = 'Vendor/MSFT/RootCATrustedCertificates';
const PFX_NODE =
  './Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/FB94E591-D079-4140-82C7-D4E04DD5C3BA';

describe('1. Exec on a node that does not support it → 405 (OMA-DM "Command not allowed")', () => {
  it.each([
    ['26-exec-blob', 'PFXCertBlob'],
    ['70-exec-kl', 'KeyLocation'],
  ])(
    '%s: Exec on %s inside the PFX Atomic → 405, the Atomic 507, the others 216, nothing installed',
    (file, leaf) => {
      const ctx = device();
      const r = windowsAdapter.deliver(ctx, walk(file));
      expect(codes(reply(r.reply))).toEqual({ 1: 507, 2: 216, 3: 216, 4: 216, 5: 216, 6: 216, 30: 405 });
      expect(r.outcomes.map((o) => [o.status, o.code, o.native])).toEqual([
        ['failed', 'INSTALL_ROLLED_BACK', { platform: 'windows', syncml: 216 }],
        ['failed', 'SYNCML_INVALID', { platform: 'windows', syncml: 405, intune: '0x87D10195' }],
      ]);
      expect(r.outcomes[1]!.message).toContain(`Exec is not allowed on ${leaf}`);
      expect(r.outcomes[1]!.payload).toBe(PFX_NODE);
      expect(db.items(ctx.device.id)).toEqual([]);
    },
  );

  it('71-exec-root: Exec on EncodedCertificate outside an Atomic → 405; the Add before it stands', () => {
    const ctx = device();
    const r = windowsAdapter.deliver(ctx, walk('71-exec-root'));
    expect(codes(reply(r.reply))).toEqual({ 2: 200, 3: 405 });
    expect(r.outcomes.map((o) => [o.code, syncml(o)])).toEqual([
      ['OK', 200],
      ['SYNCML_INVALID', 405],
    ]);
    expect(r.outcomes[1]!.message).toMatch(
      /Exec is not allowed on EncodedCertificate: the node supports Add, Get, Replace only/,
    );
    expect(db.items(ctx.device.id).map((i) => i.store)).toEqual(['windows/machine/Root']);
  });

  it.each([
    [`./Device/${RCA}`, 405],
    [`./Device/${RCA}/Root`, 405],
    [`./Device/${RCA}/Root/${'AB'.repeat(20)}`, 405],
    [`./Device/${RCA}/Root/${'AB'.repeat(20)}/IssuedBy`, 405],
    [`./Device/${RCA}/Bogus/${'AB'.repeat(20)}`, 404],
    [`./Device/${RCA}/Root/${'AB'.repeat(20)}/Nope`, 404],
    [PFX_NODE, 405],
    [`${PFX_NODE}/Status`, 405],
    [`${PFX_NODE}/Nope`, 404],
    ['./Device/Vendor/MSFT/ClientCertificateInstall/SCEP', 405],
  ])('Exec %s → %i', (target, status) => {
    const ctx = device();
    const r = windowsAdapter.deliver(ctx, message([{ kind: 'Exec', cmdId: 4, items: [{ target }] }]));
    expect(codes(reply(r.reply))).toEqual({ 4: status });
    expect(r.outcomes.map((o) => [o.status, syncml(o)])).toEqual([['failed', status]]);
  });
});

describe('2. the RootCATrustedCertificates stores the CSP documents', () => {
  it('55-trustedpeople-leaf: a leaf into ./Device TrustedPeople → 200, stored in windows/machine/TrustedPeople', () => {
    const ctx = device();
    const r = windowsAdapter.deliver(ctx, walk('55-trustedpeople-leaf'));
    expect(codes(reply(r.reply))).toEqual({ 2: 200 });
    expect(r.outcomes.map((o) => [o.status, o.code, syncml(o)])).toEqual([['installed', 'OK', 200]]);
    const items = db.items(ctx.device.id);
    expect(items.map((i) => [i.store, i.kind, i.thumbprint])).toEqual([
      ['windows/machine/TrustedPeople', 'certificate', 'CAAD7D8F1554D8B75D3D152A33D18E4A7D630498'],
    ]);
    // held() (inspect, show device) lists it with its store
    expect(windowsAdapter.held(ctx, 'admin').map((h) => [h.store, h.kind])).toEqual([
      ['windows/machine/TrustedPeople', 'identity'],
    ]);
    // and a Get of the store lists its node
    const get = windowsAdapter.deliver(
      ctx,
      message([{ kind: 'Get', cmdId: 9, items: [{ target: `./Device/${RCA}/TrustedPeople` }] }]),
    );
    expect(reply(get.reply).results.get(9)?.items[0]?.data).toBe('CAAD7D8F1554D8B75D3D152A33D18E4A7D630498');
  });

  it.each<[RootCaStore, 'Device' | 'User', string]>([
    ['TrustedPeople', 'User', 'windows/user/TrustedPeople'],
    ['TrustedPublisher', 'Device', 'windows/machine/TrustedPublisher'],
    ['TrustedPublisher', 'User', 'windows/user/TrustedPublisher'],
    ['UntrustedCertificates', 'Device', 'windows/machine/UntrustedCertificates'],
    ['UntrustedCertificates', 'User', 'windows/user/UntrustedCertificates'],
    ['CA', 'User', 'windows/user/CA'],
  ])('%s in the %s tree → 200, into %s (any certificate, not only a CA)', (store, scope, storeName) => {
    const ctx = device(WIN10_22H2, NOW);
    const r = windowsAdapter.deliver(
      ctx,
      message([rcaAdd(store === 'CA' ? hierarchy().issuing : hierarchy().leaf, 1, store, scope)]),
    );
    expect(codes(reply(r.reply))).toEqual({ 1: 200 });
    expect(r.outcomes.map((o) => o.status)).toEqual(['installed']);
    expect(db.items(ctx.device.id).map((i) => i.store)).toEqual([storeName]);
  });

  it('65-untrusted-leaf: UntrustedCertificates exists from Windows 10 1803 (10.0.17134): 200 on 22H2, 404 on 1709', () => {
    const modern = windowsAdapter.deliver(device(WIN10_22H2), walk('65-untrusted-leaf'));
    expect(codes(reply(modern.reply))).toEqual({ 2: 200 });
    expect(db.items(device(WIN10_22H2).device.id).map((i) => i.store)).toEqual([
      'windows/machine/UntrustedCertificates',
    ]);
    const old = windowsAdapter.deliver(device(WIN10_1709), walk('65-untrusted-leaf'));
    expect(codes(reply(old.reply))).toEqual({ 2: 404 });
    expect(old.outcomes.map((o) => [o.code, syncml(o)])).toEqual([['INSTALL_STORE_NOT_SUPPORTED', 404]]);
    expect(old.outcomes[0]!.message).toMatch(/first exists on Windows 10 1803 \(10\.0\.17134\)/);
  });

  it('54-oemesim: OemEsim exists from Windows 11 21H2 (10.0.22000): 404 on Windows 10, 200 on Windows 11', () => {
    const w10 = windowsAdapter.deliver(device(WIN10_22H2), walk('54-oemesim'));
    expect(codes(reply(w10.reply))).toEqual({ 2: 404 });
    expect(w10.outcomes[0]!.message).toMatch(/first exists on Windows 11 21H2 \(10\.0\.22000\)/);
    const w11 = windowsAdapter.deliver(device(WIN11_23H2), walk('54-oemesim'));
    expect(codes(reply(w11.reply))).toEqual({ 2: 200 });
    expect(db.items(device(WIN11_23H2).device.id).map((i) => i.store)).toEqual(['windows/machine/OemEsim']);
  });

  it('a store outside the CSP stays 404; ./User Root stays 405', () => {
    const ctx = device(WIN10_22H2, NOW);
    const bogus = {
      ...rcaAdd(hierarchy().root, 1, 'Root'),
      items: [
        {
          ...rcaAdd(hierarchy().root, 1, 'Root').items[0]!,
          target: `./Device/${RCA}/Bogus/${hierarchy().root.sha1Thumbprint}/EncodedCertificate`,
        },
      ],
    };
    const userRoot = {
      ...rcaAdd(hierarchy().root, 2, 'Root'),
      items: [
        {
          ...rcaAdd(hierarchy().root, 2, 'Root').items[0]!,
          target: `./User/${RCA}/Root/${hierarchy().root.sha1Thumbprint}/EncodedCertificate`,
        },
      ],
    };
    const r = windowsAdapter.deliver(ctx, message([bogus, userRoot]));
    expect(codes(reply(r.reply))).toEqual({ 1: 404, 2: 405 });
    expect(r.outcomes.map((o) => o.code)).toEqual([
      'INSTALL_STORE_NOT_SUPPORTED',
      'INSTALL_STORE_NOT_SUPPORTED',
    ]);
  });

  it('a Get of the CSP lists the stores of that tree on that build (no ./User Root, no OemEsim before 21H2)', () => {
    const get = (target: string) => message([{ kind: 'Get', cmdId: 3, items: [{ target }] }]);
    const data = (ctx: DeviceContext, target: string) =>
      reply(windowsAdapter.deliver(ctx, get(target)).reply).results.get(3)?.items[0]?.data;
    expect(data(device(WIN10_22H2), `./Device/${RCA}`)).toBe(
      'Root/CA/TrustedPeople/TrustedPublisher/UntrustedCertificates',
    );
    expect(data(device(WIN11_23H2), `./User/${RCA}`)).toBe(
      'CA/TrustedPeople/TrustedPublisher/UntrustedCertificates/OemEsim',
    );
    const missing = windowsAdapter.deliver(device(WIN10_22H2), get(`./Device/${RCA}/OemEsim`));
    expect(codes(reply(missing.reply))).toEqual({ 3: 404 });
  });

  it('a certificate in UntrustedCertificates is distrusted: a chain through it is not trusted', () => {
    const ctx = device(WIN10_22H2, NOW);
    const h = hierarchy();
    const first = windowsAdapter.deliver(
      ctx,
      message([rcaAdd(h.root, 1, 'Root'), rcaAdd(h.issuing, 2, 'CA')]),
    );
    expect(first.outcomes.map((o) => o.code)).toEqual(['OK', 'OK']);
    expect(windowsAdapter.held(ctx, 'admin').map((x) => [x.store, x.trusted])).toEqual([
      ['windows/machine/Root', true],
      ['windows/machine/CA', true],
    ]);
    const flag = windowsAdapter.deliver(ctx, message([rcaAdd(h.issuing, 3, 'UntrustedCertificates')]));
    expect(flag.outcomes.map((o) => [o.code, syncml(o)])).toEqual([['OK', 200]]);
    expect(flag.outcomes[0]!.message).toMatch(/distrusts this certificate explicitly/);
    const held = windowsAdapter.held(ctx, 'admin').map((x) => [x.store, x.kind, x.trusted]);
    expect(held).toEqual([
      ['windows/machine/Root', 'root', true],
      ['windows/machine/CA', 'intermediate', false],
      ['windows/machine/UntrustedCertificates', 'intermediate', false],
    ]);
  });
});

describe('3. Add of a RootCATrustedCertificates node that exists → 418 Already exists', () => {
  it('59-root-twice: the second Add of the same root in one message → 418, outcome UNCHANGED (installed)', () => {
    const ctx = device();
    const r = windowsAdapter.deliver(ctx, walk('59-root-twice'));
    expect(codes(reply(r.reply))).toEqual({ 2: 200, 3: 418 });
    expect(r.outcomes.map((o) => [o.status, o.code, o.native])).toEqual([
      ['installed', 'OK', { platform: 'windows', syncml: 200, cspStatus: '0x00000000' }],
      // no Intune error code: the certificate is installed
      ['installed', 'UNCHANGED', { platform: 'windows', syncml: 418 }],
    ]);
    expect(r.outcomes[1]!.message).toMatch(/418 Already exists/);
    expect(db.items(ctx.device.id)).toHaveLength(1);
  });

  it('a re-delivered trusted root (separate message) → 418 UNCHANGED, store untouched; Replace with it → 200 UNCHANGED', () => {
    const ctx = device(WIN10_22H2, NOW);
    const h = hierarchy();
    windowsAdapter.deliver(ctx, message([rcaAdd(h.root, 1, 'Root')]));
    const before = db.items(ctx.device.id);
    const again = windowsAdapter.deliver(ctx, message([rcaAdd(h.root, 1, 'Root')]));
    expect(codes(reply(again.reply))).toEqual({ 1: 418 });
    expect(again.outcomes.map((o) => [o.status, o.code])).toEqual([['installed', 'UNCHANGED']]);
    expect(db.items(ctx.device.id)).toEqual(before);
    const replace = windowsAdapter.deliver(ctx, message([{ ...rcaAdd(h.root, 1, 'Root'), kind: 'Replace' }]));
    expect(codes(reply(replace.reply))).toEqual({ 1: 200 });
    expect(replace.outcomes.map((o) => [o.status, o.code])).toEqual([['installed', 'UNCHANGED']]);
  });

  it('inside an Atomic the 418 fails the Atomic (507, the others 216) and the outcome stays UNCHANGED', () => {
    const ctx = device(WIN10_22H2, NOW);
    const h = hierarchy();
    windowsAdapter.deliver(ctx, message([rcaAdd(h.root, 1, 'Root')]));
    const r = windowsAdapter.deliver(
      ctx,
      message([
        { kind: 'Atomic', cmdId: 1, children: [rcaAdd(h.root, 2, 'Root'), rcaAdd(h.issuing, 3, 'CA')] },
      ]),
    );
    expect(codes(reply(r.reply))).toEqual({ 1: 507, 2: 418, 3: 216 });
    expect(r.outcomes.map((o) => [o.status, o.code, syncml(o)])).toEqual([
      ['installed', 'UNCHANGED', 418],
      ['failed', 'INSTALL_ROLLED_BACK', 216],
    ]);
    expect(db.items(ctx.device.id).map((i) => i.store)).toEqual(['windows/machine/Root']);
  });
});

describe('4. a PFX parameter written after PFXCertBlob', () => {
  it('19-add-then-replace: the Replace of KeyLocation after the blob gets the 500, the blob Add 216', () => {
    const ctx = device();
    const r = windowsAdapter.deliver(ctx, walk('19-add-then-replace'));
    expect(codes(reply(r.reply))).toEqual({ 1: 507, 2: 216, 3: 216, 4: 216, 5: 216, 6: 216, 30: 500 });
    const failed = r.outcomes.find((o) => o.code === 'SYNCML_INVALID');
    expect(failed?.message).toMatch(/KeyLocation is written again after PFXCertBlob/);
    expect(db.items(ctx.device.id)).toEqual([]);
  });

  it('a parameter first set after the blob fails the blob, with a grammatical message', () => {
    const text = walk('26-exec-blob').toString('utf8');
    const blob = /<Add><CmdID>6<\/CmdID>[\s\S]*?<\/Add>/.exec(text)![0];
    const late = (cmdId: number, leaf: string, format: string, data: string) =>
      `<Add><CmdID>${cmdId}</CmdID><Item><Target><LocURI>${PFX_NODE}/${leaf}</LocURI></Target><Meta><Format xmlns="syncml:metinf">${format}</Format></Meta><Data>${data}</Data></Item></Add>`;
    const body = (extra: string) =>
      text.replace(
        /<SyncBody>[\s\S]*<\/SyncBody>/,
        `<SyncBody><Atomic><CmdID>1</CmdID>${late(2, 'KeyLocation', 'int', '3')}${blob}${extra}</Atomic><Final/></SyncBody>`,
      );
    const decode = (xml: string) => {
      const m = decodeSyncml(Buffer.from(xml));
      if (!m.ok) throw new Error('does not decode');
      return decodePfxInstalls(m.message).problems.map((p) => [p.details.cmdId, p.message]);
    };
    const one = decode(body(late(7, 'PFXCertPassword', 'chr', 'x')));
    expect(one).toHaveLength(1);
    expect(one[0]![0]).toBe(6);
    expect(one[0]![1]).toMatch(/: PFXCertPassword comes after PFXCertBlob;/);
    const two = decode(
      body(late(7, 'PFXCertPassword', 'chr', 'x') + late(8, 'PFXKeyExportable', 'bool', 'false')),
    );
    expect(two[0]![1]).toMatch(/: PFXCertPassword and PFXKeyExportable come after PFXCertBlob;/);
  });
});
