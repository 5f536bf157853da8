/**
 * The pure pieces: MQTT topic-filter matching, the topic ACL, the $7$ password hash (against
 * mosquitto_passwd when installed), the Mosquitto password and ACL files, the external broker from env.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aclAllows, type AclAction, type BrokerIdentity } from '../../../protocol/wire/topic-acl.ts';
import { topicMatches } from '../../../protocol/transport/topic-filter.ts';
import { CredentialTable } from '../../../simulator/broker/credential-table.ts';
import { externalBroker, sharedLogin } from '../../../simulator/broker/external-broker.ts';
import { renderAclFile, renderPasswordFile } from '../../../simulator/broker/mosquitto.ts';
import { hashPassword, verifyPassword } from '../../../simulator/broker/password-hash.ts';

describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  it.each([
    ['a/b/c', 'a/b/c', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/b/c', false],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
  ] as const)('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

const dev = (name: string): BrokerIdentity => ({ role: 'device', name });
const SERVICE: BrokerIdentity = { role: 'service', name: 'svc' };
const CONNECTOR: BrokerIdentity = { role: 'connector', name: 'conn-1' };

describe('aclAllows', () => {
  it.each([
    [dev('d1'), 'publish', 'certfleet/acme/device/d1/out/status/p1', true],
    [dev('d1'), 'publish', 'certfleet/acme/device/d2/out/status/p1', false],
    [dev('d1'), 'publish', 'certfleet/acme/device/d1/in/enrolled', false],
    [dev('d1'), 'subscribe', 'certfleet/acme/device/d1/in/#', true],
    [dev('d1'), 'subscribe', 'certfleet/acme/device/d1/in', true],
    [dev('d1'), 'subscribe', 'certfleet/acme/device/d2/in/#', false],
    [dev('d1'), 'subscribe', 'certfleet/acme/device/+/in/#', false],
    [dev('d1'), 'subscribe', 'certfleet/acme/device/d1/#', false],
    [dev('d1'), 'subscribe', '#', false],
    [dev('d1'), 'subscribe', 'certfleet/other/device/d1/in/#', false],
    [SERVICE, 'subscribe', 'certfleet/acme/device/+/out/#', true],
    [SERVICE, 'publish', 'certfleet/acme/device/d7/in/enrolled', true],
    [SERVICE, 'subscribe', 'certfleet/+/device/#', false],
    [SERVICE, 'publish', 'certfleet/other/service/x', false],
    [SERVICE, 'publish', 'certfleet/acme/#', false],
    [CONNECTOR, 'subscribe', 'certfleet/acme/service/#', true],
    [CONNECTOR, 'publish', 'certfleet/acme/service/claims/r1', true],
    [CONNECTOR, 'subscribe', 'certfleet/acme/device/+/out/#', false],
    [CONNECTOR, 'publish', 'certfleet/acme/device/d1/in/enrolled', false],
  ] as const)('%o %s %s: %s', (identity, action, topic, expected) => {
    expect(aclAllows('acme', identity, action as AclAction, topic)).toBe(expected);
  });
});

describe('broker passwords ($7$ PBKDF2-SHA512, Mosquitto format)', () => {
  it.each([
    ['s3cret', 's3cret', true],
    ['s3cret', 'S3cret', false],
    ['pässwörd with spaces', 'pässwörd with spaces', true],
    ['', 'x', false],
  ])('hash(%j) verifies %j: %s', (password, attempt, expected) => {
    const h = hashPassword(password, Buffer.alloc(12, 7));
    expect(h).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(verifyPassword(attempt, h)).toBe(expected);
  });

  const passwd = spawnSync('mosquitto_passwd', ['-h'], { stdio: 'ignore' }).error
    ? undefined
    : 'mosquitto_passwd';
  it.skipIf(!passwd)('verifies a hash written by mosquitto_passwd (skipped when it is not installed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-passwd-'));
    try {
      const file = join(dir, 'pw');
      const r = spawnSync('mosquitto_passwd', ['-c', '-b', file, 'alice', 'from-mosquitto'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const hash = readFileSync(file, 'utf8').trim().split(':')[1]!;
      expect(verifyPassword('from-mosquitto', hash)).toBe(true);
      expect(verifyPassword('from-mosquittO', hash)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('credentials table and Mosquitto files', () => {
  const table = new CredentialTable([
    { role: 'service', name: 'svc', password: 'a' },
    { role: 'connector', name: 'conn-1', password: 'b' },
    { role: 'device', name: 'd1', password: 'c' },
  ]);

  it('verifies users and never keeps the password', () => {
    expect(table.verify('d1', 'c')).toEqual({ role: 'device', name: 'd1' });
    expect(table.verify('d1', 'a')).toBeUndefined();
    expect(table.verify('nobody', 'a')).toBeUndefined();
    expect(JSON.stringify(table.accounts())).not.toMatch(/"[abc]"/);
  });

  it.each([
    { role: 'device' as const, name: 'd/1' },
    { role: 'device' as const, name: 'd+1' },
    { role: 'service' as const, name: 'has:colon' },
    { role: 'connector' as const, name: 'has space' },
  ])('refuses the user name $name for a $role', (a) => {
    expect(() => new CredentialTable([{ ...a, password: 'x' }])).toThrow(
      expect.objectContaining({ code: 'USAGE' }),
    );
  });

  it('renders one password line per account and the ACL of topic-acl.ts', () => {
    const lines = renderPasswordFile(table).trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['svc', 'conn-1', 'd1']);
    const acl = renderAclFile('acme', table);
    expect(acl).toContain('pattern write certfleet/acme/device/%u/out/#\n');
    expect(acl).toContain('pattern read certfleet/acme/device/%u/in/#\n');
    expect(acl).toContain('user svc\ntopic readwrite certfleet/acme/#\n');
    expect(acl).toContain('user conn-1\ntopic readwrite certfleet/acme/service/#\n');
    expect(acl).not.toContain('user d1');
  });

  // regression issue 5: `--tls --broker mosquitto` needs the enroll-only ACL on the password listener and
  // only the device patterns on the certificate listener.
  it.each([
    {
      name: 'password listener of a TLS broker (enroll-only devices)',
      options: { devicesEnrollOnly: true },
      has: [
        'pattern write certfleet/acme/device/%u/out/enroll/#\n',
        'pattern read certfleet/acme/device/%u/in/enrolled/#\n',
        'user svc\n',
      ],
      not: ['/out/#', '/in/#'],
    },
    {
      name: 'certificate listener (devices only)',
      options: { devicesOnly: true },
      has: ['pattern write certfleet/acme/device/%u/out/#\n', 'pattern read certfleet/acme/device/%u/in/#\n'],
      not: ['\nuser '],
    },
  ])('renders the ACL of the $name', ({ options, has, not }) => {
    const acl = renderAclFile('acme', table, options);
    for (const h of has) expect(acl).toContain(h);
    for (const n of not) expect(acl).not.toContain(n);
  });
});

describe('externalBroker', () => {
  it.each([
    {
      url: 'mqtt://broker.example:1884',
      env: {},
      expected: { url: 'mqtt://broker.example:1884', port: 1884 },
    },
    {
      url: 'mqtts://broker.example',
      env: { CERTFLEET_BROKER_USERNAME: 'qa', CERTFLEET_BROKER_PASSWORD: 'pw' },
      expected: { url: 'mqtts://broker.example', port: 8883, username: 'qa', password: 'pw' },
    },
  ])('$url', ({ url, env, expected }) => {
    expect(externalBroker(url, env)).toMatchObject({ kind: 'external', ...expected });
  });

  it.each(['http://x', 'not a url', 'mqtt://user:secret@host:1883'])('refuses %s with USAGE', (url) => {
    expect(() => externalBroker(url, {})).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  describe('regression issue 5: the shared login every client of a run uses', () => {
    it.each([
      { env: {}, login: undefined },
      { env: { CERTFLEET_BROKER_USERNAME: 'qa' }, login: { username: 'qa' } },
      {
        env: { CERTFLEET_BROKER_USERNAME: 'qa', CERTFLEET_BROKER_PASSWORD: 'pw' },
        login: { username: 'qa', password: 'pw' },
      },
    ])('$env', ({ env, login }) => {
      expect(sharedLogin(externalBroker('mqtt://h:1883', env))).toEqual(login);
    });

    it('is none for a broker certfleet starts', () => {
      const started = { kind: 'embedded', url: 'mqtt://127.0.0.1:1', port: 1 } as const;
      expect(sharedLogin({ ...started, synced: async () => undefined, close: async () => undefined })).toBe(
        undefined,
      );
    });

    it('refuses a password without a user name (MQTT 3.1.1 §3.1.2.9), without quoting it', () => {
      expect(() => externalBroker('mqtt://h', { CERTFLEET_BROKER_PASSWORD: 'hunter2' })).toThrow(
        expect.objectContaining({ code: 'USAGE', message: expect.not.stringContaining('hunter2') }),
      );
    });
  });
});
