// Loaded into the bench's agent host child (`NODE_OPTIONS=--expose-gc --import <this file>`, bench/idle.ts):
// at each SIGUSR2 it collects its garbage (a full GC) and appends one line to the file named by
// CERTFLEET_IDLE_PROBE_OUT — VmRSS (KiB, /proc/self/status) and `process.memoryUsage()` heapUsed and external
// (bytes) — so the bench reads the agents' own process, after a GC, at the moments it chooses.
import { appendFileSync, readFileSync } from 'node:fs';

const out = process.env.CERTFLEET_IDLE_PROBE_OUT;
if (out && typeof globalThis.gc === 'function') {
  const gc = globalThis.gc;
  process.on('SIGUSR2', () => {
    gc();
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const u = process.memoryUsage();
    appendFileSync(
      out,
      `${JSON.stringify({ pid: process.pid, rssKiB: m ? Number(m[1]) : null, heapUsed: u.heapUsed, external: u.external })}\n`,
    );
  });
}
