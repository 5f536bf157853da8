/**
 * The issuance pool: PKCS#12 builds (key export as PKCS#8 DER, the PBE key derivations, encryption and the
 * MAC — the service side's heaviest CPU step per certificate) on a few worker threads, so they do not
 * serialise on the thread that drives the run (docs/architecture.md "The fleet engine"); and re-wraps (the
 * open — MAC and key derivations, key decryption — and then the build) the same way.
 *
 * - Same bytes: a worker runs the same {@link buildPkcs12} on the same inputs. Salts and IVs are drawn from
 *   node:crypto's CSPRNG in the worker, as the in-thread build draws them (no run is reproducible in its
 *   PKCS#12 bytes: the PFX password is a CSPRNG secret too); a caller that needs fixed bytes passes them in
 *   `random` (drawn wherever it likes, in its own order) and gets byte-identical output in either mode.
 * - Key derivations: a worker sends back the PKCS#12 KDF and PBKDF2 results of its build with the file, and
 *   they go into this thread's memo (pkcs12-kdf.ts), so a parse of that file here (the device, in a
 *   one-process run) looks them up, as it does for a file built in this thread.
 * - Request order: each build resolves only after every build submitted before it resolved, so callers
 *   see results in the order they asked, never in the order the threads finished.
 * - Size: `size` threads (default `os.availableParallelism()`, at least 1), started on the first build;
 *   `size: 0` builds in the caller's thread, as before the pool. `CERTFLEET_ISSUE_WORKERS` sets it
 *   ({@link issueWorkersFrom}).
 * - Tear down: {@link Pkcs12Pool.close} terminates the threads and rejects what was not built; an idle
 *   thread is unref'd, so a pool nobody closed does not keep the process alive.
 *
 * The worker (pkcs12-worker.ts) is TypeScript: it is started with tsx registered in it, as bin/certfleet.mjs
 * does for the CLI.
 *
 * @example
 * const pool = new Pkcs12Pool({ size: 2 });
 * const pfx = await pool.build({ privateKey, certificates: [leafDer, caDer], password, profile: 'modern' });
 * await pool.close();
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CertfleetError, ERROR_CODES, type ErrorCode } from './errors.ts';
import { learnDerivations, type Pkcs12Derivations } from './pkcs12-kdf.ts';
import {
  buildPkcs12,
  drawPkcs12Random,
  rewrapPkcs12,
  type BuildPkcs12Options,
  type Pkcs12Profile,
  type RandomBytes,
  type RewrapPkcs12Options,
} from './pkcs12.ts';

/** The environment variable that sets the pool's size (0 = build in the calling thread). */
export const ISSUE_WORKERS_ENV = 'CERTFLEET_ISSUE_WORKERS';

/** The most threads a pool may have. */
export const MAX_ISSUE_WORKERS = 64;

/** One build: {@link BuildPkcs12Options} with the random bytes given up front instead of a function. */
export interface Pkcs12Job extends Omit<BuildPkcs12Options, 'random'> {
  /**
   * The bytes salts and IVs are taken from, in the order the build asks for them (fixed inputs, tests);
   * the build fails with INTERNAL when they run out. Default: node:crypto's CSPRNG.
   */
  random?: Buffer;
}

/** One re-wrap: the inputs of pkcs12.ts `rewrapPkcs12`, with the random bytes given up front as in {@link Pkcs12Job}. */
export interface Pkcs12RewrapJob {
  /** The PKCS#12 to open. */
  blob: Uint8Array;
  /** Opens `blob`. Never appears in errors. */
  oldPassword: string;
  /** The password of the file written. Never appears in errors. */
  newPassword: string;
  profile: Pkcs12Profile;
  /** Replaces the friendlyName; default: keep the one `blob` has. */
  friendlyName?: string;
  iterations?: number;
  /** The bytes the build's salts and IVs are taken from, in its order (pkcs12.ts `pkcs12RandomDraws`). */
  random?: Buffer;
}

/** Something that builds PKCS#12 files: the pool, or any other builder (in-thread). */
export interface Pkcs12Builder {
  build(job: Pkcs12Job): Promise<Buffer>;
  /** Opens and re-wraps `job.blob` where the builds run (the pool: on its threads): {@link rewrapPkcs12On}. */
  rewrap(job: Pkcs12RewrapJob): Promise<Buffer>;
}

/** Options of {@link Pkcs12Pool}. */
export interface Pkcs12PoolOptions {
  /** Worker threads (0 = in the calling thread). Default: `os.availableParallelism()`. */
  size?: number;
}

/** A build or a re-wrap, as the pool queues it and a worker runs it. */
export type Pkcs12Task = { build: Pkcs12Job } | { rewrap: Pkcs12RewrapJob };

/** What the worker is sent: the task, numbered. KeyObjects cross threads by postMessage. */
export type Pkcs12WorkerRequest = Pkcs12Task & { id: number };

/** What the worker answers; an error's `details` are a CertfleetError's (never secrets, pki/errors.ts). */
export type Pkcs12WorkerAnswer =
  | { id: number; pfx: Uint8Array; derivations?: Pkcs12Derivations }
  | { id: number; error: { code?: string; message: string; details?: Record<string, unknown> } };

