/**
 * Issue 12 point 8 — `inspect` refused SyncML fragments and UTF-16 SyncML as "cannot tell the payload
 * format", reported a Get-only message "would be REFUSED" with no error, had no native statuses in --json,
 * and could not set device traits (a payload that fails on a PC without Windows Hello inspected as OK).
 */
import { describe, expect, it } from 'vitest';
import { inspectPayload } from '../../../agent/inspect.ts';
import { PLATFORM_ADAPTERS } from '../../../agent/platforms/index.ts';
import { FixedClock } from '../../../protocol/runtime/clock.ts';
import {
  hierarchy,
  message,
  NOW,
  pfxAtomic,
  pfxInstall,
  pfxOf,
  trustedAdd,
  UNIQUE_ID,
} from '../agent-windows/fixtures.ts';
import type { SyncmlItemCommand } from '../../../profiles/windows/syncml-model.ts';

const clock = new FixedClock(NOW);
const inspect = (bytes: Buffer, o: Parameters<typeof inspectPayload>[2] = {}) =>
  inspectPayload(bytes, PLATFORM_ADAPTERS, { clock, ...o });

const full = message([trustedAdd(hierarchy().root, 1)]).toString('utf8');
const body = full.slice(full.indexOf('<SyncBody>') + '<SyncBody>'.length, full.indexOf('<Final'));
const helloPfx = () =>
  message([
    trustedAdd(hierarchy().root, 1),
    trustedAdd(hierarchy().issuing, 2, { store: 'CA' }),
    pfxAtomic(pfxInstall({ pfxBlob: pfxOf(hierarchy()), keyLocation: 4, containerName: 'c1' }), 3),
  ]);

