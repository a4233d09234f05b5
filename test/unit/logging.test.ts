// The service log: secrets never appear; callers' numbers appear in full unless masked.
import { Writable } from 'node:stream';
import { createLogger, maskNumber } from '../../src/platform/logging';

function capture(opts?: { maskCallerNumbers?: boolean }) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger('info', sink, opts) };
}

test('credentials are redacted wherever they appear', () => {
  const { lines, logger } = capture();
  logger.info({ password: 'p', headers: { authorization: 'Bearer x' }, nested: { password: 'q' } }, 'x');
  expect(lines[0]).toMatchObject({ password: '[redacted]', headers: { authorization: '[redacted]' }, nested: { password: '[redacted]' } });
});

test("by default a caller's number is logged in full (as before)", () => {
  const { lines, logger } = capture();
  logger.child({ callId: 'c1', caller: '+15550100' }).info({ callerId: '15550100' }, 'x');
  expect(lines[0]).toMatchObject({ caller: '+15550100', callerId: '15550100' });
});

test("masked: a caller's number keeps only its last two digits, in bindings and fields alike", () => {
  const { lines, logger } = capture({ maskCallerNumbers: true });
  logger.child({ callId: 'c1', number: '5000', caller: '+15550100' }).info({ entry: { callerId: '15550123' }, password: 'p' }, 'x');
  expect(lines[0]).toMatchObject({ callId: 'c1', number: '5000', caller: '+******00', entry: { callerId: '******23' }, password: '[redacted]' });
});

test('masking keeps what is not a digit and short numbers', () => {
  expect([maskNumber('+44 20 7946 0958'), maskNumber('12'), maskNumber('anonymous'), maskNumber(42)]).toEqual(['+** ** **** **58', '12', 'anonymous', 42]);
});
