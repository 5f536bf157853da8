/**
 * What a Windows device's SCEP request carries besides the subject, SANs and challenge (protocol/scep/scep-csr.ts;
 * docs/formats.md §2.3): the profile's KeyUsage, EKUMapping and TemplateName as requested extensions, and
 * ValidPeriod/ValidPeriodUnits as the name-value pairs ValidityPeriod/ValidityPeriodUnits — which the run's SCEP
 * responder turns into the validity it asks the CA for (simulator/service/scep/responder.ts requestedValidity).
 */
import { describe, expect, it } from 'vitest';
import { parseCsr } from '../../../pki/csr.ts';
import { challengeOf, createScepCsr, nameValuePairsOf } from '../../../protocol/scep/scep-csr.ts';
import { requestedValidity } from '../../../simulator/service/scep/responder.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

describe('a Windows SCEP request', () => {
  it('carries KeyUsage, EKUs, the template and the validity pairs, and parses back', () => {
    const csr = createScepCsr({
      subject: 'CN=PC-1',
      keyPair: poolKey('rsa2048', 0),
      challenge: 'c-1',
      san: [{ type: 'dns', value: 'pc-1.contoso.com' }],
      extensions: {
        keyUsage: ['digitalSignature', 'keyEncipherment'],
        extKeyUsage: ['1.3.6.1.5.5.7.3.2'],
        template: { name: 'CertfleetUser' },
      },
      nameValuePairs: [
        ['ValidityPeriod', 'Days'],
        ['ValidityPeriodUnits', '10'],
      ],
    });
    const back = parseCsr(csr.der);
    expect(back.subjectText).toBe('CN=PC-1'); // parseCsr checked the signature with the request's own key
    expect(challengeOf(back)).toBe('c-1');
    expect(back.extensions).toMatchObject({
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['1.3.6.1.5.5.7.3.2'],
      subjectAltName: [{ type: 'dns', value: 'pc-1.contoso.com' }],
      template: { version: 1, name: 'CertfleetUser' },
    });
    expect(nameValuePairsOf(back)).toEqual([
      ['ValidityPeriod', 'Days'],
      ['ValidityPeriodUnits', '10'],
    ]);
    expect(requestedValidity(back)).toEqual({ value: 10, unit: 'days' });
  });

  it('asks for no validity without both pairs, or with units 0 (CCI default: the template decides)', () => {
    const key = poolKey('rsa2048', 0);
    const plain = createScepCsr({ subject: 'CN=PC-1', keyPair: key });
    expect(nameValuePairsOf(plain)).toEqual([]);
    expect(requestedValidity(plain)).toBeUndefined();
    const zero = createScepCsr({
      subject: 'CN=PC-1',
      keyPair: key,
      nameValuePairs: [
        ['ValidityPeriod', 'Years'],
        ['ValidityPeriodUnits', '0'],
      ],
    });
    expect(requestedValidity(zero)).toBeUndefined();
  });
});
