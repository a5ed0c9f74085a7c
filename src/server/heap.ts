/**
 * V8 heap settings of the server process, applied when this module is evaluated: `main.ts` imports it
 * first, so they hold however the process is started (`npm start`, the `onair` binary, `node
 * bin/onair.js`, `node build/node/src/server/main.js` from a service file or a container).
 *
 * - A young generation of 1 MiB per semi-space that never grows: a fan-out server allocates a little
 *   for every chunk and keeps almost none of it, so a bigger nursery only holds garbage longer. Left to
 *   grow (16 MiB per semi-space), RSS per listener was 6.5–7× Icecast's (bench/fanout).
 * - `--optimize-for-size`: the old generation grows with less slack.
 *
 * V8 reads these when it sizes a space, so setting them before the server allocates works like the
 * command-line flags (measured: the same new-space size and RSS per listener as `node --max-semi-space-size=1
 * --optimize-for-size`); flags given on the command line are left as they are.
 */
import v8 from 'node:v8';

export const HEAP_FLAGS = ['--max-semi-space-size=1', '--semi-space-growth-factor=1', '--optimize-for-size'];

for (const flag of HEAP_FLAGS) {
  const name = flag.split('=')[0] as string;
  if (!process.execArgv.some((a) => a.split('=')[0] === name)) v8.setFlagsFromString(flag);
}
