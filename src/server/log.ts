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

/** A logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: pino.LevelWithSilent, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'onair' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
