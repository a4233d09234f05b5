// Writes made in the same tick leave together, in order; a later tick's writes leave on their own.
import { Writable } from 'node:stream';
import { batchWritesPerTick } from '../../src/platform/batch-writes';

test('writes of one tick reach the socket as one batch, in order', async () => {
  const batches: string[][] = [];
  const socket = new Writable({
    write(chunk: Buffer, _enc, cb) {
      batches.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      batches.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      cb();
    },
  });
  batchWritesPerTick(socket);
  socket.write('a');
  socket.write('b');
  socket.write('c');
  expect(batches).toEqual([]); // nothing leaves before the tick ends
  await new Promise((resolve) => setImmediate(resolve));
  socket.write('d');
  await new Promise((resolve) => setImmediate(resolve));
  expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
});
