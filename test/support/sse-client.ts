// A Server-Sent Events client for tests: fetch + eventsource-parser (3.x: CommonJS and Node 18+,
// where 4.x is ESM only and asks for Node 22), every message kept in order.
import { createParser } from 'eventsource-parser';

export { createParser };

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  status: number;
  messages: SseMessage[];
  /** Resolves once a message matching `test` has arrived (or rejects after the deadline). */
  until(what: string, test: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Opens a stream; resolves once the server's retry hint arrived (the client is subscribed). */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  const waiters: Array<() => void> = [];
  let retried = false;
  const parser = createParser({
    onEvent: (m) => {
      messages.push({ id: m.id, event: m.event, data: m.data });
      for (const w of waiters.splice(0)) w();
    },
    onRetry: () => {
      retried = true;
      for (const w of waiters.splice(0)) w();
    },
  });
  const client: SseClient = {
    status: res.status,
    messages,
    until: (what, test, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms (${messages.length} messages)`)), timeoutMs);
        const check = (): void => {
          const found = messages.find(test);
          if (found) {
            clearTimeout(deadline);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      }),
    close: () => abort.abort(),
  };
  if (!res.ok || !res.body) return client;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted
    }
  })();
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('no retry hint from the stream')), 10_000);
    const check = (): void => {
      if (retried) {
        clearTimeout(deadline);
        resolve();
      } else waiters.push(check);
    };
    check();
  });
  return client;
}
