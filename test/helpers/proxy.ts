/**
 * A TCP proxy on 127.0.0.1 in front of the server, to break a page's connections the way a Wi-Fi
 * blip does: every open connection is destroyed and new ones are refused for a while. TLS and HTTP/2
 * pass through untouched (it only copies bytes).
 */
import net from 'node:net';

export interface CutProxy {
  port: number;
  /** Connections opened so far (to see a page reconnect). */
  readonly accepted: number;
  /** Points the proxy at the server's port (set once the server runs). */
  setTarget(port: number): void;
  /** Destroys every open connection and refuses new ones for `refuseMs`. */
  cut(refuseMs: number): void;
  close(): Promise<void>;
}

export async function startCutProxy(): Promise<CutProxy> {
  let target = 0;
  let refuseUntil = 0;
  let accepted = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil || target === 0) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    setTarget(p) {
      target = p;
    },
    cut(refuseMs) {
      refuseUntil = Date.now() + refuseMs;
      for (const s of [...open]) s.destroy();
      open.clear();
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
