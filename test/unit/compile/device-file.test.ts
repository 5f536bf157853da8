/**
 * `profile compile --device FILE` resolves variables from the device's native inventory, as the MDM service
 * does (simulator/service/mdm factsFromInventory), not from the `attributes` copy in the same file.
 */
import { describe, expect, it } from 'vitest';
import { newDeviceReport } from '../../../agent/device/index.ts';
import { resolveTemplate } from '../../../profiles/variables/resolve-template.ts';
import { parseDeviceText } from '../../../simulator/tools/device-file.ts';

type Json = { device: Record<string, unknown>; inventory: Record<string, unknown> };
const report = (platform: 'ios' | 'windows'): Json =>
  JSON.parse(
    JSON.stringify(
      newDeviceReport({
        seed: 'device-file',
        platform,
        kind: platform === 'ios' ? 'device' : 'hybrid-joined',
      }),
    ),
  ) as Json;
const serialOf = (json: Json): ReturnType<typeof resolveTemplate> =>
  resolveTemplate('CN={{SerialNumber}}', parseDeviceText(JSON.stringify(json), 'd.json').facts, {
    certificateType: 'device',
    target: 'subject',
  });

describe('regression issue 3: profile compile --device reads the native inventory', () => {
  it('iOS: the serial number comes from DeviceInformation SerialNumber, not device.attributes', () => {
    const json = report('ios');
    (json.inventory['queryResponses'] as Record<string, unknown>)['SerialNumber'] = 'EDITED-IN-INVENTORY';
    (json.device['attributes'] as Record<string, unknown>)['serialNumber'] = 'EDITED-IN-ATTRIBUTES';
    expect(parseDeviceText(JSON.stringify(json), 'd.json').factsFrom).toBe('inventory');
    expect(serialOf(json)).toEqual({ ok: true, value: 'CN=EDITED-IN-INVENTORY' });
  });

  it('iOS: removing SerialNumber from the inventory makes {{SerialNumber}} missing (not-reported)', () => {
    const json = report('ios');
    delete (json.inventory['queryResponses'] as Record<string, unknown>)['SerialNumber'];
    const r = serialOf(json);
    expect(r.ok ? undefined : r.outcome).toMatchObject({
      kind: 'MissingVariable',
      attribute: 'serialNumber',
      reason: 'not-reported',
    });
  });

  it('Windows: a 404 on SMBIOSSerialNumber carries its reason into the outcome', () => {
    const json = report('windows');
    const nodes = json.inventory['nodes'] as Record<string, unknown>;
    nodes['./DevDetail/Ext/Microsoft/SMBIOSSerialNumber'] = { status: 404, reason: 'not-reported' };
    const r = serialOf(json);
    expect(r.ok ? undefined : r.outcome).toMatchObject({
      kind: 'MissingVariable',
      attribute: 'serialNumber',
    });
  });

  it('a bare device object (no inventory) falls back to its attributes', () => {
    const json = report('ios');
    (json.device['attributes'] as Record<string, unknown>)['serialNumber'] = 'FROM-ATTRIBUTES';
    const loaded = parseDeviceText(JSON.stringify(json.device), 'd.json');
    expect(loaded.factsFrom).toBe('attributes');
    expect(
      resolveTemplate('CN={{SerialNumber}}', loaded.facts, { certificateType: 'device', target: 'subject' }),
    ).toEqual({ ok: true, value: 'CN=FROM-ATTRIBUTES' });
  });

  it('an inventory of the wrong shape is a USAGE error naming the file', () => {
    const json = report('ios');
    json.inventory = { shape: 'windows-omadm', nodes: {} };
    expect(() => parseDeviceText(JSON.stringify(json), 'd.json')).toThrow(
      /^d\.json: The ios inventory cannot be read/,
    );
  });
});
