import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../../simulator/demo.ts';
import { poolKey } from '../../fixtures/key-pool.ts';

const keys = () => ({
  root: poolKey('rsa2048', 9),
  issuing: poolKey('rsa2048', 10),
  leaf: poolKey('rsa2048', 11),
});
let tmp: string;
let savedTmpdir: string | undefined;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certfleet-demo-test-'));
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = tmp; // os.tmpdir() reads it on each call: the demo's temporary CA lands here
});
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(tmp, { recursive: true, force: true });
});

describe('regression issue 2: certfleet demo', () => {
  it('verifies the chain, leaves no temporary CA (with its private keys) behind, and has current text', async () => {
    const r = await runDemo({ keys: keys() });
    expect(r.ok, r.lines.join('\n')).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
    const text = r.lines.join('\n');
    expect(text).not.toContain('not built yet');
    expect(text).toMatch(/temporary: removed when the demo ends/);
  });

  it('keeps a CA folder given with dir', async () => {
    const dir = join(tmp, 'kept');
    const r = await runDemo({ dir, keys: keys() });
    expect(r.ok).toBe(true);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['root.key', 'issuing.key', 'ca.json']));
    rmSync(dir, { recursive: true, force: true });
  });

  it('regression (QA walkthrough): refuses a dir that holds a CA, and leaves that CA as it was', async () => {
    const dir = join(tmp, 'existing');
    expect((await runDemo({ dir, keys: keys() })).ok).toBe(true);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    await expect(runDemo({ dir, keys: keys() })).rejects.toMatchObject({
      code: 'CA_EXISTS',
      message: expect.stringContaining('give --dir a folder without a CA') as string,
    });
    const after = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(after).toEqual(before); // before the fix: a new root key, the issued records gone
    rmSync(dir, { recursive: true, force: true });
  });
});
