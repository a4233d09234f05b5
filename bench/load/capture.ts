// SIP on the wire: tcpdump on loopback, every UDP packet to or from Asterisk's SIP port, written
// to a pcap file (read back by pcap.ts). scripts/stack.sh installs tcpdump for the bench profile
// (EXTRA_PACKAGES in config/stack/bench.env).
//
// tcpdump hands packets over in blocks (up to a second late), and whatever is not handed over
// when it stops is lost. So the capture ends with a marker: a datagram the benchmark sends to
// itself (its port is in the filter), and tcpdump is stopped once the marker is in the file.
import dgram from 'node:dgram';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { start, waitFor, type Cleanup } from './procs';
import { sipMessages, type SipMessage } from './pcap';

export interface Capture {
  pid: number;
  /** Stops tcpdump and reads the capture: the SIP messages, the packets the kernel dropped, and
   *  whether the end marker was seen (else the last second may be missing). */
  stop(opts: { keepFile: boolean }): Promise<{ messages: SipMessage[]; dropped: number; complete: boolean }>;
}

async function markerSocket(cleanup: Cleanup): Promise<{ port: number; send(text: string): Promise<void>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', () => undefined); // our own marker arriving
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  const close = () => void socket.close();
  const unregister = cleanup.add('capture marker socket', close);
  return {
    port,
    send: (text) => new Promise((resolve, reject) => socket.send(text, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))),
    close: () => {
      unregister();
      close();
    },
  };
}

/**
 * Watches `file` from `offset` on for `text`: each call reads what was written since the last
 * (SIP traffic may go on after the marker, so the file's tail is not enough).
 */
function markerWatch(file: string, offset: number, text: string): () => Promise<boolean> {
  let from = offset;
  return async () => {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(offset, from - text.length);
      if (size <= start) return false;
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      from = size;
      return buf.includes(text);
    } finally {
      await fh.close();
    }
  };
}

/** Starts tcpdump and resolves once it says it is listening (deadline 10 s). */
export async function startCapture(cleanup: Cleanup, file: string, sipPort: number): Promise<Capture> {
  const marker = await markerSocket(cleanup);
  // -U: each packet block is written as it comes; -B: a 32 MiB kernel buffer for bursts;
  // -s 2048: every SIP header fits (the SDP bodies may be cut, they are not read).
  const filter = `udp port ${sipPort} or udp port ${marker.port}`;
  const child = start(cleanup, 'tcpdump', 'tcpdump', ['-i', 'lo', '-nn', '-U', '-B', '32768', '-s', '2048', '-w', file, filter]);
  await waitFor(
    'tcpdump to listen on lo',
    () => /listening on lo/.test(child.stderr()) || (child.proc.exitCode !== null ? Promise.reject(new Error(`tcpdump exited: ${child.stderr().trim()}`)) : false),
    10_000,
  );
  return {
    pid: child.pid,
    async stop({ keepFile }) {
      const text = `switchboard-bench-end-of-capture-${process.pid}-${Date.now()}`;
      const seen = markerWatch(file, (await stat(file)).size, text);
      await marker.send(text);
      const complete = await waitFor('the end-of-capture marker in the capture file', seen, 10_000, 100).then(
        () => true,
        () => false,
      );
      marker.close();
      await child.stop('SIGINT', 10_000);
      const dropped = Number(/(\d+) packets? dropped by kernel/.exec(child.stderr())?.[1] ?? 0);
      const messages = sipMessages(await readFile(file));
      if (!keepFile) await rm(file, { force: true });
      return { messages, dropped, complete };
    },
  };
}
