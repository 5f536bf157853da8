/**
 * issue 14: a SCEP certificate always had the template's lifetime, so a profile's `validity` was listed as
 * unused and a short-lived SCEP certificate (to see renewal in a run) needed a CA template override. The
 * service now binds the profile's validity to the one-time challenge, and the run's SCEP server asks the CA
 * for it: a shorter one is what the certificate gets, a longer one is cut to the template's (SCEPDOC
 * "Certificate validity period": lower than the template's, never higher). A static challenge, which has no
 * profile, gets the template's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidityPeriod } from '../../../profiles/model/profile.ts';
import { ScepClient } from '../../../protocol/scep/client.ts';
import { EnterpriseCa } from '../../../simulator/service/ca/enterprise-ca.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { startScepServer, type RunningScepServer } from '../../../simulator/service/scep/http-server.ts';
import { ScepIssuedCertificates } from '../../../simulator/service/scep/issued-certificates.ts';
import { loadOrIssueRa } from '../../../simulator/service/scep/ra-identity.ts';
import { ScepResponder } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const T0 = new Date('2026-03-01T10:00:00Z');
const DAY = 86_400_000;
const now = (): Date => T0;
let work: string;
let ca: EnterpriseCa;
let store: ChallengeStore;
let issued: ScepIssuedCertificates;
let server: RunningScepServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'certfleet-scep-validity-'));
  ca = await EnterpriseCa.init(join(work, 'ca'), {
    now: T0,
    rootKey: poolKey('rsa2048', 0),
    issuingKey: poolKey('rsa2048', 1),
  });
  const ra = await loadOrIssueRa(ca, { now: T0, key: poolKey('rsa2048', 2) });
  store = new ChallengeStore({ staticChallenge: 'static-password' });
  issued = new ScepIssuedCertificates();
  const responder = new ScepResponder({ ca, ra, challenges: store, issued, now });
  server = await startScepServer({ responder, port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Enrols with a challenge issued for `validity` (none: the static challenge) and key `key` of the pool. */
async function enrolWith(validity: ValidityPeriod | undefined, key: number) {
  const subject = `CN=device-${key},O=Contoso`;
  const challenge =
    validity === undefined
      ? 'static-password'
      : store.issue({ deviceId: `device-${key}`, profileId: 'Wi-Fi SCEP', subject, validity, now: T0 });
  const r = await new ScepClient({ url: server.url, now }).enrol({
    keyPair: poolKey('rsa2048', key),
    subject,
    challenge,
  });
  return r.certificate;
}

describe('issue 14: the SCEP profile\u2019s validity reaches the CA through the challenge', () => {
  it('the template CertfleetUser issues for a year', () => {
    const t = ca.templates().find((x) => x.template.name === 'CertfleetUser');
    expect(t?.template.validity).toEqual({ value: 1, unit: 'years' });
  });

  it('10 days, shorter than the template: the certificate ends 10 days from now', async () => {
    const c = await enrolWith({ value: 10, unit: 'days' }, 3);
    expect(c.notAfter.toISOString()).toBe(new Date(T0.getTime() + 10 * DAY).toISOString());
    // and the connector reported it for the device × profile of the challenge
    expect(issued.latest('device-3', 'Wi-Fi SCEP')).toMatchObject({
      serial: c.serialNumber,
      notAfter: c.notAfter.toISOString(),
    });
  });

  it('5 years, longer than the template: cut to the template\u2019s year', async () => {
    const c = await enrolWith({ value: 5, unit: 'years' }, 4);
    expect(c.notAfter.toISOString()).toBe('2027-03-01T10:00:00.000Z');
  });

  it('the static challenge (no profile): the template\u2019s year, and nothing reported for a device', async () => {
    const c = await enrolWith(undefined, 5);
    expect(c.notAfter.toISOString()).toBe('2027-03-01T10:00:00.000Z');
    expect(issued.of('device-5', 'Wi-Fi SCEP')).toEqual([]);
  });
});
