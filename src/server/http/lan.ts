/** Addresses a phone on the same network can use to reach this machine. */
import { hostname, networkInterfaces } from 'node:os';

/** Non-internal IPv4 addresses of this machine, in interface order. */
export function lanAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}

export function machineName(): string {
  return hostname();
}

/** Addresses other machines can use: every LAN address when bound to all, none for loopback. */
export function reachableAddresses(host: string): string[] {
  if (host === '0.0.0.0' || host === '::') return lanAddresses();
  if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return [];
  return [host];
}
