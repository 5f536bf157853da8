/**
 * Android device administrator speaks its own language (issue 12 point 6): it takes OMA-DM SyncML addressed to
 * the CertificateStore CSP (docs/formats.md §2.5/§3.4) and answers each command with a SyncML status and the
 * status the Intune admin center shows (docs/errors.md §3.5) — never with AMAPI non-compliance reasons.
 * One test per row of DEVICE_ADMIN_CASES, each through the real adapter and the real SyncML codec.
 */
import { describe, expect, it } from 'vitest';
import { androidAdapter } from '../../../agent/platforms/android/index.ts';
import { DEVICE_ADMIN_CASES } from '../../../agent/platforms/android/device-admin-status.ts';
import { ERROR_CODES } from '../../../pki/errors.ts';
import {
  buildDaPkcsAtomic,
  buildDaRootAdd,
  daRootLocUri,
} from '../../../profiles/android/device-admin-syncml.ts';
import { readReply } from '../../../profiles/windows/device-reply.ts';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import { encodeSyncml } from '../../../profiles/windows/syncml-encode.ts';
import type { SyncmlCommand } from '../../../profiles/windows/syncml-model.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import {
  CLIENT_GUID,
  DAY,
  NOW,
  ROOT_GUID,
  androidDevice,
  contextFor,
  hierarchy,
  pkcs12Of,
  policyBytes,
} from './fixtures.ts';

const h = hierarchy();
const PASSWORD = 'Da-Test-Pw-1';
const PFX = pkcs12Of(h, PASSWORD);

function message(body: SyncmlCommand[]): Buffer {
  return encodeSyncml({
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: '7',
      msgId: 3,
      target: 'device',
      source: 'https://mdm.certfleet.test/omadm',
    },
    body,
    final: true,
  });
}

const rootAdd = (der: Uint8Array = h.root.der, cmdId = 1) => buildDaRootAdd(ROOT_GUID, der, cmdId);
const pkcsAtomic = (pfx: Uint8Array = PFX, password = PASSWORD, cmdId = 2) =>
  buildDaPkcsAtomic(CLIENT_GUID, pfx, password, cmdId);

/** The device's SyncML reply: status per CmdRef (header excluded). */
function statuses(reply: Buffer): Map<number, number> {
  const d = decodeSyncml(reply);
  if (!d.ok) throw new Error('reply is not SyncML');
  return new Map([...readReply(d.message).statuses].map(([ref, s]) => [ref, s.code]));
}

function expectNoAmapi(o: InstallOutcome | undefined, reply: Buffer): void {
  expect(o?.native).not.toHaveProperty('nonCompliance');
  expect(reply.toString('utf8')).not.toMatch(/nonCompliance|policyCompliant|certificateCommands/);
}

const pixel = (os = '14') => androidDevice('device-admin', { osVersion: os, modelId: 'google-pixel-6a' });
const samsung = (os = '14') =>
  androidDevice('device-admin', { osVersion: os, modelId: 'samsung-galaxy-s23' });

describe('DEVICE_ADMIN_CASES', () => {
  it.each(Object.entries(DEVICE_ADMIN_CASES))(
    '%s: a closed-list code, a SyncML status and a source',
    (_n, c) => {
      expect([...Object.keys(ERROR_CODES), 'OK', 'UNCHANGED']).toContain(c.code);
      expect(c.syncml).toBeGreaterThanOrEqual(200);
      expect(c.source.length).toBeGreaterThan(10);
      expect(c.console === 'Succeeded').toBe(c.syncml === 200);
    },
  );
});

