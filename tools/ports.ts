/** Free TCP ports on 127.0.0.1, for the processes tests and tools start (redis, WebKitWebDriver, a soak server). */
import net from 'node:net';

/** A port nobody listens on right now (the kernel's pick for port 0, released again). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
