// The bounded memory of what this process has finished with: the oldest keys go first.
import { RecentSet } from '../../src/kernel/recent-set';

test('keeps the last max keys, forgetting the oldest first; adding a key again does not grow it', () => {
  const s = new RecentSet(3);
  for (const k of ['a', 'b', 'c', 'a']) s.add(k);
  expect(['a', 'b', 'c'].map((k) => s.has(k))).toEqual([true, true, true]);
  s.add('d');
  expect(['a', 'b', 'c', 'd'].map((k) => s.has(k))).toEqual([false, true, true, true]);
});
