/** File-system failures in plain words (pki/fs-error.ts): the reason a named input file could not be read. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFailureReason } from '../../../pki/fs-error.ts';

const work = mkdtempSync(join(tmpdir(), 'certfleet-fs-error-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function failureOf(read: () => unknown): unknown {
  try {
    read();
  } catch (e) {
    return e;
  }
  throw new Error('read did not fail');
}

describe('readFailureReason', () => {
  it('a missing file, a folder, a path through a file: plain words and the errno code', () => {
    expect(readFailureReason(failureOf(() => readFileSync(join(work, 'nope.json'))))).toBe(
      'no such file (ENOENT)',
    );
    expect(readFailureReason(failureOf(() => readFileSync(work)))).toBe('it is a folder (EISDIR)');
    expect(readFailureReason(failureOf(() => readFileSync(join(import.meta.filename, 'x'))))).toBe(
      'a part of the path is not a folder (ENOTDIR)',
    );
  });

  it('an error without a code, or with a code it has no words for, keeps its own message', () => {
    expect(readFailureReason(new Error('boom'))).toBe('boom');
    expect(readFailureReason(Object.assign(new Error('odd'), { code: 'EODD' }))).toBe('odd');
  });
});