describe('device administrator: each status', () => {
  it('installed: root on Android 10, then the key pair; 200 each, Succeeded, no AMAPI field', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(ctx, message([rootAdd(), pkcsAtomic()]), { profileId: 'p1' });
    expect(r.outcomes.map((o) => [o.status, o.code])).toEqual([
      ['installed', 'OK'],
      ['installed', 'OK'],
    ]);
    expect(r.outcomes[0]?.native).toEqual({
      platform: 'android',
      deviceAdmin: { syncml: 200, console: 'Succeeded' },
    });
    expectNoAmapi(r.outcomes[0], r.reply);
    expect([...statuses(r.reply)]).toEqual([
      [1, 200],
      [2, 200],
      [3, 200],
      [4, 200],
    ]);
    expect(ctx.db.items(ctx.device.id, { store: 'android/ca' })).toHaveLength(1);
    const key = ctx.db.items(ctx.device.id, { kind: 'identity' });
    expect(key).toHaveLength(1);
    expect(key[0]?.store).toBe('android/keychain');
    expect(key[0]?.attrs.visibleToUser).toBe(true);
    expect(key[0]?.attrs.trusted).toBe(true);
  });

  it('unchanged: the same message again writes nothing and still answers 200', () => {
    const ctx = contextFor(pixel('10'));
    const bytes = message([rootAdd()]);
    androidAdapter.deliver(ctx, bytes, { profileId: 'p1' });
    const r = androidAdapter.deliver(ctx, bytes, { profileId: 'p1' });
    expect(r.outcomes.map((o) => o.code)).toEqual(['UNCHANGED']);
    expect(r.outcomes[0]?.native).toEqual({
      platform: 'android',
      deviceAdmin: { syncml: 200, console: 'Succeeded' },
    });
  });

  it('caOnAndroid11: a root on Android 11+ (not Samsung) → 406, Error, nothing installed', () => {
    const ctx = contextFor(pixel('11'));
    const r = androidAdapter.deliver(ctx, message([rootAdd()]));
    const o = r.outcomes[0];
    expect([o?.status, o?.code]).toEqual(['failed', 'INSTALL_NOT_ALLOWED']);
    expect(o?.native).toEqual({ platform: 'android', deviceAdmin: { syncml: 406, console: 'Error' } });
    expect(o?.message).toMatch(/Android 11/);
    expectNoAmapi(o, r.reply);
    expect(statuses(r.reply).get(1)).toBe(406);
    expect(ctx.db.items(ctx.device.id, { kind: 'certificate' })).toHaveLength(0);
  });

  it('the same root on a Samsung Android 14 (Knox) installs', () => {
    const ctx = contextFor(samsung('14'));
    const r = androidAdapter.deliver(ctx, message([rootAdd()]));
    expect(r.outcomes[0]?.code).toBe('OK');
    expect(ctx.db.items(ctx.device.id, { kind: 'certificate' })[0]?.attrs.installPath).toBe('samsung-knox');
  });

  it('untrusted: a key pair without its root installs with INSTALL_UNTRUSTED_CHAIN, 200', () => {
    const ctx = contextFor(pixel('14'));
    const r = androidAdapter.deliver(ctx, message([pkcsAtomic(PFX, PASSWORD, 1)]));
    expect(r.outcomes.map((o) => [o.status, o.code])).toEqual([['installed', 'INSTALL_UNTRUSTED_CHAIN']]);
    expect(statuses(r.reply).get(3)).toBe(200);
  });

  it('certParse: EncodedCertificate that is not X.509 → 415, Error', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(ctx, message([rootAdd(Buffer.from('not a certificate'))]));
    expect(r.outcomes.map((o) => [o.code, o.native])).toEqual([
      ['CERT_PARSE', { platform: 'android', deviceAdmin: { syncml: 415, console: 'Error' } }],
    ]);
    expect(statuses(r.reply).get(1)).toBe(415);
  });

  it('certExpired: a root past its notAfter on the device clock → 500, Error', () => {
    const ctx = contextFor(pixel('10'), new Date(h.root.notAfter.getTime() + DAY));
    const r = androidAdapter.deliver(ctx, message([rootAdd()]));
    expect(r.outcomes.map((o) => o.code)).toEqual(['INSTALL_CERT_EXPIRED']);
    expect(r.outcomes[0]?.native).toEqual({
      platform: 'android',
      deviceAdmin: { syncml: 500, console: 'Error' },
    });
  });

  it('pkcs12BadPassword: the wrong PFXCertPassword → 500 on the blob, 507 on the Atomic; no secret in the message', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(ctx, message([pkcsAtomic(PFX, 'Wrong-Pw-9', 1)]));
    const o = r.outcomes[0];
    expect([o?.code, o?.native]).toEqual([
      'PKCS12_BAD_PASSWORD',
      { platform: 'android', deviceAdmin: { syncml: 500, console: 'Error' } },
    ]);
    expect(o?.message).not.toContain('Wrong-Pw-9');
    expect(o?.message).not.toContain(PASSWORD);
    const s = statuses(r.reply);
    expect([s.get(1), s.get(2), s.get(3)]).toEqual([507, 216, 500]);
    expect(ctx.db.items(ctx.device.id, { kind: 'identity' })).toHaveLength(0);
  });

  it('pkcs12Parse: a corrupt PKCS#12 → PKCS12_PARSE, 500', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(ctx, message([pkcsAtomic(Buffer.from('garbage'), PASSWORD, 1)]));
    expect(r.outcomes.map((o) => o.code)).toEqual(['PKCS12_PARSE']);
  });

  it('unknownNode: an Add outside the known CertificateStore nodes → 404, INSTALL_STORE_NOT_SUPPORTED', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(
      ctx,
      message([
        {
          kind: 'Add',
          cmdId: 1,
          items: [{ target: './Vendor/MSFT/CertificateStore/CA/System/X/EncodedCertificate', data: 'AA==' }],
        },
      ]),
    );
    expect(r.outcomes.map((o) => [o.code, o.native])).toEqual([
      [
        'INSTALL_STORE_NOT_SUPPORTED',
        { platform: 'android', deviceAdmin: { syncml: 404, console: 'Error' } },
      ],
    ]);
    expect(statuses(r.reply).get(1)).toBe(404);
  });

  it('commandNotAllowed: a Replace of a root node → 405, INSTALL_NOT_ALLOWED', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(
      ctx,
      message([
        {
          kind: 'Replace',
          cmdId: 1,
          items: [{ target: daRootLocUri(ROOT_GUID), data: h.root.der.toString('base64') }],
        },
      ]),
    );
    expect(r.outcomes.map((o) => [o.code, o.native])).toEqual([
      ['INSTALL_NOT_ALLOWED', { platform: 'android', deviceAdmin: { syncml: 405, console: 'Error' } }],
    ]);
  });

  it('syncmlParse: an AMAPI policy is not what device administrator takes → 400, SYNCML_PARSE', () => {
    const ctx = contextFor(pixel('10'));
    const r = androidAdapter.deliver(ctx, policyBytes({ cas: [{ guid: ROOT_GUID, der: h.root.der }] }));
    const o = r.outcomes[0];
    expect([o?.status, o?.code]).toEqual(['failed', 'SYNCML_PARSE']);
    expect(o?.native).toEqual({ platform: 'android', deviceAdmin: { syncml: 400, console: 'Error' } });
    expect(o?.message).toMatch(/not managed through the Android Management API/);
    expectNoAmapi(o, r.reply);
    expect(ctx.db.items(ctx.device.id, {})).toHaveLength(0);
  });

  it('a new message of the same profile without the root removes it', () => {
    const ctx = contextFor(pixel('10'));
    androidAdapter.deliver(ctx, message([rootAdd(), pkcsAtomic()]), { profileId: 'p1' });
    const r = androidAdapter.deliver(ctx, message([pkcsAtomic(PFX, PASSWORD, 1)]), { profileId: 'p1' });
    expect(r.outcomes.map((o) => o.code)).toEqual(['UNCHANGED']);
    expect(ctx.db.items(ctx.device.id, { kind: 'certificate' })).toHaveLength(0);
    expect(NOW.getTime()).toBeLessThan(h.leaf.notAfter.getTime());
  });
});
