/**
 * One thread of the issuance pool (pkcs12-pool.ts): builds each PKCS#12 it is sent with
 * {@link buildPkcs12Job} and answers with the bytes (transferred) and the key derivations the build made, or
 * the coded error.
 */
import { parentPort } from 'node:worker_threads';
import { isCertfleetError } from './errors.ts';
import { withDerivationsRecorded } from './pkcs12-kdf.ts';
import { buildPkcs12Job, type Pkcs12WorkerAnswer, type Pkcs12WorkerRequest } from './pkcs12-pool.ts';

const port = parentPort;
if (port === null) throw new Error('pki/pkcs12-worker.ts runs only as a worker thread of the issuance pool.');

/** Structured clone turns Buffers into Uint8Arrays: back to Buffers (no copy). */
function buffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

port.on('message', (m: Pkcs12WorkerRequest) => {
  let answer: Pkcs12WorkerAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    // the key derivations go back with the file: the thread that parses it looks them up (pkcs12-kdf.ts)
    const { result: pfx, derivations } = withDerivationsRecorded(() =>
      buildPkcs12Job({
        ...m,
        certificates: m.certificates.map(buffer),
        ...(m.random !== undefined && { random: buffer(m.random) }),
      }),
    );
    const out = new Uint8Array(pfx.length);
    out.set(pfx);
    transfer.push(out.buffer);
    answer = { id: m.id, pfx: out, derivations };
  } catch (e) {
    answer = {
      id: m.id,
      error: {
        ...(isCertfleetError(e) && { code: e.code }),
        message: e instanceof Error ? e.message : String(e),
      },
    };
  }
  port.postMessage(answer, transfer);
});
