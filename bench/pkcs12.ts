/**
 * PKCS#12 benchmark: builds/s and parses/s of certfleet's native-crypto PKCS#12 (pki/pkcs12.ts), both
 * profiles, against node-forge's (`forge.pkcs12.toPkcs12Asn1` with algorithm '3des' / `pkcs12FromAsn1`)
 * on the same RSA-2048 key and self-signed certificate. Timing only; no pass/fail (docs/architecture.md house rule 12).
 */
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { buildPkcs12, parsePkcs12, type Pkcs12Profile } from '../pki/pkcs12.ts';
import { forgetPkcs12Derivations } from '../pki/pkcs12-kdf.ts';

const PASSWORD = 'bench-password';

/** Runs `fn` repeatedly for about `ms` milliseconds (after one warm-up call) and returns calls per second. */
function rate(fn: () => unknown, ms = 1500): number {
  fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    fn();
    n++;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

/** A self-signed certificate for `privateKey`, made with the OpenSSL CLI (the bench needs no CA code). */
function selfSigned(privateKey: KeyObject): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-bench-p12-'));
  try {
    const keyPath = join(dir, 'key.pem');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const der = execFileSync('openssl', [
      'req', '-x509', '-new', '-key', keyPath, '-subj', '/CN=bench', '-days', '30', '-outform', 'DER',
    ]); // prettier-ignore
    return Buffer.from(new X509Certificate(der).raw);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints builds/s and parses/s for certfleet's PKCS#12 (legacy, modern) and node-forge's (3DES), and the ratios. */
export async function benchPkcs12(): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certDer = selfSigned(privateKey);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const forgeCert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(certDer.toString('binary')));

  const rows: { name: string; build: number; parse: number }[] = [];
  for (const profile of ['legacy', 'modern'] as Pkcs12Profile[]) {
    const build = (): Buffer =>
      buildPkcs12({ privateKey, certificates: [certDer], password: PASSWORD, profile });
    const blob = build();
    rows.push({
      name: `certfleet ${profile}`,
      build: rate(build),
      // forget the KDF memo first: a device parses a PFX it did not build in its own process
      parse: rate(() => {
        forgetPkcs12Derivations();
        return parsePkcs12(blob, PASSWORD);
      }),
    });
  }
  const forgeBuild = (): string =>
    forge.asn1
      .toDer(forge.pkcs12.toPkcs12Asn1(forgeKey, [forgeCert], PASSWORD, { algorithm: '3des' }))
      .getBytes();
  const forgeDer = forgeBuild();
  rows.push({
    name: 'node-forge 3des',
    build: rate(forgeBuild),
    parse: rate(() => forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forgeDer), PASSWORD)),
  });

  const forgeRow = rows[rows.length - 1] as (typeof rows)[number];
  process.stdout.write(
    `${'implementation'.padEnd(20)}${'builds/s'.padStart(10)}${'parses/s'.padStart(10)}\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(20)}${r.build.toFixed(1).padStart(10)}${r.parse.toFixed(1).padStart(10)}\n`,
    );
  }
  for (const r of rows.slice(0, -1)) {
    process.stdout.write(
      `${r.name} vs node-forge 3des: build ×${(r.build / forgeRow.build).toFixed(2)}, ` +
        `parse ×${(r.parse / forgeRow.parse).toFixed(2)}\n`,
    );
  }
  process.stdout.write(
    "note: node-forge's 3des leaves the certificate safe unencrypted (key bag + MAC = 4 runs of the PKCS#12 KDF,\n" +
      '  2048 SHA-1 iterations each); certfleet legacy also encrypts the certificates (7 runs). modern uses native\n' +
      '  PBKDF2 for both encryptions and 1 KDF run (SHA-256) for the MAC.\n',
  );
}
