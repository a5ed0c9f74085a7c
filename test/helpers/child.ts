/** A client program run by a test (ffmpeg, GStreamer, ezstream, Liquidsoap), its output kept. */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

export interface Client {
  proc: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  exited: Promise<number | null>;
  stop(): void;
}

export function runClient(cmd: string, args: string[]): Client {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  proc.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited, stop: () => proc.kill('SIGKILL') };
}
