/**
 * Issue 10 point 3 — the SCEP connector's reports of issued certificates are part of the saved service
 * state: saveState lists them, restoreState reads them back into the new process's store, and the resumed
 * service revokes a retired device's SCEP certificate. Without them restored, the same retirement revokes
 * nothing (the defect). A real CA, the loopback bus, the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { CONNECTOR_GROUP } from '../../../simulator/service/ca/template.ts';
import type { ServiceScep } from '../../../simulator/service/mdm/service-types.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { ScepIssuedCertificates } from '../../../simulator/service/scep/issued-certificates.ts';
import { poolKey } from '../../fixtures/key-pool.ts';
import { profileOf, toAll, world } from './harness.ts';

const scepProfile = () =>
  profileOf({
    kind: 'scep-certificate',
    family: 'ios',
    displayName: 'Wi-Fi SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    scepServerUrls: ['http://scep.certfleet.invalid/certsrv/mscep/mscep.dll'],
  });

const scepOf = (issued: ScepIssuedCertificates): ServiceScep => ({
  url: 'http://127.0.0.1:9/certsrv/mscep/mscep.dll',
  challenges: new ChallengeStore({}),
  caFingerprint: Buffer.alloc(32),
  caThumbprint: '0'.repeat(40),
  sidSecurityExtension: false,
  issued,
});

describe('issue 10 point 3: SCEP issued certificates survive a resume', () => {
  for (const restored of [true, false]) {
    it(`a resumed service ${restored ? 'revokes' : 'without the reports revokes nothing of'} a retired device's SCEP certificate`, async () => {
      const issued = new ScepIssuedCertificates();
      const w = await world({
        assignments: [toAll('wifi', scepProfile())],
        service: { scep: scepOf(issued) },
      });
      const d = await w.enrol({ platform: 'ios', kind: 'device', answer: 'silent' });
      await w.run(60_000); // the SCEP payload sent
      // what the SCEP connector reports once the CA issued the device's request (responder.ts)
      const cert = w.ca.issue({
        template: 'CertfleetUser',
        requester: { identity: 'ndes-ra', groups: [CONNECTOR_GROUP] },
        subject: 'CN=scep-user,O=Contoso',
        publicKey: poolKey('rsa2048', 9).publicKey,
        now: w.clock.now(),
      }).certificate;
      issued.record({
        deviceId: d.id,
        profileId: 'wifi',
        serial: cert.serialNumber,
        thumbprint: cert.sha1Thumbprint,
        notAfter: cert.notAfter.toISOString(),
        issuedAt: w.clock.now().toISOString(),
        transactionId: 'tx-1',
      });
      const saved = w.service.saveState();
      expect(saved['scep-issued']).toHaveLength(1);
      expect(w.service.saveChangedState()['scep-issued'].records).toHaveLength(1);
      await w.service.stop();

      // the new process: a fresh store, filled from the saved records (or not)
      const again = new ScepIssuedCertificates();
      const restarted = w.restartedService([toAll('wifi', scepProfile())], { scep: scepOf(again) });
      restarted.restoreState((store) =>
        store === 'scep-issued' && !restored
          ? new Map()
          : new Map(saved[store].map((r) => [r.key, r.value] as const)),
      );
      expect(again.of(d.id, 'wifi')).toEqual(restored ? issued.of(d.id, 'wifi') : []);
      await restarted.start();
      await restarted.retireDevice(d.id);
      await w.settle();
      const record = w.ca.issuedRecords().find((r) => r.serial === cert.serialNumber);
      if (restored) expect(record?.revoked?.reason).toBe('cessationOfOperation');
      else expect(record?.revoked).toBeUndefined();
      await restarted.stop();
    });
  }

  it('restoring into a store that holds reports is refused', () => {
    const s = new ScepIssuedCertificates();
    s.record({
      deviceId: 'd',
      profileId: 'p',
      serial: '10',
      thumbprint: 'AA',
      notAfter: '2027-01-01T00:00:00.000Z',
      issuedAt: '2026-01-01T00:00:00.000Z',
      transactionId: 't',
    });
    expect(() => s.restore(new Map(s.save().map((r) => [r.key, r.value])))).toThrow(/only an empty store/);
  });
});
