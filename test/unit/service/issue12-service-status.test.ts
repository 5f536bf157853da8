/**
 * Issue 12 point 3: beside the CA's HRESULT and the device's native status, each outcome carries the status
 * the MDM service reports for that device and profile (docs/errors.md §1.3), with its confidence.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceProfileOutcome } from '../../../simulator/run-model.ts';
import { pickOutcome } from '../../../simulator/report/report-json.ts';
import { CA_DENIALS } from '../../../simulator/service/ca/denials.ts';
import { NO_PFX_FOUND, serviceStatusOf } from '../../../simulator/service/mdm/service-status.ts';

const row = (over: Partial<DeviceProfileOutcome>): DeviceProfileOutcome => ({
  device: 'd1',
  platform: 'windows',
  kind: 'entra-joined',
  profile: 'P',
  status: 'failed',
  code: 'CA_UNAVAILABLE',
  message: 'm',
  renewals: 0,
  at: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('issue 12 point 3: the service status of an outcome', () => {
  it.each([
    'CA_UNAVAILABLE',
    'CA_TEMPLATE_NOT_SUPPORTED',
    'CONNECTOR_EMPTY_SAN',
    'CONNECTOR_SID_UNAVAILABLE',
    'CONNECTOR_SAN_NOT_IA5',
    'SUBJECT_ESCAPED_CHARS',
  ] as const)('a request the connector or CA refused (%s) shows 0x87D1FDF4, no PFX found', (code) => {
    expect(serviceStatusOf({ status: 'failed', code })).toEqual({
      hex: '0x87D1FDF4',
      decimal: -2016281100,
      text: 'No pfx certificate found to install on the device',
      confidence: 'inferred',
    });
  });

  it('a Windows device failure shows 0x87D10000 + its SyncML status', () => {
    const s = serviceStatusOf({
      status: 'failed',
      code: 'INSTALL_KSP_KEY_SIZE',
      native: { platform: 'windows', syncml: 500 },
    });
    expect([s?.hex, s?.decimal, s?.confidence]).toEqual(['0x87D101F4', -2016345612, 'documented']);
  });

  it('an Apple failure shows 0x87D10000 + 10000 + the inner MC code', () => {
    const s = serviceStatusOf({
      status: 'failed',
      code: 'PKCS12_BAD_PASSWORD',
      native: {
        platform: 'ios',
        status: 'Error',
        errorChain: [
          { ErrorCode: 4001, ErrorDomain: 'MCInstallationErrorDomain', LocalizedDescription: '' },
          { ErrorCode: 9000, ErrorDomain: 'MCCertificateErrorDomain', LocalizedDescription: '' },
        ],
      },
    });
    expect(s?.hex).toBe('0x87D14A38');
  });

  it('an installed profile and an Android failure carry none', () => {
    expect(serviceStatusOf({ status: 'installed', code: 'OK' })).toBeUndefined();
    expect(
      serviceStatusOf({ status: 'failed', code: 'INSTALL_NOT_ALLOWED', native: { platform: 'android' } }),
    ).toBeUndefined();
  });

  it('report.json carries the CA answer and the service status beside each other', () => {
    const o = pickOutcome(row({ native: { ...CA_DENIALS.CA_UNAVAILABLE, reason: 'no CA runs on x' } }));
    expect(o.ca).toMatchObject({
      hresult: '0x800706BA',
      symbolic: 'RPC_S_SERVER_UNAVAILABLE',
      confidence: 'documented',
    });
    expect(o.service).toEqual(NO_PFX_FOUND);
    expect(pickOutcome(row({ status: 'installed', code: 'OK' })).service).toBeUndefined();
  });
});
