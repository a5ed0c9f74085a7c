/**
 * The status sockets of the fan-out bench's browser-listener mode: every listener page holds one
 * status WebSocket beside its stream, so this keeps as many open to the server as it reports
 * listeners (read from the status messages themselves), opening at most `--ramp` a second.
 *
 *   node build/node/bench/fanout/status-sockets.js --url ws://127.0.0.1:PORT/ws?mount=live \
 *     [--ramp 1000] [--max 20000] [--max-seconds 600] [--out FILE]
 *
 * Started beside the server by `with-status-sockets.sh` (pinned to the load generator's CPU). It ends
 * by itself when the server goes away (every socket closed and a new one refused) or after
 * `--max-seconds`, and writes one JSON line: sockets opened, refused, closed by the server, messages
 * received in total and per socket per second over its last 20 s.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    ramp: { type: 'string', default: '1000' },
    max: { type: 'string', default: '20000' },
    'max-seconds': { type: 'string', default: '600' },
    out: { type: 'string' },
  },
});
const url = values.url ?? '';
if (!/^ws:\/\/127\.0\.0\.1:\d+\//.test(url)) {
  process.stderr.write('status-sockets: --url ws://127.0.0.1:PORT/ws?mount=NAME is required\n');
  process.exit(2);
}
const ramp = Number(values.ramp);
const max = Number(values.max);
const startedAt = Date.now();

let wanted = 0;
let open = 0;
let opening = 0;
let opened = 0;
let refused = 0;
let closedByServer = 0;
let messages = 0;
/** Messages received per second, the last 20 seconds (for the steady-state rate). */
const perSecond: number[] = [];
let thisSecond = 0;
let ending = false;
let startTries = 0;
/** Why sockets failed, by error code or message. */
const errors: Record<string, number> = {};

function connect(): void {
  opening++;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let isOpen = false;
  ws.on('open', () => {
    isOpen = true;
    opening--;
    open++;
    opened++;
  });
  ws.on('message', (data) => {
    messages++;
    thisSecond++;
    // The count to follow: the listeners the server reports (Buffer → JSON; small, rare after the ramp).
    const m = JSON.parse(String(data)) as { type?: string; listeners?: number };
    if (m.type === 'status' && typeof m.listeners === 'number')
      wanted = Math.min(max, Math.max(1, m.listeners));
  });
  ws.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code ?? err.message.slice(0, 60);
    errors[why] = (errors[why] ?? 0) + 1;
  });
  ws.on('close', () => {
    if (isOpen) {
      open--;
      closedByServer++;
    } else {
      opening--;
      refused++;
    }
    if (open > 0 || opening > 0) return;
    // Before the server is up the first socket is refused: try again (bounded); after, it has gone.
    if (opened === 0 && ++startTries < 300) setTimeout(connect, 100);
    else finish(opened === 0 ? 'server never answered' : 'server gone');
  });
}

function finish(why: string): void {
  if (ending) return;
  ending = true;
  const window = perSecond.slice(-20);
  const rate = window.length === 0 ? 0 : window.reduce((a, b) => a + b, 0) / window.length;
  const line = JSON.stringify({
    why,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    peakOpen: peak,
    opened,
    refused,
    closedByServer,
    errors,
    messages,
    messagesPerSocketPerSecondLast20s: peak === 0 ? 0 : rate / peak,
  });
  if (values.out) appendFileSync(values.out, `${line}\n`);
  else process.stdout.write(`${line}\n`);
  process.exit(0);
}

let peak = 0;
wanted = 1;
connect();
setInterval(() => {
  perSecond.push(thisSecond);
  if (perSecond.length > 60) perSecond.shift();
  thisSecond = 0;
  if (Date.now() - startedAt > Number(values['max-seconds']) * 1000) finish('time limit');
}, 1000);
// Ramp: every 10 ms open up to ramp/100 more, never more than the listeners reported.
setInterval(() => {
  let budget = Math.max(1, Math.round(ramp / 100));
  while (opened > 0 && budget-- > 0 && open + opening < wanted) connect();
  peak = Math.max(peak, open);
}, 10);