/** A RandomBytes that hands out `bytes` in order (and a short buffer, refused by the build, once they run out). */
export function randomFromBytes(bytes: Uint8Array): RandomBytes {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  return (n) => {
    const out = Buffer.from(all.subarray(at, at + n));
    at += out.length;
    return out;
  };
}

/** Builds `job` in this thread (the pool's size-0 mode, and what a worker runs). */
export function buildPkcs12Job(job: Pkcs12Job): Buffer {
  const { random, ...rest } = job;
  return buildPkcs12({ ...rest, ...(random !== undefined && { random: randomFromBytes(random) }) });
}

/** Re-wraps `job` in this thread: pkcs12.ts `rewrapPkcs12` (the pool's size-0 mode, and what a worker runs). */
export function rewrapPkcs12Job(job: Pkcs12RewrapJob): Buffer {
  const { blob, oldPassword, newPassword, profile, friendlyName, iterations, random } = job;
  return rewrapPkcs12(blob, oldPassword, newPassword, profile, {
    ...(friendlyName !== undefined && { friendlyName }),
    ...(iterations !== undefined && { iterations }),
    ...(random !== undefined && { random: randomFromBytes(random) }),
  });
}

/** Runs `task` in this thread. */
export function runPkcs12Task(task: Pkcs12Task): Buffer {
  return 'build' in task ? buildPkcs12Job(task.build) : rewrapPkcs12Job(task.rewrap);
}

/**
 * pkcs12.ts `rewrapPkcs12` on `builder` (the issuance pool: off this thread): `blob` is opened with
 * `oldPassword`, and the same key, certificates and friendlyName are built under `newPassword` in `profile` —
 * both where the builder runs ({@link Pkcs12Builder.rewrap}). Given `options.random`, the salts and IVs are
 * drawn from it here, in the order the build takes them (pkcs12.ts `pkcs12RandomDraws`), so the bytes are
 * those of `rewrapPkcs12` with the same source.
 *
 * @throws CertfleetError (as a rejection) the codes of parsePkcs12 and of the builder
 */
export async function rewrapPkcs12On(
  builder: Pkcs12Builder,
  blob: Buffer | Uint8Array,
  oldPassword: string,
  newPassword: string,
  profile: Pkcs12Profile,
  options: RewrapPkcs12Options = {},
): Promise<Buffer> {
  const random = options.random !== undefined ? drawPkcs12Random(options.random, profile) : undefined;
  return builder.rewrap({
    blob,
    oldPassword,
    newPassword,
    profile,
    ...(options.friendlyName !== undefined && { friendlyName: options.friendlyName }),
    ...(options.iterations !== undefined && { iterations: options.iterations }),
    ...(random !== undefined && { random }),
  });
}

/**
 * The pool size `env` asks for with CERTFLEET_ISSUE_WORKERS, or undefined when it is unset or empty.
 *
 * @throws CertfleetError USAGE when it is not a whole number from 0 to {@link MAX_ISSUE_WORKERS}
 */
export function issueWorkersFrom(env: Record<string, string | undefined>): number | undefined {
  const raw = env[ISSUE_WORKERS_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n > MAX_ISSUE_WORKERS) {
    throw new CertfleetError(
      'USAGE',
      `${ISSUE_WORKERS_ENV}=${JSON.stringify(raw.slice(0, 40))} is not a whole number from 0 to ${MAX_ISSUE_WORKERS}: ` +
        'set it to the number of issuance threads (0 builds PKCS#12 files in the main thread) or unset it for one per core.',
    );
  }
  return n;
}

interface Pending {
  id: number;
  task: Pkcs12Task;
  resolve: (pfx: Buffer) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  job: Pending | undefined;
  /** Answered at least once: a thread that dies before that failed to start. */
  started: boolean;
}

const require = createRequire(import.meta.url);

