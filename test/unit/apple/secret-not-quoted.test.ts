import { describe, expect, it } from 'vitest';
import { decodeMobileconfig, mobileconfigProblemsError } from '../../../profiles/apple/mobileconfig.ts';

/** A .mobileconfig whose PKCS#12 payload has `password` as the given element (`data`, `integer`, `date`). */
function profileWith(key: string, element: string, secret: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>PayloadContent</key><array><dict>
    <key>PayloadType</key><string>com.apple.security.pkcs12</string>
    <key>PayloadIdentifier</key><string>com.example.pkcs12</string>
    <key>PayloadUUID</key><string>7F2B0D0E-3C1A-4B7E-9F4A-1C2D3E4F5A6B</string>
    <key>PayloadVersion</key><integer>1</integer>
    <key>PayloadContent</key><data>MIIB</data>
    <key>${key}</key><${element}>${secret}</${element}>
  </dict></array>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadIdentifier</key><string>com.example</string>
  <key>PayloadUUID</key><string>0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D</string>
  <key>PayloadVersion</key><integer>1</integer>
</dict></plist>`,
  );
}

/** Every substring of `secret` of 3 characters or more that a message must not contain. */
function fragments(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 3 <= secret.length; i++) out.push(secret.slice(i, i + 3));
  return out;
}

describe('issue 10: an error about a secret plist value quotes no part of it', () => {
  const cases = [
    // a bad base64 character: the message used to name it and its position
    { element: 'data', secret: 'Zq9#Xw7!Pk2%Lm', leaks: ['"#"', 'position'] },
    // wrong padding: the message used to count the secret's characters
    { element: 'data', secret: 'Zq9Xw7PkLm2', leaks: ['11 data characters'] },
    { element: 'integer', secret: 'Zq9Xw7PkLm2', leaks: [] },
    { element: 'date', secret: 'Zq9Xw7PkLm2', leaks: [] },
  ];
  it.each(cases)('Password as <$element> $secret', ({ element, secret, leaks }) => {
    for (const key of ['Password', 'Challenge']) {
      const r = decodeMobileconfig(profileWith(key, element, secret), { platform: 'macos' });
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.problems.length).toBeGreaterThan(0);
      const text = [
        ...r.problems.map((p) => p.message),
        ...r.warnings.map((p) => p.message),
        mobileconfigProblemsError(r.problems).message,
      ].join('\n');
      expect(text).toContain(key); // the problem still says where it is
      for (const f of [...fragments(secret), ...leaks]) expect(text).not.toContain(f);
    }
  });

  it('a non-secret <data> still names the bad character and its position', () => {
    const bytes = Buffer.from(
      profileWith('Password', 'string', 'pw').toString().replace('<data>MIIB</data>', '<data>MI#B</data>'),
    );
    const r = decodeMobileconfig(bytes, { platform: 'macos' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.message).join('\n')).toContain('character "#" at position 2');
  });
});
