/** Issue 12 point 5: the fleet mix's `windowsHello` share reaches the devices and is refused off Windows. */
import { describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/index.ts';
import { loadScenario, planFleet } from '../../../simulator/scenario/index.ts';

const text = (mix: string) => `
seed: hello-plan
fleet:
  devices: 400
  mix:
${mix}
profiles:
  - { name: R, type: trusted, platforms: all }
`;

describe('fleet mix windowsHello (issue 12: Windows Hello was assumed on every PC)', () => {
  it('a share of 0.25 gives about a quarter of the PCs Windows Hello, the rest none; default: every PC', () => {
    const s = loadScenario({
      text: text(
        '    - { platform: windows, weight: 1, windowsHello: 0.25 }\n    - { platform: windows, weight: 1, tags: [d] }',
      ),
      file: 'h.yaml',
    });
    const plans = planFleet(s);
    const devices = plans.map((p) => ({ p, d: generateDevice(p.generate) }));
    const shared = devices.filter(({ p }) => p.mixEntry === 0);
    const hello = shared.filter(({ d }) => d.windowsHello).length / shared.length;
    expect(shared.length).toBeGreaterThan(100);
    expect(Math.abs(hello - 0.25)).toBeLessThan(0.08);
    const plain = devices.filter(({ p }) => p.mixEntry === 1);
    expect(plain.length).toBeGreaterThan(100);
    expect(plain.filter(({ d }) => !d.windowsHello)).toEqual([]);
  });

  it('is refused on another platform, naming the key and its line', () => {
    expect(() =>
      loadScenario({ text: text('    - { platform: macos, windowsHello: false }'), file: 'h.yaml' }),
    ).toThrow(/h\.yaml:6.*windowsHello.*applies to Windows devices only, not macos/s);
  });
});
