// Loaded into the bench's agent host child (`NODE_OPTIONS=--expose-gc --import <this file>`, bench/idle.ts):
// at each SIGUSR2 it collects its garbage (a full GC) and appends one line to the file named by
// CERTFLEET_IDLE_PROBE_OUT: VmRSS (KiB, /proc/self/status), `process.memoryUsage()` heapUsed, heapTotal and
// external (bytes), and the committed size of V8's young generation (new_space, bytes: its semi-spaces grow with
// the allocation rate, whatever the process holds). So the bench reads the agents' own process, after a
// GC, at the moments it chooses.
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.CERTFLEET_IDLE_PROBE_OUT;
if (out && typeof globalThis.gc === 'function') {
  const gc = globalThis.gc;
  process.on('SIGUSR2', () => {
    gc();
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const u = process.memoryUsage();
    const young = getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space');
    appendFileSync(
      out,
      `${JSON.stringify({ pid: process.pid, rssKiB: m ? Number(m[1]) : null, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external, youngGeneration: young?.space_size ?? 0 })}\n`,
    );
  });
}