/** The worker's bootstrap: register tsx in the thread, then load the TypeScript worker. */
function bootstrap(): string {
  // the package's ESM entry of `tsx/esm/api`, found from its package.json (a bare specifier would resolve
  // from the working directory in an eval'd worker, and require.resolve gives the CommonJS entry)
  const manifest = require.resolve('tsx/package.json');
  const pkg = require(manifest) as { exports: Record<string, { import: { default: string } }> };
  const tsx = new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(manifest)).href;
  const tsconfig = new URL('../tsconfig.json', import.meta.url);
  const worker = new URL('./pkcs12-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then(({ register }) => {
  register({ tsconfig: require('node:url').fileURLToPath(${JSON.stringify(tsconfig.href)}) });
  return import(${JSON.stringify(worker)});
});`;
}

/** A pool of PKCS#12 builders; see the file comment. */
export class Pkcs12Pool implements Pkcs12Builder {
  /** Threads it runs at most (0: builds in the calling thread). */
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #next = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #broken: CertfleetError | undefined;
  #built = 0;

  constructor(options: Pkcs12PoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 0 || size > MAX_ISSUE_WORKERS) {
      throw new CertfleetError(
        'USAGE',
        `The issuance pool size ${String(size)} is not a whole number from 0 to ${MAX_ISSUE_WORKERS}.`,
      );
    }
    this.size = size;
  }

  /** Builds done by the threads (0 in size-0 mode). */
  get built(): number {
    return this.#built;
  }

  /** Threads running now. */
  get threads(): number {
    return this.#slots.length;
  }

  /**
   * Builds `job` on a thread (in this thread for size 0). Resolves after every build asked for before it;
   * rejects with the build's own coded error (USAGE, CERT_PARSE, INTERNAL — as {@link buildPkcs12} throws
   * it) or ISSUE_POOL_FAILED when the pool is closed or a thread died.
   */
  build(job: Pkcs12Job): Promise<Buffer> {
    return this.#submit({ build: job });
  }

  /**
   * Opens and re-wraps `job.blob` on a thread (in this thread for size 0), in request order with the builds:
   * pkcs12.ts `rewrapPkcs12`. Rejects with its coded error (PKCS12_BAD_PASSWORD, PKCS12_PARSE… with the
   * message and details of parsePkcs12; the build's codes) or ISSUE_POOL_FAILED, as {@link build}.
   */
  rewrap(job: Pkcs12RewrapJob): Promise<Buffer> {
    return this.#submit({ rewrap: job });
  }

  #submit(task: Pkcs12Task): Promise<Buffer> {
    let raw: Promise<Buffer>;
    if (this.#closed || this.#broken) {
      raw = Promise.reject(this.#broken ?? closedError());
    } else if (this.size === 0) {
      try {
        raw = Promise.resolve(runPkcs12Task(task));
      } catch (e) {
        raw = Promise.reject(e);
      }
    } else {
      raw = new Promise<Buffer>((resolve, reject) => {
        this.#queue.push({ id: this.#next++, task, resolve, reject });
      });
      this.#dispatch();
    }
    // a build that fails while an earlier one still runs is not an unhandled rejection: `ordered` reports it
    raw.catch(() => undefined);
    // request order: wait for the builds asked for before this one
    const ordered = this.#tail.then(() => raw);
    this.#tail = ordered.catch(() => undefined);
    return ordered;
  }

  /** Terminates the threads; builds not finished reject with ISSUE_POOL_FAILED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const e = closedError();
    for (const p of this.#queue.splice(0)) p.reject(e);
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      s.job?.reject(e);
      s.job = undefined;
    }
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed && !this.#broken) {
      let slot = this.#slots.find((s) => s.job === undefined);
      if (!slot) {
        if (this.#slots.length >= this.size) return;
        slot = this.#spawn();
      }
      const p = this.#queue.shift() as Pending;
      slot.job = p;
      slot.worker.ref();
      const msg: Pkcs12WorkerRequest = { id: p.id, ...p.task };
      slot.worker.postMessage(msg);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(bootstrap(), { eval: true });
    const slot: Slot = { worker, job: undefined, started: false };
    this.#slots.push(slot);
    worker.on('message', (m: Pkcs12WorkerAnswer) => {
      const p = slot.job;
      if (!p || p.id !== m.id) return;
      slot.job = undefined;
      slot.started = true;
      worker.unref();
      if ('pfx' in m) {
        this.#built += 1;
        // the PKCS#12 KDF and PBKDF2 results of the build: a parse of this file in this thread is a lookup
        if (m.derivations) learnDerivations(m.derivations);
        p.resolve(Buffer.from(m.pfx.buffer, m.pfx.byteOffset, m.pfx.byteLength));
      } else {
        p.reject(errorFrom(m.error));
      }
      this.#dispatch();
    });
    const gone = (why: string, cause?: unknown): void => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return; // closed, or already handled
      this.#slots.splice(i, 1);
      const e = new CertfleetError(
        'ISSUE_POOL_FAILED',
        `An issuance thread ${slot.started ? 'died' : 'failed to start'}: ${why}. ` +
          `Set ${ISSUE_WORKERS_ENV}=0 to build PKCS#12 files in the main thread, and report the error.`,
        cause === undefined ? {} : { cause },
      );
      slot.job?.reject(e);
      slot.job = undefined;
      if (!slot.started) {
        // a thread that cannot start will not start the next time either: fail what waits, refuse the rest
        this.#broken = e;
        for (const p of this.#queue.splice(0)) p.reject(e);
        return;
      }
      this.#dispatch();
    };
    worker.on('error', (err) => gone(err.message, err));
    worker.on('exit', (code) => gone(`it exited with code ${code}`));
    return slot;
  }
}

function closedError(): CertfleetError {
  return new CertfleetError(
    'ISSUE_POOL_FAILED',
    'The issuance pool was closed (the run ended or stopped) before this PKCS#12 was built; nothing was issued for it.',
  );
}

/** The worker's error as the coded error it was (INTERNAL when it carried no known code), with its details. */
function errorFrom(e: { code?: string; message: string; details?: Record<string, unknown> }): CertfleetError {
  const code: ErrorCode = e.code !== undefined && e.code in ERROR_CODES ? (e.code as ErrorCode) : 'INTERNAL';
  return new CertfleetError(code, e.message, e.details !== undefined ? { details: e.details } : {});
}
