import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDevice } from '../../../agent/device/index.ts';
import { inventoryOf } from '../../../agent/device/inventory.ts';
import type { StoreItem } from '../../../agent/keystore/store-db.ts';
import { isCertfleetError } from '../../../pki/errors.ts';
import { planDevices } from '../../../simulator/fleet/plan-devices.ts';
import { renderDeviceStory } from '../../../simulator/report/device-story.ts';
import { loadScenario } from '../../../simulator/scenario/index.ts';
import {
  RUN_DB_FILE,
  RunDb,
  deviceRecordOf,
  runDbPath,
  type DeliveryRecord,
  type DeviceRecord,
  type DeviceStory,
} from '../../../simulator/report/run-db.ts';
import { NASTY_MESSAGE, sampleRun } from './fixture.ts';

const root = mkdtempSync(join(tmpdir(), 'certfleet-rundb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `run-${n++}`);
  return d;
};

/** Recognisable "private key" bytes: must never appear in the run database file. */
const PRIVATE_KEY = Buffer.from('-----PRIVATE-KEY-MATERIAL-0123456789abcdef-----');
const CERT_DER = Buffer.from('certificate-der-bytes-0001');

function storeItem(over: Partial<StoreItem> = {}): StoreItem {
  return {
    deviceId: 'win-2',
    store: 'windows/machine/My',
    kind: 'identity',
    ref: './Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/wifi',
    thumbprint: 'ab'.repeat(20),
    subject: 'CN=win-2.corp.contoso.com',
    issuer: 'CN=Contoso Issuing CA',
    notBefore: '2026-03-01T00:00:00.000Z',
    notAfter: '2027-03-01T00:00:00.000Z',
    certificate: CERT_DER,
    privateKey: PRIVATE_KEY,
    attrs: {
      exportable: false,
      ksp: 'Microsoft Platform Crypto Provider',
      pfxPassword: 'S3cret',
      nested: { pin: '1234', keep: 1 },
    },
    installedAt: '2026-03-01T00:02:00.000Z',
    ...over,
  };
}

function win2Record(): DeviceRecord {
  return {
    id: 'win-2',
    index: 1,
    platform: 'windows',
    kind: 'hybrid-joined',
    osVersion: '1.0',
    model: 'model-win-2',
    enrolled: true,
    facts: { ownership: 'corporate', tpm: false, hardware: { modelId: 'hp-elitebook-840', ramMb: 16384 } },
    attributes: { serialNumber: 'SN123', fullyQualifiedDomainName: 'win-2.corp.contoso.com' },
    absent: { imei: 'not-reported' },
  };
}

const DELIVERY: DeliveryRecord = {
  device: 'win-2',
  profile: 'Wi-Fi PKCS',
  payload: './Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/wifi',
  format: 'syncml',
  topic: 't/contoso/devices/win-2/in/syncml',
  bytes: 4321,
  attempt: 1,
  at: '2026-03-01T00:01:00.000Z',
  contentHash: 'c0ffee',
};

/** Records the fixture run the way the service would during a run, and returns the path. */
function recordSample(path: string, batchSize = 3): void {
  const run = sampleRun();
  const db = RunDb.create(path, { batchSize });
  db.recordRun(run);
  for (const d of run.devicesList)
    db.recordDevice(
      d.id === 'win-2'
        ? { ...win2Record(), enrolled: false }
        : { ...d, facts: {}, attributes: {}, absent: {} },
    );
  db.recordEnrolled('win-2');
  db.recordInventory({
    device: 'win-2',
    at: '2026-03-01T00:00:10.000Z',
    inventory: { shape: 'windows-omadm', nodes: { a: 1 } },
  });
  db.recordInventory({
    device: 'win-2',
    at: '2026-03-02T00:00:10.000Z',
    inventory: { shape: 'windows-omadm', nodes: { a: 2 } },
  });
  db.recordDelivery(DELIVERY);
  for (const e of run.events) db.recordEvent(e);
  // an early outcome, replaced by the final one in finishRun
  db.recordOutcome({ ...run.outcomes[3]!, status: 'pending', code: 'OK', message: 'delivered' });
  db.snapshotStores([
    storeItem(),
    storeItem({
      store: 'windows/machine/Root',
      kind: 'certificate',
      thumbprint: 'CD'.repeat(20),
      privateKey: undefined,
      attrs: {},
    }),
  ]);
  db.finishRun(run);
  db.close();
}

function expectedWin2Story(): DeviceStory {
  const run = sampleRun();
  return {
    run: { scenario: 'fixture', seed: 'seed-42', startedAt: '2026-03-01T07:59:00.000Z' },
    device: win2Record(),
    inventory: {
      device: 'win-2',
      at: '2026-03-02T00:00:10.000Z',
      inventory: { shape: 'windows-omadm', nodes: { a: 2 } },
    },
    stores: [
      {
        deviceId: 'win-2',
        store: 'windows/machine/My',
        kind: 'identity',
        ref: './Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/wifi',
        subject: 'CN=win-2.corp.contoso.com',
        issuer: 'CN=Contoso Issuing CA',
        thumbprint: 'AB'.repeat(20),
        notBefore: '2026-03-01T00:00:00.000Z',
        notAfter: '2027-03-01T00:00:00.000Z',
        installedAt: '2026-03-01T00:02:00.000Z',
        attrs: { exportable: false, ksp: 'Microsoft Platform Crypto Provider', nested: { keep: 1 } },
      },
      {
        deviceId: 'win-2',
        store: 'windows/machine/Root',
        kind: 'certificate',
        ref: './Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/wifi',
        subject: 'CN=win-2.corp.contoso.com',
        issuer: 'CN=Contoso Issuing CA',
        thumbprint: 'CD'.repeat(20),
        notBefore: '2026-03-01T00:00:00.000Z',
        notAfter: '2027-03-01T00:00:00.000Z',
        installedAt: '2026-03-01T00:02:00.000Z',
        attrs: {},
      },
    ],
    deliveries: [DELIVERY],
    outcomes: run.outcomes
      .filter((o) => o.device === 'win-2')
      .sort((a, b) => (a.profile < b.profile ? -1 : 1)),
    timeline: run.events.filter((e) => e.device === 'win-2'),
  };
}

describe('RunDb', () => {
  it('round trip: what the run recorded is the story `show device` reads back', () => {
    const dir = freshDir();
    const path = runDbPath(dir);
    ensureDir(dir);
    recordSample(path);
    const db = RunDb.open(dir); // the folder, as --run DIR gives it
    expect(db.deviceStory('win-2')).toEqual(expectedWin2Story());
    expect(db.deviceStory('nope')).toBeUndefined();
    expect(db.deviceIds()).toEqual(['win-1', 'win-2', 'ios-1', 'and-1', 'and-2', 'and-3', 'mac-1', 'mac-2']);
    const info = db.run();
    expect(info).toMatchObject({
      scenario: 'fixture',
      seed: 'seed-42',
      devices: 8,
      finishedAt: '2026-12-01T00:00:00.000Z',
    });
    expect(info?.expectations.map((e) => e.held)).toEqual([true, false]);
    expect(info?.metrics?.connectorLoad).toEqual({ 'connector-2': 4, 'connector-1': 5 });
    db.close();
  });

  it('batches writes in transactions and loses nothing past a batch boundary', () => {
    const path = join(root, 'batch.db');
    const db = RunDb.create(path, { batchSize: 50 });
    db.recordRun({ scenario: 's', seed: '1', startedAt: 't', devices: 1234 });
    for (let i = 0; i < 1234; i++) {
      db.recordDevice({
        id: `d${i}`,
        index: i,
        platform: 'ios',
        kind: 'device',
        osVersion: '17',
        model: 'm',
        enrolled: true,
        facts: {},
        attributes: {},
        absent: {},
      });
      db.recordEvent({ at: `t${i}`, device: `d${i}`, type: 'enrolled', detail: '' });
    }
    // 1 + 2 × 1,234 = 2,469 operations: 49 full batches (2,450: the run, then 1,225 devices and 1,224 events)
    // are committed, 19 are still queued; a second connection sees exactly the committed ones.
    const peek = new Database(path, { readonly: true });
    const count = (t: string) => (peek.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect([count('run'), count('devices'), count('events')]).toEqual([1, 1225, 1224]);
    peek.close();
    db.close();
    const again = RunDb.open(path);
    expect(again.deviceIds()).toHaveLength(1234);
    expect(again.deviceStory('d1233')?.timeline).toEqual([
      { at: 't1233', device: 'd1233', type: 'enrolled', detail: '' },
    ]);
    again.close();
  });

  it('never stores a private key, certificate bytes or a secret-looking attribute', () => {
    const dir = freshDir();
    ensureDir(dir);
    recordSample(runDbPath(dir), 1);
    expect(readdirSync(dir)).toEqual([RUN_DB_FILE]); // WAL checkpointed on close
    const bytes = readFileSync(runDbPath(dir));
    for (const secret of [PRIVATE_KEY, CERT_DER, Buffer.from('S3cret'), Buffer.from('"pin"')])
      expect(bytes.includes(secret), secret.toString()).toBe(false);
    const raw = new Database(runDbPath(dir), { readonly: true });
    const cols = (
      raw.prepare("SELECT name FROM pragma_table_info('store_items')").all() as { name: string }[]
    ).map((c) => c.name);
    raw.close();
    expect(cols.some((c) => /key|cert|pass/i.test(c))).toBe(false);
  });

  it('recordResult writes a whole run at once', () => {
    const path = join(root, 'whole.db');
    const db = RunDb.create(path);
    db.recordResult(sampleRun());
    db.close();
    const r = RunDb.open(path);
    const story = r.deviceStory('and-1');
    expect(story?.outcomes.map((o) => [o.profile, o.status, o.code])).toEqual([
      ['Contoso Root', 'installed', 'OK'],
      ['Wi-Fi PKCS', 'failed', 'VARIABLE_MISSING'],
    ]);
    expect(story?.outcomes[1]?.native).toEqual({
      platform: 'android',
      nonCompliance: { settingName: 'openNetworkConfiguration', nonComplianceReason: 'INVALID_VALUE' },
    });
    expect(story?.timeline.map((e) => e.type)).toEqual(['enrolled']);
    expect(r.deviceStory('mac-1')?.device.enrolled).toBe(false);
    r.close();
  });

  it.each([
    ['win-2', 'win-2'],
    ['#3', 'and-1'],
    ['5', 'and-3'],
    ['IOS', 'ios-1'],
    ['mac-2', 'mac-2'],
  ])('resolveDevice(%j) → %s', (query, id) => {
    const path = join(root, 'resolve.db');
    if (!existsSync(path)) {
      const db = RunDb.create(path);
      db.recordResult(sampleRun());
      db.close();
    }
    const db = RunDb.open(path);
    expect(db.resolveDevice(query)).toBe(id);
    db.close();
  });

  it.each([
    ['and', 'matches several devices (and-1, and-2, and-3)'],
    ['zzz', 'No device "zzz" in this run'],
    ['#99', 'No device "#99"'],
  ])('resolveDevice(%j) fails with USAGE: %s', (query, text) => {
    const path = join(root, 'resolve.db');
    const db = RunDb.open(path);
    let err: unknown;
    try {
      db.resolveDevice(query);
    } catch (e) {
      err = e;
    }
    db.close();
    expect(isCertfleetError(err, 'USAGE')).toBe(true);
    expect((err as Error).message).toContain(text);
  });

  describe('bare digits, with ids that start with digits (real ids are hex)', () => {
    const IDS: Record<string, string> = {
      'win-1': '3076a79f-0000-4000-8000-000000000001',
      'mac-2': '30bb0000-0000-4000-8000-000000000002',
      'ios-1': '5e000000-0000-4000-8000-000000000003',
    };
    function hexRun(): string {
      const path = join(root, 'resolve-hex.db');
      if (!existsSync(path)) {
        let text = JSON.stringify(sampleRun());
        for (const [from, to] of Object.entries(IDS)) text = text.replaceAll(`"${from}"`, `"${to}"`);
        const db = RunDb.create(path);
        db.recordResult(JSON.parse(text) as ReturnType<typeof sampleRun>);
        db.close();
      }
      return path;
    }

    it.each([
      ['307', IDS['win-1']],
      ['#3', 'and-1'],
      ['#5', 'and-3'],
      ['4', 'and-2'], // no id starts with 4: the index
      ['5E', IDS['ios-1']],
    ])('resolveDevice(%j) → %s', (query, id) => {
      const db = RunDb.open(hexRun());
      expect(db.resolveDevice(query)).toBe(id);
      db.close();
    });

    it.each([
      ['3', '"3" is both device #3 and the start of several ids', 'write #3'],
      ['5', `"5" is both device #5 and the start of the id ${IDS['ios-1']}`, 'write #5'],
      ['30', 'matches several devices', IDS['win-1'] as string],
    ])('resolveDevice(%j) fails with USAGE: %s', (query, text, more) => {
      const db = RunDb.open(hexRun());
      let err: unknown;
      try {
        db.resolveDevice(query);
      } catch (e) {
        err = e;
      }
      db.close();
      expect(isCertfleetError(err, 'USAGE')).toBe(true);
      expect((err as Error).message).toContain(text);
      expect((err as Error).message).toContain(more);
    });
  });

  it.each([
    ['a missing folder', () => RunDb.open(join(root, 'no-such-run')), 'No run database at'],
    ['a file that is not a database', () => RunDb.open(join(root, 'not-a-db.txt')), ''],
    [
      'create over an existing run',
      () => RunDb.create(join(root, 'whole.db')),
      'already holds a run database',
    ],
  ])('%s → IO', (_name, fn, text) => {
    if (!existsSync(join(root, 'not-a-db.txt'))) writeFileSync(join(root, 'not-a-db.txt'), 'hello');
    let err: unknown;
    try {
      fn().close();
    } catch (e) {
      err = e;
    }
    expect(isCertfleetError(err, 'IO')).toBe(true);
    expect((err as Error).message).toContain(text);
  });

  it('lists items installed at the same instant by what installed them, not by their (random) thumbprints', () => {
    // thumbprints come from random keys: in another run the same two items have them the other way round
    const low = 'AA'.repeat(20);
    const high = 'FF'.repeat(20);
    const ref = (name: string): string => `./Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/${name}`;
    for (const [vpn, wifi] of [
      [low, high],
      [high, low],
    ] as const) {
      const path = join(root, `store-order-${vpn.slice(0, 2)}.db`);
      const db = RunDb.create(path);
      db.recordRun(sampleRun());
      db.recordDevice({ ...win2Record(), enrolled: true });
      db.snapshotStores([
        storeItem({ ref: ref('wifi'), thumbprint: wifi }),
        storeItem({ ref: ref('vpn'), thumbprint: vpn }),
      ]);
      db.close();
      const r = RunDb.open(path);
      const last = (items: { ref: string }[]): (string | undefined)[] =>
        items.map((s) => s.ref.split('/').at(-1));
      expect(last(r.deviceStory('win-2')!.stores)).toEqual(['vpn', 'wifi']);
      expect(last(r.storeItems())).toEqual(['vpn', 'wifi']);
      r.close();
    }
  });

  it('create with overwrite replaces the old run', () => {
    const path = join(root, 'overwrite.db');
    const a = RunDb.create(path);
    a.recordResult(sampleRun());
    a.close();
    const b = RunDb.create(path, { overwrite: true });
    b.close();
    const c = RunDb.open(path);
    expect(c.deviceIds()).toEqual([]);
    c.close();
  });

  it('a read-only database refuses writes', () => {
    const c = RunDb.open(join(root, 'whole.db'));
    expect(() => c.recordEvent({ at: 't', type: 'x', detail: '' })).toThrow(/read-only/);
    c.close();
  });

  it('deviceRecordOf keeps the facts, attributes and absence reasons of a generated device', () => {
    const device = generateDevice({
      seed: 'rundb',
      index: 0,
      platform: 'android',
      kind: 'work-profile-personal',
      overrides: { enrolledOsVersion: '13', osVersion: '14' },
    });
    const rec = deviceRecordOf(device, true);
    expect(rec).toMatchObject({
      id: device.id,
      platform: 'android',
      kind: 'work-profile-personal',
      osVersion: '14',
      enrolled: true,
    });
    expect(rec.absent).toEqual(device.absent);
    expect(rec.attributes).toEqual(device.attributes);
    expect(rec.absent.serialNumber).toBe('android12-work-profile');
    expect(rec.facts.ownership).toBe('personal');
    expect(rec.facts).not.toHaveProperty('attributes');
    const db = RunDb.create(':memory:');
    db.recordDevice(rec);
    db.recordInventory({ device: device.id, at: 't', inventory: inventoryOf(device) });
    expect(db.deviceStory(device.id)?.device).toEqual(rec);
    expect(db.deviceStory(device.id)?.inventory?.inventory).toEqual(
      JSON.parse(JSON.stringify(inventoryOf(device))),
    );
    db.close();
  });
});

describe('renderDeviceStory', () => {
  const story = expectedWin2Story();
  const text = renderDeviceStory(story);

  it.each([
    ['the header', 'Device win-2 (#1) · windows / hybrid-joined · OS 1.0 · model-win-2 · enrolled'],
    ['the run', 'Run: scenario fixture · seed seed-42'],
    ['a present attribute', 'serialNumber              SN123'],
    ['an absent attribute and why', 'imei                      (absent: not-reported)'],
    ['nested facts', /hardware\.ramMb +16384/],
    ['the inventory shape', 'windows-omadm, reported 2026-03-02T00:00:10.000Z (--inventory prints it)'],
    ['a store item', '    identity    CN=win-2.corp.contoso.com'],
    ['its thumbprint', `thumbprint ${'AB'.repeat(20)}`],
    ['the failed outcome', 'Wi-Fi PKCS    failed    INSTALL_KSP_UNAVAILABLE'],
    ['its message', NASTY_MESSAGE],
    ['its native status', 'native: SyncML 500 · CSP status 0x80090030 · Intune 0x87D101F4'],
    ['a delivery', 'Wi-Fi PKCS · syncml 4321 bytes · attempt 1 · t/contoso/devices/win-2/in/syncml'],
    ['a timeline line', '2026-03-01T00:01:00.000Z  delivered  [Wi-Fi PKCS] SyncML 1 command'],
  ])('shows %s', (_what, line) => {
    if (typeof line === 'string') expect(text).toContain(line);
    else expect(text).toMatch(line);
  });

  it('prints the inventory on request, no colour by default, colour when asked, no control characters', () => {
    expect(renderDeviceStory(story, { inventory: true })).toContain('"shape": "windows-omadm"');
    expect(text).not.toContain('\u001b');
    expect(renderDeviceStory(story, { color: true })).toContain('\u001b[31mfailed');
    const evil = { ...story, device: { ...story.device, id: 'x\u001b[2Jy\nz' } };
    expect(renderDeviceStory(evil)).toContain('Device x[2Jy z');
  });

  it('names the rule behind an absence, as the failure summary does', () => {
    const device = deviceRecordOf(
      generateDevice({ seed: 'rundb', index: 0, platform: 'ios', kind: 'user' }),
      true,
    );
    const text = renderDeviceStory({ ...story, device });
    expect(text).toMatch(
      / imei +\(absent: not-reported — Apple User Enrollment hides hardware identifiers\)\n/,
    );
    expect(text).toContain('(absent: not-on-platform — only Windows devices have a computer account SID)');
  });

  it('an attribute the scenario removed (fleet.missing) says so, as the failure summary does; not listed among the facts', () => {
    // QA walkthrough: an iPhone with a modem whose IMEI the scenario removed read "imei (absent: not-reported)"
    const text = [
      'name: removed',
      'seed: removed-1',
      'duration: 1h',
      'fleet:',
      '  devices: 1',
      '  missing: { imei: 1 }',
      '  mix: [{ platform: ios, kind: device, cellular: true }]',
      'profiles:',
      '  - { name: Root, type: trusted-certificate, platforms: all, certificate: root }',
      '',
    ].join('\n');
    const scenario = loadScenario({ text, file: join(tmpdir(), 'removed.yaml'), baseDir: tmpdir() });
    const db = RunDb.create(':memory:');
    const { device } = planDevices(scenario, db).devices[0]!;
    const rendered = renderDeviceStory(db.deviceStory(device.id)!);
    db.close();
    expect(rendered).toMatch(
      / imei +\(absent: not-reported — removed by the scenario \(fleet\.missing\.imei: 100 % of devices\)\)\n/,
    );
    expect(rendered).not.toContain('removedByScenario');
  });

  it('says so when a device has nothing recorded', () => {
    const empty = renderDeviceStory({
      ...story,
      inventory: undefined,
      stores: [],
      deliveries: [],
      outcomes: [],
      timeline: [],
    });
    for (const s of ['(none reported)', '(empty)', '(none)', '(no events)']) expect(empty).toContain(s);
  });
});

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}
