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
    destination ?? bufferedStdout(),
  );
}

/** How long a log line may wait in the buffer at most. */
const FLUSH_EVERY_MS = 100;

/**
 * Standard output, written in chunks of 4 KiB or every 100 ms, whichever comes first: a write per
 * line cost ~70 µs of CPU, more than the rest of logging a call (docs/benchmarks.md, "Load").
 * pino flushes what is pending when the process exits.
 */
function bufferedStdout(): pino.DestinationStream {
  const out = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  let pending = false;
  setInterval(() => {
    if (!pending) return;
    pending = false;
    try {
      out.flush();
    } catch {
      // Standard output closed: nothing more can be written.
    }
  }, FLUSH_EVERY_MS).unref();
  return {
    write(line: string) {
      pending = true;
      out.write(line);
    },
  };
}
