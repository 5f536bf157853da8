/**
 * How `certfleet serve` and `certfleet agents` log in to their broker: the external broker's one account
 * from CERTFLEET_BROKER_USERNAME/PASSWORD when set (as `certfleet run` does), else each client as itself
 * with the password derived from the fleet secret.
 */
import { describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../pki/errors.ts';
import { derivePassword, splitFleetLogin } from '../../../simulator/fleet/fleet-secret.ts';

const secret = Buffer.from('split-fleet-secret');
const URL = 'mqtt://broker.example:1883';

describe('regression issue 5: serve and agents use the external broker credentials too', () => {
  it.each(['mdm-service', 'connector-1', '0b9f6f0e-8e1c-4c3e-9a55-0d6a3c1c2b11'])(
    '%s logs in as itself with the derived password when no credentials are set',
    (clientId) => {
      const login = splitFleetLogin(URL, secret, {})(clientId);
      expect(login).toEqual({ username: clientId, password: derivePassword(secret, clientId) });
    },
  );

  it('every client logs in with CERTFLEET_BROKER_USERNAME / PASSWORD when they are set', () => {
    const loginOf = splitFleetLogin(URL, secret, {
      CERTFLEET_BROKER_USERNAME: 'fleet',
      CERTFLEET_BROKER_PASSWORD: 'shared-pw',
    });
    for (const id of ['mdm-service', 'connector-2', 'device-x'])
      expect(loginOf(id)).toEqual({ username: 'fleet', password: 'shared-pw' });
  });

  it('a password without a user name is a usage error, before anything connects', () => {
    let err: unknown;
    try {
      splitFleetLogin(URL, secret, { CERTFLEET_BROKER_PASSWORD: 'x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CertfleetError);
    expect((err as CertfleetError).code).toBe('USAGE');
  });
});
