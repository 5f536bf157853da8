/**
 * The service's later query of a Windows SCEP enrolment (simulator/service/mdm/handlers/scep-status-query.ts):
 * a PC that answered the Enroll Atomic without a result (202, nothing installed yet) stays pending; at its next
 * check-in the service sends a SyncML Get of the node's Status, ErrorCode and CertThumbprint on the profile's
 * topic, and the outcome the PC reports with its answer is recorded. Once the result is known (installed or
 * failed), a check-in sends nothing more.
 */
import { describe, expect, it } from 'vitest';
import { decodeSyncml } from '../../../profiles/windows/syncml-decode.ts';
import type { InstallOutcome } from '../../../protocol/wire/outcome.ts';
import type { RunEvent } from '../../../simulator/run-model.ts';
import type { ServiceScep } from '../../../simulator/service/mdm/service-types.ts';
import { ChallengeStore } from '../../../simulator/service/scep/challenge-store.ts';
import { outcomeOf, profileOf, toAll, world, type FakeDevice } from './harness.ts';
import { ScepIssuedCertificates } from '../../../simulator/service/scep/issued-certificates.ts';

const ROOT_SHA1 = 'AB'.repeat(20);

function pcScep() {
  return profileOf({
    kind: 'scep-certificate',
    family: 'windows',
    displayName: 'PC SCEP',
    subjectNameFormat: 'custom',
    subjectNameFormatString: 'CN={{UserName}},O=Contoso',
    scepServerUrls: ['http://scep.certfleet.invalid/certsrv/mscep/mscep.dll'],
  });
}

/** The Get targets of a SyncML message, or undefined when it carries no Get. */
function getTargets(bytes: Buffer): string[] | undefined {
  const d = decodeSyncml(bytes);
  if (!d.ok) return undefined;
  const gets = d.message.body.filter((c) => c.kind === 'Get');
  return gets.length === 0
    ? undefined
    : gets.flatMap((g) => ('items' in g ? g.items.map((i) => i.target ?? '') : []));
}

async function pcWorld(result: 'installed' | 'failed') {
  const events: RunEvent[] = [];
  const scep: ServiceScep = {
    url: 'http://127.0.0.1:9/certsrv/mscep/mscep.dll',
    challenges: new ChallengeStore({}),
    caFingerprint: Buffer.alloc(32),
    caThumbprint: ROOT_SHA1,
    sidSecurityExtension: false,
    issued: new ScepIssuedCertificates(),
  };
  const w = await world({
    assignments: [toAll('pc-scep', pcScep())],
    service: { scep, onEvent: (e) => events.push(e) },
  });
  let queried = 0;
  const answer = (profileId: string, payload: Buffer): InstallOutcome[] => {
    if (getTargets(payload) === undefined) return []; // the Enroll Atomic: 202, no result yet
    queried += 1;
    return [
      {
        device: pc.id,
        platform: 'windows',
        payload: profileId,
        status: result,
        code: result === 'installed' ? 'OK' : 'SCEP_REQUEST_FAILED',
        message: result === 'installed' ? 'Enrolled (Status 1).' : 'Refused (Status 16).',
        native: {
          platform: 'windows',
          syncml: 200,
          cspStatus: result === 'installed' ? '0x00000000' : '0x80094011',
        },
      },
    ];
  };
  const pc: FakeDevice = await w.enrol({ platform: 'windows', kind: 'entra-joined', answer });
  return { w, pc, events, queries: () => queried };
}

describe('the service queries a Windows SCEP enrolment at the next check-in', () => {
  it('pending after the Enroll; a Get of Status/ErrorCode/CertThumbprint at check-in; then installed, no more Gets', async () => {
    const { w, pc, events, queries } = await pcWorld('installed');
    expect(outcomeOf(w.service, pc.id, 'pc-scep')?.status).toBe('pending');
    expect(pc.payloads()).toHaveLength(1);
    await pc.checkIn();
    await w.settle();
    const sent = pc.payloads();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.topic).toBe(sent[0]!.topic);
    const targets = getTargets(sent[1]!.payload)!;
    expect(targets.map((t) => t.split('/').slice(-1)[0])).toEqual(['Status', 'ErrorCode', 'CertThumbprint']);
    expect(
      targets.every((t) => /^\.\/User\/Vendor\/MSFT\/ClientCertificateInstall\/SCEP\/[^/]+\/\w+$/.test(t)),
    ).toBe(true);
    expect(events.filter((e) => e.type === 'scep-status-query')).toHaveLength(1);
    expect(queries()).toBe(1);
    expect(outcomeOf(w.service, pc.id, 'pc-scep')).toMatchObject({ status: 'installed', code: 'OK' });
    await pc.checkIn();
    await w.settle();
    expect(pc.payloads()).toHaveLength(2);
  });

  it('a failed result is recorded with its code and native ErrorCode, and not queried again', async () => {
    const { w, pc } = await pcWorld('failed');
    await pc.checkIn();
    await w.settle();
    expect(outcomeOf(w.service, pc.id, 'pc-scep')).toMatchObject({
      status: 'failed',
      code: 'SCEP_REQUEST_FAILED',
    });
    await pc.checkIn();
    await w.settle();
    expect(pc.payloads()).toHaveLength(2);
  });
});