describe('inspect (issue 12 point 8)', () => {
  it.each([
    ['a fragment of commands', Buffer.from(body.trim())],
    ['a fragment after an XML declaration', Buffer.from(`<?xml version="1.0"?>\n${body.trim()}`)],
    ['a <SyncBody> fragment', Buffer.from(full.slice(full.indexOf('<SyncBody>'), full.indexOf('</SyncML>')))],
    ['UTF-16LE with a BOM', Buffer.from(`\uFEFF${full.replace('UTF-8', 'UTF-16')}`, 'utf16le')],
    ['a UTF-16LE fragment', Buffer.from(`\uFEFF${body.trim()}`, 'utf16le')],
  ])('%s installs the root as the whole message does, with a note', (_name, bytes) => {
    const r = inspect(bytes);
    const whole = inspect(Buffer.from(full));
    expect(r).toMatchObject({ format: 'syncml', platform: 'windows', ok: true, errors: [] });
    expect(r.items.map((i) => [i.kind, i.thumbprint])).toEqual(
      whole.items.map((i) => [i.kind, i.thumbprint]),
    );
    expect(r.items).toHaveLength(1);
    expect(r.notes.length).toBeGreaterThan(0);
    expect(whole.notes).toEqual([]);
  });

  it('a broken fragment is refused with a coded error and the file line, not a usage error', () => {
    const r = inspect(
      Buffer.from(`<Add>\n  <CmdID>1</CmdID>\n  <Item><Target><LocURI>/bad</LocURI></Target></Item>\n</Add>`),
    );
    expect(r.ok).toBe(false);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.every((e) => e.code.startsWith('SYNCML_') || e.code.startsWith('INSTALL_'))).toBe(true);
    expect(r.errors[0]!.path).toMatch(/^SyncML\/SyncBody\/Add/);
  });

  it('a message of Gets is answered as the device answers it, not refused', () => {
    const get = Buffer.from(
      '<Get><CmdID>4</CmdID><Item><Target><LocURI>./DevInfo/Man</LocURI></Target></Item></Get>' +
        '<Get><CmdID>5</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/X/Status</LocURI></Target></Item></Get>',
    );
    const r = inspect(get);
    expect(r.ok).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.outcomes).toEqual([]);
    expect(r.answers.map((a) => [a.cmd, a.cmdRef, a.status])).toEqual([
      ['Get', 4, 200],
      ['Get', 5, 404],
    ]);
    expect(r.answers[0]!.results?.[0]).toMatchObject({ locUri: './DevInfo/Man' });
    expect(r.answers[0]!.results?.[0]?.data).not.toBe('');
  });

  it('every refusal carries a coded error (a message with nothing to do)', () => {
    const r = inspect(Buffer.from('<SyncBody><Final/></SyncBody>'));
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['SYNCML_INVALID']);
  });

  it.each([
    { windowsHello: true, ok: true, code: 'OK', syncml: 200 },
    { windowsHello: false, ok: false, code: 'INSTALL_KSP_UNAVAILABLE', syncml: 500 },
  ])('--windows-hello $windowsHello: KeyLocation 4 → $code, native status in outcomes', (row) => {
    const r = inspect(helloPfx(), {
      windowsHello: row.windowsHello,
      tpm: false,
      osVersion: '10.0.19045.4651',
    });
    expect(r.ok).toBe(row.ok);
    expect(r.device).toMatchObject({
      windowsHello: row.windowsHello,
      tpm: false,
      osVersion: '10.0.19045.4651',
    });
    const pfx = r.outcomes.find((o) => o.payload.includes('PFXCertInstall'));
    expect(pfx).toMatchObject({ code: row.code, native: { platform: 'windows', syncml: row.syncml } });
    if (!row.ok) expect(r.errors.map((e) => e.code)).toContain('INSTALL_KSP_UNAVAILABLE');
  });

  it('a Graph JSON file is refused with a pointer to profile import; traits off Windows are refused', () => {
    const graph = Buffer.from('{"@odata.type": "#microsoft.graph.windows81TrustedRootCertificate"}');
    expect(() => inspect(graph)).toThrow(/profile import/);
    expect(() =>
      inspect(Buffer.from(full), { platform: 'windows', kind: 'entra-joined', tpm: true }),
    ).not.toThrow();
    const ios = '<?xml version="1.0"?><plist version="1.0"><dict/></plist>';
    expect(() => inspect(Buffer.from(ios), { windowsHello: false })).toThrow(/Windows devices/);
  });

  describe('a Get on a list (interior) node is answered with the child node names', () => {
    const get = (cmdId: number, ...uris: string[]): SyncmlItemCommand => ({
      kind: 'Get',
      cmdId,
      items: uris.map((target) => ({ target })),
    });
    const PFX = './Vendor/MSFT/ClientCertificateInstall/PFXCertInstall';
    const RCA = './Device/Vendor/MSFT/RootCATrustedCertificates';
    const answer = (r: ReturnType<typeof inspect>, cmdRef: number) =>
      r.answers.find((a) => a.cmdRef === cmdRef);

    it('on a fresh device the lists exist and are empty; an absent node is 404 (answered, not refused)', () => {
      const r = inspect(
        message([get(1, PFX), get(2, `${RCA}/Root`), get(3, `${RCA}/Root/${'AB'.repeat(20)}`)]),
      );
      expect(r.answers.map((a) => [a.cmd, a.cmdRef, a.status])).toEqual([
        ['Get', 1, 200],
        ['Get', 2, 200],
        ['Get', 3, 404],
      ]);
      expect(answer(r, 1)!.results).toEqual([{ locUri: PFX, data: '' }]);
      expect(answer(r, 2)!.results).toEqual([{ locUri: `${RCA}/Root`, data: '' }]);
      expect(r.ok).toBe(true);
      expect(r.errors).toEqual([]);
    });

    it('after installs in the same message: the PFX UniqueID, the root and intermediate thumbprints, the leaves', () => {
      const h = hierarchy();
      const r = inspect(
        message([
          trustedAdd(h.root, 1),
          trustedAdd(h.issuing, 2, { store: 'CA' }),
          pfxAtomic(pfxInstall({ pfxBlob: pfxOf(h), keyLocation: 3 }), 3),
          get(20, PFX),
          get(21, `${RCA}/Root`, `${RCA}/CA`, RCA),
          get(22, `${PFX}/${UNIQUE_ID}`, `${RCA}/Root/${h.root.sha1Thumbprint}`),
        ]),
      );
      expect(r.outcomes.map((o) => o.status)).toEqual(['installed', 'installed', 'installed']);
      expect(answer(r, 20)).toMatchObject({ status: 200, results: [{ locUri: PFX, data: UNIQUE_ID }] });
      expect(answer(r, 21)?.status).toBe(200);
      expect(answer(r, 21)!.results!.map((x) => x.data)).toEqual([
        h.root.sha1Thumbprint,
        h.issuing.sha1Thumbprint,
        'Root/CA/TrustedPeople/TrustedPublisher/UntrustedCertificates/OemEsim',
      ]);
      expect(answer(r, 22)!.results!.map((x) => x.data)).toEqual([
        'KeyLocation/Status/Thumbprint',
        'EncodedCertificate/IssuedBy/IssuedTo/ValidFrom/ValidTo/TemplateName',
      ]);
      expect(r.ok).toBe(true);
    });

    it('a Get of a list and an absent node in one command is 404 as a whole (every item must exist)', () => {
      const r = inspect(message([get(1, PFX, `${PFX}/NOPE`)]));
      expect(answer(r, 1)).toMatchObject({ status: 404 });
      expect(answer(r, 1)!.results).toBeUndefined();
    });

    it('a Get inside an Atomic is refused (500) with a coded error naming the statuses', () => {
      const r = inspect(message([{ kind: 'Atomic', cmdId: 1, children: [get(2, PFX)] }]));
      expect(r.answers.find((a) => a.cmd === 'Get')?.status).toBe(500);
      expect(r.ok).toBe(false);
      expect(r.errors.length).toBeGreaterThan(0);
      expect(r.errors.every((e) => e.code.length > 0)).toBe(true);
      expect(r.errors.map((e) => e.message).join(' ')).toMatch(/Get 2: 500/);
    });
  });
});
