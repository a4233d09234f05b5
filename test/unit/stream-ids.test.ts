// Journal (Redis stream) ids: what the event stream accepts as a position, and their order.
import { compareStreamIds, isStreamId, parseStreamId } from '../../src/stream/domain';

test('a complete ms-seq id is valid and canonical', () => {
  expect(parseStreamId('1700000000000-0')).toBe('1700000000000-0');
  expect(parseStreamId('0-0')).toBe('0-0');
  expect(parseStreamId('007-01')).toBe('7-1');
  expect(parseStreamId('18446744073709551615-18446744073709551615')).toBe('18446744073709551615-18446744073709551615');
});

test.each(['', '-', '+', '$', '>', '1700000000000', '1-', '-1', '1-2-3', ' 1-0', '1-0 ', 'a-0', '1.5-0', '18446744073709551616-0', '0-18446744073709551616', '1-0\nid: 2-0', '123456789012345678901-0'])(
  '%j is not a stream id',
  (text) => {
    expect(isStreamId(text)).toBe(false);
    expect(parseStreamId(text)).toBeUndefined();
  },
);

test('ids order by milliseconds, then by sequence, numerically (not as text)', () => {
  expect(compareStreamIds('1-0', '1-0')).toBe(0);
  expect(compareStreamIds('1-0', '1-1')).toBeLessThan(0);
  expect(compareStreamIds('2-0', '1-99')).toBeGreaterThan(0);
  expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0); // "9" > "10" as text
  expect(compareStreamIds('5-9', '5-10')).toBeLessThan(0);
  expect(compareStreamIds('1700000000000-5', '1700000000001-0')).toBeLessThan(0);
  expect(compareStreamIds('18446744073709551615-0', '18446744073709551614-9')).toBeGreaterThan(0);
});

test('sorting with the comparator matches BigInt order', () => {
  const ids = ['10-0', '9-3', '9-10', '0-0', '1700000000000-2', '1700000000000-11', '2-0', '18446744073709551615-1'];
  const byBigInt = [...ids].sort((a, b) => {
    const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
    const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
    return am === bm ? (as < bs ? -1 : as > bs ? 1 : 0) : am < bm ? -1 : 1;
  });
  expect([...ids].sort(compareStreamIds)).toEqual(byBigInt);
});
