/**
 * The run's SCEP server (issue 14 point 2): when the scenario has a SCEP profile, an NDES-like server
 * (simulator/service/scep/) on 127.0.0.1 at a free port, backed by the run's CA and its template, whose
 * policy module redeems the one-time challenges the MDM service issues per device × profile — both read the
 * run's clock (virtual in `certfleet run`), so a challenge expires in clock time. Its URL replaces the
 * scenario's SCEP_SERVER_PLACEHOLDER (bind-scep-server.ts); `ctx.scep` hands the service what it puts in
 * the payloads, and the certificates the connector reports issued per device × profile (which the service
 * revokes on retire and unassign). The connector's events go to the run database, the serial with 20600. The server closes with the part. The RA's key is sealed as the CA's keys are (ra-identity.ts).
 * With a `journal` (a coordinated `serve`, issue 10 point 3), the challenges and issued certificates are
 * written there before the answers that depend on them leave, and the challenges a killed run made are
 * restored into the store (the issued certificates are restored with the service's saved stores); the
 * server's port is saved too, and a resumed server listens on it again (IO when it cannot).
 * Needs the CA part; comes before the service side.
 */
import { CertfleetError } from '../../../pki/errors.ts';
import { sha1Thumbprint, sha256Thumbprint } from '../../../pki/index.ts';
import { bindScepServer, needsScepServer } from '../../scenario/index.ts';
import { assignmentsOf } from '../assignments.ts';
import { ChallengeStore } from '../../service/scep/challenge-store.ts';
import type { ConnectorEvent } from '../../service/scep/connector-events.ts';
import { startScepServer, type RunningScepServer } from '../../service/scep/http-server.ts';
import { ScepIssuedCertificates } from '../../service/scep/issued-certificates.ts';
import { loadOrIssueRa } from '../../service/scep/ra-identity.ts';
import { ScepResponder } from '../../service/scep/responder.ts';
import type { ScepJournal } from '../../service/scep/scep-journal.ts';
import type { FleetPart } from './fleet-builder.ts';
import { need, type FleetContext } from './fleet-context.ts';

/** The name of the SCEP server part. */
export const SCEP_SERVER = 'SCEP server';

/** The template NDES submits to: CertfleetUser when the CA publishes it, else the first it publishes. */
function templateOf(ca: NonNullable<FleetContext['ca']>): string | undefined {
  if (ca.kind !== 'enterprise') return undefined;
  const published = ca.templates().filter((t) => t.published);
  return (published.find((t) => t.template.name === 'CertfleetUser') ?? published[0])?.template.name;
}

/** Starts the SCEP server when the scenario needs one; nothing otherwise. */
export function scepServer(o: { journal?: ScepJournal } = {}): FleetPart<FleetContext> {
  const journal = o.journal;
  return {
    name: SCEP_SERVER,
    async start(ctx, teardown) {
      if (!needsScepServer(ctx.scenario)) return;
      const ca = need(ctx.ca, 'the CA', SCEP_SERVER);
      const now = (): Date => ctx.clock.now();
      const ra = await loadOrIssueRa(ca, { now: now(), key: await ctx.keys.rsa.take() });
      // challenges are secrets: from node:crypto, never from the scenario's seeded random
      const challenges = new ChallengeStore(journal ? { journal: journal.challenges } : {});
      // a resumed serve: the challenges the killed one handed out still enrol, once
      if (journal) challenges.restore(journal.savedChallenges());
      // the connector's reports of issued certificates, which the service revokes from
      const issued = new ScepIssuedCertificates(journal ? { journal: journal.issued } : {});
      const template = templateOf(ca);
      const runDb = ctx.runDb;
      // the run database names profiles as the scenario does, like the service's events (not by wire id)
      const { nameOfId } = assignmentsOf(ctx.scenario);
      const responder = new ScepResponder({
        ca,
        ra,
        challenges,
        issued,
        now,
        // the connector's events (20500–20602, with their diagnostic codes) go to the run database
        ...(runDb !== undefined && {
          onEvent: (e: ConnectorEvent) =>
            runDb.recordEvent({
              at: e.at,
              ...(e.deviceId !== undefined && { device: e.deviceId }),
              ...(e.profileId !== undefined && { profile: nameOfId.get(e.profileId) ?? e.profileId }),
              type: 'scep-connector',
              detail: `${e.eventId} ${e.name}, diagnostic ${e.diagnosticCode} ${e.diagnosticName}${e.code !== undefined ? ` (${e.code})` : ''}, transaction ${e.transactionId}${e.serial !== undefined ? `, serial ${e.serial}` : ''}`,
            }),
        }),
        ...(template !== undefined && { template }),
      });
      // a resumed serve listens where the killed one did: the payloads it sent carry that URL
      const saved = journal?.savedPort();
      let server: RunningScepServer;
      try {
        server = await startScepServer({ responder, port: saved ?? 0 });
      } catch (e) {
        if (saved === undefined) throw e;
        throw new CertfleetError(
          'IO',
          `The SCEP server of the resumed run must listen on 127.0.0.1:${saved}, where the killed serve's did (the SCEP payloads its devices were sent carry that URL), but it cannot: ${(e as Error).message} Free that port and start serve again.`,
          { cause: e },
        );
      }
      journal?.keepPort(server.port);
      teardown.add(() => server.close());
      ctx.scenario = bindScepServer(ctx.scenario, server.ndesUrl);
      ctx.scep = {
        url: server.ndesUrl,
        challenges,
        caFingerprint: Buffer.from(sha256Thumbprint(ca.issuing.der), 'hex'),
        caThumbprint: sha1Thumbprint(ca.root.der),
        sidSecurityExtension: ctx.scenario.connectors.sidSecurityExtension === true,
        issued,
      };
    },
  };
}
