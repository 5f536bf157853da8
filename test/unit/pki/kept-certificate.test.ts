/**
 * ownBytes (a buffer of its own, outside Node's 8 KiB pool) and KeptCertificate (DER kept, parsed on read,
 * the parse held weakly): issue 11 point 3, memory per idle agent.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../pki/certificate.ts';
import { KeptCertificate } from '../../../pki/kept-certificate.ts';
import { ownBytes } from '../../../pki/own-bytes.ts';
import { makeHierarchy } from './hierarchy.ts';

/** A full garbage collection (the flag set at run time, as `node --expose-gc` would). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('ownBytes', () => {
  it('copies small bytes into an ArrayBuffer of their own, where Buffer.from would slice the shared pool', () => {
    const small = Buffer.from([1, 2, 3, 4, 5]);
    expect(small.buffer.byteLength).toBeGreaterThan(small.length); // the pool: the premise of ownBytes
    const own = ownBytes(small);
    expect([...own]).toEqual([1, 2, 3, 4, 5]);
    expect(own.byteOffset).toBe(0);
    expect(own.buffer.byteLength).toBe(5);
    small[0] = 9;
    expect(own[0]).toBe(1); // a copy, not a view
  });

  it('copies an empty input', () => {
    expect(ownBytes(new Uint8Array(0)).length).toBe(0);
  });
});

describe('a parsed certificate keeps its DER in a buffer of its own', () => {
  it('whether parsed from PEM, from a pooled slice or made here', () => {
    const { leaf } = makeHierarchy();
    const pooled = Buffer.from(leaf.der.toString('base64'), 'base64'); // < 4 KiB: carved from the pool
    for (const c of [leaf, parseCertificate(leaf.pem), parseCertificate(pooled)]) {
      expect(c.der.equals(leaf.der)).toBe(true);
      expect(c.der.byteOffset).toBe(0);
      expect(c.der.buffer.byteLength).toBe(c.der.length);
      // the fields are views of that one buffer, not copies pinning other memory
      expect(Buffer.from(c.signature.buffer).equals(Buffer.from(c.der.buffer))).toBe(true);
    }
  });
});

describe('KeptCertificate', () => {
  it('returns the certificate it was given while that is alive', () => {
    const { leaf } = makeHierarchy();
    const kept = new KeptCertificate(leaf);
    expect(kept.certificate).toBe(leaf);
    expect(kept.der).toBe(leaf.der);
  });

  it('does not hold the parse: once collected, a read parses the DER again, with the same content', async () => {
    // only the leaf's bytes and facts are kept here: a parse of the same bytes returns the live Certificate
    // for them (certificate.ts PARSED), so holding the leaf itself would keep the parse alive
    const { der, sha1Thumbprint, subjectText } = ((): Record<'sha1Thumbprint' | 'subjectText', string> & {
      der: Buffer;
    } => {
      const { leaf } = makeHierarchy();
      return {
        der: Buffer.from(leaf.der),
        sha1Thumbprint: leaf.sha1Thumbprint,
        subjectText: leaf.subjectText,
      };
    })();
    const kept = new KeptCertificate(parseCertificate(der));
    const watch = new WeakRef(kept.certificate);
    // a WeakRef target stays alive until the current job ends (ECMAScript KeepDuringJob)
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    expect(watch.deref()).toBeUndefined();
    const again = kept.certificate;
    expect(again.der.equals(der)).toBe(true);
    expect(again.sha1Thumbprint).toBe(sha1Thumbprint);
    expect(again.subjectText).toBe(subjectText);
    expect(kept.certificate).toBe(again); // held (weakly) again after the new parse
  });
});
