/**
 * The management identity of an enrolled agent lives in its store only (issue 11 point 3: an idle agent
 * holds no parsed certificate and no private key object); the context an adapter gets reads it from there.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificate } from '../../../pki/certificate.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { agentWithCertificate, DAY, START } from './agent-harness.ts';

/** The public key of a key pair's either half, as SPKI hex. */
const spki = (k: KeyObject): string =>
  (k.type === 'private' ? createPublicKey(k) : k).export({ type: 'spki', format: 'der' }).toString('hex');

describe('the management identity of an enrolled agent', () => {
  it('is what the enrolment answer gave, read from the store with its private key', async () => {
    const w = await agentWithCertificate({ platform: 'windows' });
    expect(w.agent.enrolled).toBe(true);
    const identity = w.agent.context.identity;
    expect(identity?.certificate.sha1Thumbprint).toBe(w.certificate.sha1Thumbprint);
    expect(identity?.certificate.subjectText).toBe(`CN=${w.device.id}`);
    expect(identity && spki(identity.privateKey)).toBe(spki(w.key.publicKey));
    // one context reads it once: the same object on every read
    const ctx = w.agent.context;
    expect(ctx.identity).toBe(ctx.identity);
  });

  it('follows a later answer for the same key with another certificate (a re-sent CSR), and ignores one for another key', async () => {
    const w = await agentWithCertificate({ platform: 'windows' });
    const renewed = createCertificate({
      subject: `CN=${w.device.id}`,
      publicKey: w.key.publicKey,
      issuer: 'self',
      signingKey: w.key.privateKey,
      serialNumber: '02',
      notBefore: START,
      notAfter: new Date(START.getTime() + 3650 * DAY),
    });
    await w.answerEnrol(renewed.pem);
    expect(w.agent.context.identity?.certificate.sha1Thumbprint).toBe(renewed.sha1Thumbprint);
    expect(w.db.items(w.device.id, { store: 'mdm/identity' })).toHaveLength(1);

    const other = poolKey('rsa2048', 3);
    const stranger = createCertificate({
      subject: `CN=${w.device.id}`,
      publicKey: other.publicKey,
      issuer: 'self',
      signingKey: other.privateKey,
      serialNumber: '03',
      notBefore: START,
      notAfter: new Date(START.getTime() + 3650 * DAY),
    });
    await w.answerEnrol(stranger.pem);
    expect(w.agent.context.identity?.certificate.sha1Thumbprint).toBe(renewed.sha1Thumbprint);
  });
});
