/**
 * The operation behind `certfleet scep enroll`: enrols with any SCEP server as a device would (the client is
 * protocol/scep/client.ts) and writes `key.pem` (PKCS#8, mode 0600) and `cert.pem` into `--out`. The key is
 * made here and never leaves this process except into key.pem. Both outputs are reserved before the
 * request, so a bad `--out` changes nothing on the server; a failed enrolment writes nothing
 * (docs/architecture.md house rule 7). Polling waits are real time here: this is a standalone tool, not a
 * simulated run.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertfleetError } from '../../pki/errors.ts';
import { parseDn } from '../../pki/dn.ts';
import { exportPrivateKeyPem, generateKeyPair } from '../../pki/keys.ts';
import { ScepClient } from '../../protocol/scep/client.ts';
import { reserveOutput } from '../service/ca/output-file.ts';

/** Options of {@link scepEnroll}. */
export interface ScepEnrollOptions {
  url: string;
  challenge?: string;
  subject: string;
  out: string;
  keySize: number;
  /** Polls while the server answers PENDING, and the seconds between them. */
  maxPolls: number;
  pollSeconds: number;
}

export async function scepEnroll(o: ScepEnrollOptions): Promise<{ summary: string }> {
  if (o.keySize !== 2048 && o.keySize !== 3072 && o.keySize !== 4096) {
    throw new CertfleetError(
      'USAGE',
      `--key-size ${o.keySize} is not one of 2048, 3072, 4096 (SCEP needs RSA).`,
    );
  }
  if (!Number.isInteger(o.maxPolls) || o.maxPolls < 0 || !(o.pollSeconds >= 0)) {
    throw new CertfleetError(
      'USAGE',
      '--max-polls must be a whole number ≥ 0 and --poll-interval a number of seconds ≥ 0.',
    );
  }
  const subject = parseDn(o.subject);
  const client = new ScepClient({
    url: o.url,
    maxPolls: o.maxPolls,
    wait: () => sleep(o.pollSeconds * 1000),
  });
  const keyFile = join(o.out, 'key.pem');
  const certFile = join(o.out, 'cert.pem');
  for (const f of [keyFile, certFile]) {
    if (existsSync(f)) throw new CertfleetError('USAGE', `${f} already exists; choose another --out folder.`);
  }
  const made = existsSync(o.out) ? undefined : mkdirSync(o.out, { recursive: true });
  let keyOut: ReturnType<typeof reserveOutput> | undefined;
  let certOut: ReturnType<typeof reserveOutput> | undefined;
  let done = false;
  try {
    keyOut = reserveOutput(keyFile, 0o600);
    certOut = reserveOutput(certFile);
    const keyPair = await generateKeyPair({ kind: 'rsa', size: o.keySize });
    const r = await client.enrol({
      keyPair,
      subject,
      ...(o.challenge !== undefined && { challenge: o.challenge }),
    });
    keyOut.commit(Buffer.from(exportPrivateKeyPem(keyPair.privateKey)));
    certOut.commit(Buffer.from([r.certificate.pem, ...r.chain.map((c) => c.pem)].join('')));
    done = true;
    const c = r.certificate;
    return {
      summary: [
        `Enrolled ${c.subjectText} from ${o.url}${r.polls > 0 ? ` after ${r.polls} poll(s)` : ''}`,
        `  issuer      ${c.issuerText}`,
        `  serial      ${c.serialNumber}`,
        `  valid       ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}`,
        `  key         ${keyFile} (RSA-${o.keySize}, PKCS#8, 0600)`,
        `  certificate ${certFile} (the certificate, then the issuing CA)`,
        '',
      ].join('\n'),
    };
  } finally {
    keyOut?.abort();
    certOut?.abort();
    // A failed enrolment leaves nothing behind, not even the folder it made.
    if (!done && made !== undefined) rmSync(made, { recursive: true, force: true });
  }
}
