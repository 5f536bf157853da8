/** Free TCP ports on the loopback interface (for brokers started by the project or its tests). */
import { createServer } from 'node:net';

/** Asks the OS for a free port on `host` (listen on 0, read it, close). Another process may take it later. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
