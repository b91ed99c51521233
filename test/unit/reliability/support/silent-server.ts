/**
 * A server on 127.0.0.1 that accepts every connection and never sends a byte: what a black-holed
 * route or a stuck proxy looks like to an SDK client. The unit endpoint faults and the bundle-level
 * deadline rows both point clients at it.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface SilentServer {
  port: number;
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => sockets.length,
    // close() waits for open connections, and a silent server keeps them: end them first.
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
