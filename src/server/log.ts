/** Structured JSON logging (pino). Modules take a Logger and log through `log.child({scope})`. */
import { pino } from 'pino';

export type Logger = pino.Logger;

/** Field names that could ever carry a secret; pino replaces their values. */
const REDACT = [
  'key',
  'streamKey',
  'token',
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  '*.key',
  '*.streamKey',
  '*.authorization',
];

/**
 * How an error is logged, always under the key `err`: its type, message and stack (with those of its
 * causes, as pino's own serializer writes them) and its code. Nothing else of it: ioredis puts the
 * failed command's arguments on its errors (AUTH's password, XADD's media bytes).
 */
function serializeErr(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const { type, message, stack } = pino.stdSerializers.err(err);
  const code = (err as { code?: unknown }).code;
  return { type, message, stack, ...(typeof code === 'string' ? { code } : {}) };
}

/** A logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: pino.LevelWithSilent, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'onair' },
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeErr },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
