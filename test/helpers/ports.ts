// Test fixture: a TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before the
// caller binds it (tests run in parallel), so a helper that starts a server on it retries on a new port when
// the bind fails (slapd.ts does).
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
