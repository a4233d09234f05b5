import pino, { type Logger } from 'pino';

/** Every digit but the last two replaced: enough to tell calls apart, not enough to call back. */
export function maskNumber(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/\d(?=(?:\D*\d){2})/g, '*') : value;
}

const SECRET_PATHS = ['password', '*.password', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization'];
/** Log fields that hold a caller's number (call loggers bind `caller`). */
const CALLER_KEYS = new Set(['caller', 'callerId']);

/**
 * Structured JSON logs. Secrets never reach them: credentials are redacted wherever they appear.
 * With `maskCallerNumbers` (SWITCHBOARD_LOG_CALLER_NUMBERS=masked) callers' numbers are masked too.
 */
export function createLogger(level: string, destination?: pino.DestinationStream, opts: { maskCallerNumbers?: boolean } = {}): Logger {
  const paths = opts.maskCallerNumbers ? [...SECRET_PATHS, ...[...CALLER_KEYS].flatMap((k) => [k, `*.${k}`])] : SECRET_PATHS;
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: { paths, censor: (value, path) => (CALLER_KEYS.has(path.at(-1) ?? '') ? maskNumber(value) : '[redacted]') },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
