/**
 * `npm run bench -- pki`: the PKI figures of one run, each beside the raw limit measured in the same run.
 *
 * - raw native RSA-2048 keygen/s (all cores busy: as many concurrent generations as libuv threads)
 * - certificates issued/s by the enterprise CA (pre-made keys: signing + policy checks + bookkeeping)
 * - PKCS#12 built/s and parsed/s, both profiles
 * - full PKCS issuance (keygen + issue + PKCS#12) per second, as a ratio of raw keygen/s
 *   (the goal: issuance adds < 10 % to keygen cost)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type KeyPair } from '../pki/index.ts';
import { buildPkcs12, parsePkcs12 } from '../pki/pkcs12.ts';
import { forgetPkcs12Derivations } from '../pki/pkcs12-kdf.ts';
import { EnterpriseCa } from '../simulator/service/ca/enterprise-ca.ts';
import { issuePfx } from '../simulator/service/ca/issue-pfx.ts';
import { CONNECTOR_GROUP } from '../simulator/service/ca/template.ts';
import { rate, report } from './measure.ts';

const KEYS = 48;

/** Runs the PKI suite and prints its figures. */
export async function benchPki(): Promise<void> {
  const now = new Date();
  const requester = { identity: 'bench-connector', groups: [CONNECTOR_GROUP] };

  // 1. Raw keygen throughput: KEYS keys, all in flight at once (libuv's pool spreads them over the cores).
  const keys: KeyPair[] = [];
  const keygen = await rate(KEYS, async () => {
    keys.push(
      ...(await Promise.all(
        Array.from({ length: KEYS }, () => generateKeyPair({ kind: 'rsa', size: 2048 })),
      )),
    );
  });
  report('native RSA-2048 keygen', keygen, 'keys/s');

  const dir = mkdtempSync(join(tmpdir(), 'certfleet-bench-'));
  try {
    const ca = await EnterpriseCa.init(dir, { now, rootKey: keys[0]!, issuingKey: keys[1]! });

    // 2. Certificates issued per second with pre-made keys.
    const n = 400;
    const issueRate = await rate(n, async () => {
      for (let i = 0; i < n; i++) {
        ca.issue({
          template: 'CertfleetUser',
          requester,
          subject: `CN=user${i},O=Contoso`,
          san: [{ type: 'upn', value: `user${i}@contoso.com` }],
          publicKey: keys[i % KEYS]!.publicKey,
          serverSideKey: true,
          now,
        });
      }
    });
    report('certificates issued (pre-made keys)', issueRate, 'certs/s');

    // 3. PKCS#12 build and parse, both profiles.
    const issued = ca.issue({
      template: 'CertfleetUser',
      requester,
      subject: 'CN=p12',
      publicKey: keys[2]!.publicKey,
      now,
    });
    for (const profile of ['modern', 'legacy'] as const) {
      const m = 200;
      let blob: Buffer = Buffer.alloc(0);
      const build = await rate(m, async () => {
        for (let i = 0; i < m; i++) {
          blob = buildPkcs12({
            privateKey: keys[2]!.privateKey,
            certificates: [issued.certificate.der, ca.issuing.der],
            password: 'bench',
            profile,
          });
        }
      });
      report(`PKCS#12 built (${profile})`, build, 'files/s');
      const parse = await rate(m, async () => {
        for (let i = 0; i < m; i++) {
          forgetPkcs12Derivations(); // a parse that derives for real, not the memo of the build above
          parsePkcs12(blob, 'bench');
        }
      });
      report(`PKCS#12 parsed (${profile})`, parse, 'files/s');
    }

    // 4. Full server-side issuance (keygen + issue + PKCS#12), same concurrency as the raw keygen run.
    const full = await rate(KEYS, async () => {
      await Promise.all(
        Array.from({ length: KEYS }, (_, i) =>
          issuePfx(ca, {
            template: 'CertfleetUser',
            subject: `CN=full${i}`,
            password: 'bench',
            requester,
            now,
          }),
        ),
      );
    });
    report('PKCS issuance end to end (keygen + issue + PKCS#12)', full, 'certs/s');
    const overhead = (keygen.perSecond / full.perSecond - 1) * 100;
    process.stdout.write(
      `  issuance throughput = ${(full.perSecond / keygen.perSecond).toFixed(3)} × raw keygen throughput ` +
        `(issuance adds ${overhead.toFixed(1)} % to keygen cost; goal < 10 %)\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
