/**
 * `renderDeviceStory(story)`: one device's story as `certfleet show device ID --run DIR` prints it —
 * who the device is (attributes present and absent, with the reason), what its key stores held at the
 * end of the run, each profile's outcome with its native status, the payloads it was sent, and its
 * timeline. Pure; colour is an argument. Text from the run is reduced to printable single lines.
 */
import type { AttributeName } from '../../agent/device/device.ts';
import { recordedAbsenceText } from '../scenario/absence-causes.ts';
import { oneLine, painter, type Paint } from './ansi.ts';
import { nativeText } from './report-json.ts';
import { REMOVED_BY_SCENARIO, type DeviceStory } from './run-db.ts';
import { byCodeUnits } from './summary.ts';

/** Options of {@link renderDeviceStory}. */
export interface RenderDeviceStoryOptions {
  color?: boolean;
  /** Print the whole inventory as JSON (default: a one-line mention). */
  inventory?: boolean;
}

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix) out.push([prefix, '{}']);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.push([prefix, typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined')]);
  }
}

function kv(rows: [string, string][], paint: Paint, dimValue?: (v: string) => boolean): string[] {
  const w = Math.max(0, ...rows.map(([k]) => oneLine(k).length));
  return rows.map(
    ([k, v]) => `  ${oneLine(k).padEnd(w)}  ${dimValue?.(v) ? paint('dim', oneLine(v)) : oneLine(v)}`,
  );
}

const STATUS_STYLE = {
  installed: 'green',
  failed: 'red',
  pending: 'yellow',
  skipped: 'magenta',
  'not-applicable': 'dim',
} as const;

/** Renders a device story as text (lines end with `\n`). */
export function renderDeviceStory(story: DeviceStory, options: RenderDeviceStoryOptions = {}): string {
  const paint = painter(options.color ?? false);
  const d = story.device;
  const out: string[] = [];
  const h = (t: string) => {
    out.push('', paint('bold', t));
  };

  // a retired device says so, and when (the service's `retired` event in its timeline), whatever its
  // record's enrolled mark: it did enrol, and is no longer enrolled (run.db files of older runs kept the mark)
  const retired = story.timeline.find((e) => e.type === 'retired');
  const state =
    retired !== undefined
      ? paint('red', `retired ${oneLine(retired.at)}`)
      : d.enrolled
        ? paint('green', 'enrolled')
        : paint('red', 'not enrolled');
  out.push(
    `${paint('bold', `Device ${oneLine(d.id)}`)} (#${d.index}) · ${d.platform} / ${oneLine(d.kind)} · OS ${oneLine(d.osVersion)} · ` +
      `${oneLine(d.model)} · ${state}`,
  );
  out.push(
    `Run: scenario ${oneLine(story.run.scenario)} · seed ${oneLine(story.run.seed)} · started ${oneLine(story.run.startedAt)}`,
  );
  const stopped = story.run.interrupted;
  if (stopped !== undefined) {
    out.push(
      paint(
        'red',
        `This run was INTERRUPTED by ${oneLine(stopped.signal)} at virtual ${oneLine(stopped.at)}: ` +
          'what follows is the device as it stood then, not at the end of the scenario.',
      ),
    );
  }

  h('Attributes');
  const { [REMOVED_BY_SCENARIO]: removed, ...factsShown } = d.facts;
  const removedByScenario = (typeof removed === 'object' && removed !== null ? removed : {}) as Record<
    string,
    string
  >;
  const attrs: [string, string][] = [
    ...Object.entries(d.attributes).map(([k, v]): [string, string] => [k, v]),
    ...Object.entries(d.absent).map(([k, why]): [string, string] => {
      const rule = recordedAbsenceText(d, k as AttributeName) ?? removedByScenario[k];
      return [k, `(absent: ${why}${rule === undefined ? '' : ` — ${rule}`})`];
    }),
  ].sort(([a], [b]) => byCodeUnits(a, b));
  out.push(...(attrs.length ? kv(attrs, paint, (v) => v.startsWith('(absent: ')) : ['  (none recorded)']));

  const facts: [string, string][] = [];
  flatten(factsShown, '', facts);
  if (facts.length) {
    h('Facts');
    out.push(...kv(facts, paint));
  }

  h('Inventory');
  if (!story.inventory) out.push('  (none reported)');
  else {
    const inv = story.inventory.inventory as { shape?: unknown } | null;
    const shape =
      inv && typeof inv === 'object' && typeof inv.shape === 'string' ? inv.shape : 'unknown shape';
    out.push(
      `  ${oneLine(shape)}, reported ${oneLine(story.inventory.at)}${options.inventory ? '' : ' (--inventory prints it)'}`,
    );
    if (options.inventory)
      for (const line of JSON.stringify(story.inventory.inventory, null, 2).split('\n'))
        out.push(`  ${oneLine(line)}`);
  }

  h('Key stores (end of run)');
  if (story.storesNotCollected !== undefined)
    out.push(`  (not collected: ${oneLine(story.storesNotCollected)})`);
  else if (story.stores.length === 0) out.push('  (empty)');
  let store = '';
  for (const it of story.stores) {
    if (it.store !== store) {
      store = it.store;
      out.push(`  ${paint('bold', oneLine(store))}`);
    }
    const extra = Object.keys(it.attrs).length ? ` ${JSON.stringify(it.attrs)}` : '';
    out.push(`    ${it.kind.padEnd(11)} ${oneLine(it.subject)}`);
    out.push(
      paint(
        'dim',
        `      issuer ${oneLine(it.issuer)} · thumbprint ${oneLine(it.thumbprint)} · ${it.notBefore ? `valid ${oneLine(it.notBefore)} → ` : 'valid until '}${oneLine(it.notAfter)} · ref ${oneLine(it.ref)}${oneLine(extra)}`,
      ),
    );
  }

  h('Outcomes');
  if (story.outcomes.length === 0) out.push('  (none)');
  const pw = Math.max(0, ...story.outcomes.map((o) => oneLine(o.profile).length));
  for (const o of story.outcomes) {
    const native = nativeText(o.native);
    out.push(
      `  ${oneLine(o.profile).padEnd(pw)}  ${paint(STATUS_STYLE[o.status], o.status.padEnd(9))} ${o.code}` +
        `${o.renewals ? paint('cyan', ` · renewed ${o.renewals}×`) : ''} · ${oneLine(o.at)}`,
    );
    if (o.message && o.message !== o.status) out.push(`  ${' '.repeat(pw)}  ${oneLine(o.message)}`);
    if (native) out.push(`  ${' '.repeat(pw)}  ${paint('dim', `native: ${oneLine(native)}`)}`);
  }

  if (story.deliveries.length) {
    h('Deliveries');
    for (const x of story.deliveries)
      out.push(
        `  ${oneLine(x.at)}  ${oneLine(x.profile)} · ${oneLine(x.format)} ${x.bytes} bytes · attempt ${x.attempt} · ${oneLine(x.topic)}`,
      );
  }

  h('Timeline');
  if (story.timeline.length === 0) out.push('  (no events)');
  const tw = Math.max(0, ...story.timeline.map((e) => oneLine(e.type).length));
  for (const e of story.timeline)
    out.push(
      `  ${oneLine(e.at)}  ${oneLine(e.type).padEnd(tw)}  ${e.profile ? `[${oneLine(e.profile)}] ` : ''}${oneLine(e.detail)}`,
    );
  return out.join('\n') + '\n';
}
