// A Server-Sent Events client for tests: fetch + eventsource-parser, every message kept in order.
import type * as Esp from 'eventsource-parser';

// eventsource-parser is ESM only and jest runs CommonJS: load it with Node's own require (Node 20.19+ loads ESM with it).
function loadParser(): typeof Esp {
  type NodeModule = { filename: string; paths: string[]; require(id: string): unknown };
  const { Module } = require('node:module') as { Module: { new (id: string): NodeModule; _nodeModulePaths(dir: string): string[] } };
  const m = new Module(__filename);
  m.filename = __filename;
  m.paths = Module._nodeModulePaths(__dirname);
  return m.require('eventsource-parser') as typeof Esp;
}
/** eventsource-parser's createParser, loaded for CommonJS tests. */
export const { createParser } = loadParser();

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
