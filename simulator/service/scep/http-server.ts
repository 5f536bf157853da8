/**
 * The SCEP server over real HTTP on loopback (RFC 8894 §4.1: `GET|POST <path>?operation=…`), at `/scep` and
 * at NDES's path `/certsrv/mscep/mscep.dll` (also with `/pkiclient.exe`, the form Windows clients and the
 * IIS log of docs/formats.md §7.3 show). Operations: GetCACaps (text/plain), GetCACert (RA + CA as a
 * degenerate PKCS#7, `application/x-x509-ca-ra-cert`), PKIOperation by GET (base64 `message`) or POST (DER
 * body), answered `application/x-pki-message`. `/certsrv/mscep_admin/` hands out one-time challenges, as
 * NDES's admin page does (query: device, profile, subject), when the server has no static challenge.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CertfleetError } from '../../../pki/errors.ts';
import { SERVER_CAPABILITIES } from '../../../protocol/scep/caps.ts';
import { degenerateCertificates } from '../../../protocol/scep/signed-data.ts';
import type { ChallengeStore } from './challenge-store.ts';
import type { ScepResponder } from './responder.ts';

export const SCEP_PATHS = ['/scep', '/certsrv/mscep/mscep.dll', '/certsrv/mscep/mscep.dll/pkiclient.exe'];
export const ADMIN_PATH = '/certsrv/mscep_admin/';

/** Largest PKIOperation body read (a request with a 4096-bit key is under 8 KB). */
const MAX_BODY = 256 * 1024;

/** A running server. */
export interface RunningScepServer {
  url: string;
  ndesUrl: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error(`the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Starts the server on 127.0.0.1:`port` (0 = a free port).
 *
 * @param admin the challenge store `/certsrv/mscep_admin/` issues from; absent = no admin page (404).
 * @throws CertfleetError IO when the port cannot be bound.
 */
export async function startScepServer(o: {
  responder: ScepResponder;
  port: number;
  admin?: { store: ChallengeStore; now: () => Date };
}): Promise<RunningScepServer> {
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === ADMIN_PATH && o.admin && req.method === 'GET') {
      const challenge = o.admin.store.issue({
        deviceId: url.searchParams.get('device') ?? 'standalone',
        profileId: url.searchParams.get('profile') ?? 'standalone',
        ...(url.searchParams.get('subject') !== null && { subject: url.searchParams.get('subject')! }),
        now: o.admin.now(),
      });
      send(res, 200, 'text/plain', `${challenge}\n`);
      return;
    }
    if (!SCEP_PATHS.includes(url.pathname)) {
      send(
        res,
        404,
        'text/plain',
        `No SCEP service at ${url.pathname}; use ${SCEP_PATHS[0]} or ${SCEP_PATHS[1]}.\n`,
      );
      return;
    }
    const operation = url.searchParams.get('operation');
    if (operation === 'GetCACaps' && req.method === 'GET') {
      send(res, 200, 'text/plain', SERVER_CAPABILITIES.join('\n'));
    } else if (operation === 'GetCACert' && req.method === 'GET') {
      send(res, 200, 'application/x-x509-ca-ra-cert', degenerateCertificates(o.responder.caCertificates()));
    } else if (operation === 'PKIOperation' && (req.method === 'GET' || req.method === 'POST')) {
      let message: Buffer;
      try {
        if (req.method === 'POST') message = await readBody(req);
        else {
          // URLSearchParams turns an unescaped '+' into a space; base64 has no spaces.
          const b64 = (url.searchParams.get('message') ?? '').replace(/ /g, '+');
          if (!/^[A-Za-z0-9+/\r\n]+={0,2}$/.test(b64)) throw new Error('the message parameter is not base64');
          message = Buffer.from(b64, 'base64');
        }
      } catch (e) {
        send(res, 400, 'text/plain', `PKIOperation: ${(e as Error).message}\n`);
        return;
      }
      try {
        send(res, 200, 'application/x-pki-message', o.responder.handle(message));
      } catch (e) {
        send(res, 400, 'text/plain', `PKIOperation: ${(e as Error).message}\n`);
      }
    } else {
      send(
        res,
        400,
        'text/plain',
        `Unknown or missing operation "${operation ?? ''}" for ${req.method ?? ''}; use GetCACaps, GetCACert or PKIOperation.\n`,
      );
    }
  };
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `${(e as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: Error) =>
      reject(
        new CertfleetError('IO', `The SCEP server cannot listen on 127.0.0.1:${o.port} (${cause.message}).`, {
          cause,
        }),
      ),
    );
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/scep`,
    ndesUrl: `http://127.0.0.1:${port}/certsrv/mscep/mscep.dll`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
