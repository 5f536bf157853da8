/**
 * A certificate kept for a long time but read rarely — an agent's management certificate, the service's
 * copy of each device's — held as its DER bytes alone. It is parsed when read, and the parse is held
 * weakly (a `WeakRef`): while something uses it, reads return the same parsed {@link Certificate}; once
 * nothing does, the garbage collector may drop it and the next read parses the bytes again. What a read
 * returns depends only on the bytes, never on when the collector ran.
 *
 * A parsed certificate costs about 5 KiB of heap (names, extensions, dates, thumbprints, a public
 * `KeyObject`) against some 600 bytes of DER: on the idle bench (`npm run bench -- idle`) every connected
 * agent and the service each held one per device.
 *
 * @see https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/WeakRef
 */
import { parseCertificate, type Certificate } from './certificate.ts';

/** A certificate kept as DER, parsed on read (see the file comment). */
export class KeptCertificate {
  /** The DER encoding (in a buffer of its own: Certificate.fromDer, own-bytes.ts). */
  readonly der: Buffer;
  #parsed: WeakRef<Certificate>;

  /** Keeps `certificate` (its bytes; the parsed object stays readable while it is alive elsewhere). */
  constructor(certificate: Certificate) {
    // a parsed certificate's DER already has a buffer of its own (Certificate.fromDer)
    this.der = certificate.der;
    this.#parsed = new WeakRef(certificate);
  }

  /** The parsed certificate (parsed again from {@link der} when the last parse was collected). */
  get certificate(): Certificate {
    let c = this.#parsed.deref();
    if (c === undefined) {
      c = parseCertificate(this.der);
      this.#parsed = new WeakRef(c);
    }
    return c;
  }
}
