/**
 * One thread of the issuance pool (pkcs12-pool.ts): builds each PKCS#12 it is sent with
 * {@link buildPkcs12Job}, or opens and re-wraps it with {@link rewrapPkcs12Job}, and answers with the bytes
 * (transferred) and the key derivations it made, or the coded error (code, message, details — never a secret:
 * pki/errors.ts).
 */
import { parentPort } from 'node:worker_threads';
import { isCertfleetError } from './errors.ts';
import { withDerivationsRecorded } from './pkcs12-kdf.ts';
import {
  buildPkcs12Job,
  rewrapPkcs12Job,
  type Pkcs12WorkerAnswer,
  type Pkcs12WorkerRequest,
} from './pkcs12-pool.ts';

const port = parentPort;
if (port === null) throw new Error('pki/pkcs12-worker.ts runs only as a worker thread of the issuance pool.');

/** Structured clone turns Buffers into Uint8Arrays: back to Buffers (no copy). */
function buffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** True when `details` can be posted (structured clone), so the answer itself cannot fail to send. */
function cloneable(details: Record<string, unknown>): boolean {
  if (Object.keys(details).length === 0) return false;
  try {
    structuredClone(details);
    return true;
  } catch {
    return false;
  }
}

port.on('message', (m: Pkcs12WorkerRequest) => {
  let answer: Pkcs12WorkerAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    // the key derivations go back with the file: the thread that parses it looks them up (pkcs12-kdf.ts)
    const { result: pfx, derivations } = withDerivationsRecorded(() => {
      if ('rewrap' in m) {
        const job = m.rewrap;
        return rewrapPkcs12Job({
          ...job,
          blob: buffer(job.blob),
          ...(job.random !== undefined && { random: buffer(job.random) }),
        });
      }
      const job = m.build;
      return buildPkcs12Job({
        ...job,
        certificates: job.certificates.map(buffer),
        ...(job.random !== undefined && { random: buffer(job.random) }),
      });
    });
    const out = new Uint8Array(pfx.length);
    out.set(pfx);
    transfer.push(out.buffer);
    answer = { id: m.id, pfx: out, derivations };
  } catch (e) {
    answer = {
      id: m.id,
      error: {
        ...(isCertfleetError(e) && { code: e.code, ...(cloneable(e.details) && { details: e.details }) }),
        message: e instanceof Error ? e.message : String(e),
      },
    };
  }
  port.postMessage(answer, transfer);
});
