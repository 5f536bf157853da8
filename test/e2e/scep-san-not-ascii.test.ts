/**
 * A SCEP profile whose DNS SAN is `{{DeviceName}}`, on iPhones and iPads: Apple names them "Ken’s iPhone"
 * (U+2019), and a DNS SAN is an IA5String (RFC 5280 §4.2.1.6), so each device's own request fails
 * (CERT_BAD_INPUT, naming its name). Regression: the device's name was in the first sentence of the message,
 * so the failure summary, which groups by that sentence, made one group per device (5 groups for 6 devices,
 * two sharing a name) where there is one cause. Now one group says why, and each row still names its value.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../simulator/fleet/run-fleet.ts';
import { summarize } from '../../simulator/report/summary.ts';

const SCENARIO = [
  'name: scep-san-not-ascii',
  'seed: scep-san-1',
  'duration: 1h',
  'fleet:',
  '  devices: 6',
  '  mix:',
  '    - { platform: ios, kind: device }',
  'profiles:',
  '  - name: Certfleet Root',
  '    type: trusted-certificate',
  '    platforms: all',
  '    certificate: root',
  '  - name: Wi-Fi SCEP',
  '    type: scep',
  '    platforms: [ios]',
  "    subject: 'CN={{UserName}},O=Contoso'",
  "    san: [{ type: dns, value: '{{DeviceName}}' }]",
  '    keySize: 2048',
  '',
].join('\n');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-san-'));
  writeFileSync(join(work, 's.yaml'), SCENARIO);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a SCEP DNS SAN that is not ASCII on Apple devices', () => {
  it('fails every device with one cause in the summary; each row names its own value', async () => {
    const run = await runFleet({
      scenario: join(work, 's.yaml'),
      out: join(work, 'out'),
      broker: { type: 'embedded' },
    });
    const rows = run.result.outcomes.filter((o) => o.profile === 'Wi-Fi SCEP');
    expect(rows).toHaveLength(6);
    const names = new Set<string>();
    for (const o of rows) {
      expect(o.status).toBe('failed');
      expect(o.code).toBe('CERT_BAD_INPUT');
      const name = /"([^"]*’[^"]*)" is not\./.exec(o.message)?.[1];
      expect(name, o.message).toBeDefined();
      names.add(name!);
    }
    expect(names.size).toBeGreaterThan(1); // the devices' names differ, their cause does not
    const reasons = summarize(run.result).failureReasons.filter((r) => r.profile === 'Wi-Fi SCEP');
    expect(reasons.map((r) => [r.code, r.count])).toEqual([['CERT_BAD_INPUT', 6]]);
    expect(reasons[0]!.cause.text).toMatch(/A DNS SAN must be ASCII \(IA5String\)\.$/);
    expect(reasons[0]!.cause.text).not.toContain('’');
  }, 120_000);
});
