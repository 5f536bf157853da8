import { describe, expect, it } from 'vitest';
import { CertfleetError, ERROR_CODES, isCertfleetError } from '../../pki/errors.ts';

describe('CertfleetError', () => {
  it('carries its code, message, cause and details', () => {
    const cause = new Error('mac mismatch');
    const e = new CertfleetError('PKCS12_BAD_PASSWORD', 'wrong password', { cause, details: { path: 'x' } });
    expect(e.code).toBe('PKCS12_BAD_PASSWORD');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ path: 'x' });
    expect(isCertfleetError(e, 'PKCS12_BAD_PASSWORD')).toBe(true);
    expect(isCertfleetError(e, 'PKCS12_PARSE')).toBe(false);
    expect(isCertfleetError(new Error('x'))).toBe(false);
  });

  it('every code has a description', () => {
    for (const [code, text] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z0-9_]+$/);
      expect(text.length).toBeGreaterThan(10);
    }
  });
});
