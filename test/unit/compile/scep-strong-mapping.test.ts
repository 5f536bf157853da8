/**
 * Issue 14 point 4 for SCEP: with strong mapping on, a SCEP profile gets the URI SAN that resolves to
 * `tag:microsoft.com,2022-09-14:sid:<SID>` — user certificates on Windows/macOS/iOS, device certificates on
 * hybrid-joined Windows only — and a principal without a SID is reported for CONNECTOR_SID_UNAVAILABLE.
 */
import { describe, expect, it } from 'vitest';
import { decodeMobileconfig } from '../../../profiles/apple/mobileconfig.ts';
import type { ScepPayload } from '../../../profiles/apple/mobileconfig-types.ts';
import { compileProfile, seededIds } from '../../../profiles/compile/index.ts';
import { SID_URI_SAN_TEMPLATE, withSidUriSan } from '../../../profiles/compile/scep-strong-mapping.ts';
import type { ProfileFamily } from '../../../profiles/model/platform.ts';
import type { ScepCertificateProfile } from '../../../profiles/model/scep-profile.ts';
import { validateProfile } from '../../../profiles/model/validate-profile.ts';
import type { DeviceFacts } from '../../../profiles/variables/facts.ts';
import { FACTS } from './fixtures.ts';

function profile(family: ProfileFamily, certificateType: 'user' | 'device' = 'user'): ScepCertificateProfile {
  const r = validateProfile({
    kind: 'scep-certificate',
    family,
    displayName: 'VPN',
    certificateType,
    subjectNameFormat: 'custom',
    subjectNameFormatString: certificateType === 'user' ? 'CN={{UserName}}' : 'CN={{DeviceName}}',
    scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
  });
  if (!r.ok || r.value.kind !== 'scep-certificate') throw new Error(JSON.stringify(r));
  return r.value;
}

const USER_SID = FACTS.windows.attributes.userSid!;

describe('withSidUriSan', () => {
  it('adds the URI SAN once to a user certificate on Windows, macOS and iOS', () => {
    for (const family of ['windows', 'macos', 'ios'] as const) {
      const facts: DeviceFacts = {
        ...FACTS[family],
        attributes: { ...FACTS[family].attributes, userSid: USER_SID },
      };
      const m = withSidUriSan(profile(family), facts);
      expect(m.ok).toBe(true);
      if (!m.ok) continue;
      expect(m.profile.customSubjectAlternativeNames).toEqual([
        { sanType: 'universalResourceIdentifier', name: SID_URI_SAN_TEMPLATE },
      ]);
      const again = withSidUriSan(m.profile, facts);
      expect(again.ok && again.profile.customSubjectAlternativeNames.length).toBe(1);
    }
  });

  it('the iOS payload carries tag:microsoft.com,2022-09-14:sid:<user SID>', () => {
    const facts: DeviceFacts = { ...FACTS.ios, attributes: { ...FACTS.ios.attributes, userSid: USER_SID } };
    const m = withSidUriSan(profile('ios'), facts);
    if (!m.ok) throw new Error(m.sid.why);
    const c = compileProfile(m.profile, facts, { ids: seededIds('s'), scep: { challenge: 'c' } });
    if (!c.ok) throw new Error(c.outcome.message);
    const d = decodeMobileconfig(c.payload.bytes, { platform: 'ios' });
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const p = d.profile.PayloadContent[0] as ScepPayload;
    expect(p.PayloadContent.SubjectAltName?.uniformResourceIdentifier).toBe(
      `tag:microsoft.com,2022-09-14:sid:${USER_SID}`,
    );
  });

  it('device certificates: the computer SID on hybrid-joined Windows; unchanged on Apple', () => {
    const win = withSidUriSan(profile('windows', 'device'), FACTS.windows);
    expect(win.ok && win.sid).toEqual({
      kind: 'sid',
      principal: 'device',
      value: FACTS.windows.attributes.deviceSid,
    });
    const mac = withSidUriSan(profile('macos', 'device'), FACTS.macos);
    expect(mac.ok && mac.sid.kind).toBe('not-applicable');
    expect(mac.ok && mac.profile.customSubjectAlternativeNames).toEqual([]);
  });

  it('Android SCEP profiles are left without it (SCEPDOC supports the variable on Windows, macOS, iOS)', () => {
    const m = withSidUriSan(profile('android-work-profile'), FACTS['android-work-profile']);
    expect(m.ok && m.sid.kind).toBe('not-applicable');
    expect(m.ok && m.profile.customSubjectAlternativeNames).toEqual([]);
  });

  it('a cloud-only user or an Entra-joined PC has no SID: returned for CONNECTOR_SID_UNAVAILABLE', () => {
    const cloud: DeviceFacts = {
      ...FACTS.macos,
      attributes: { ...FACTS.macos.attributes, userSid: undefined },
      absent: { ...FACTS.macos.absent, userSid: 'not-synced' },
    };
    const u = withSidUriSan(profile('macos'), cloud);
    expect(u.ok).toBe(false);
    if (!u.ok) expect([u.sid.principal, u.sid.reason]).toEqual(['user', 'not-synced']);
    const entra: DeviceFacts = {
      ...FACTS.windows,
      enrollmentKind: 'entra-joined',
      attributes: { ...FACTS.windows.attributes, deviceSid: undefined },
    };
    const d = withSidUriSan(profile('windows', 'device'), entra);
    expect(d.ok).toBe(false);
    if (!d.ok) expect([d.sid.principal, d.sid.reason]).toEqual(['device', 'not-hybrid-joined']);
  });
});
