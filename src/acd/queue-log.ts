// Asterisk's queue_log format, so existing reporting tools (QueueMetrics and others) can read
// Switchboard's history: epoch|callid|queue|agent|event|data1|data2|...
import { appendFile } from 'node:fs/promises';

export type QueueLogEvent =
  | 'ENTERQUEUE'
  | 'CONNECT'
  | 'COMPLETECALLER'
  | 'COMPLETEAGENT'
  | 'ABANDON'
  | 'EXITWITHTIMEOUT'
  | 'EXITEMPTY'
  | 'EXITWITHKEY'
  | 'RINGNOANSWER'
  | 'TRANSFER'
  | 'PAUSE'
  | 'UNPAUSE'
  | 'ADDMEMBER'
  | 'REMOVEMEMBER';

export interface QueueLogLine {
  at: number;
  callId: string;
  queue: string;
  agent: string;
  event: QueueLogEvent;
  data: Array<string | number>;
}

/** One line; fields cannot contain "|" or newlines (replaced), as in Asterisk. */
export function formatQueueLog(l: QueueLogLine): string {
  const clean = (v: string | number) => String(v).replace(/[|\r\n]/g, '_');
  return [Math.floor(l.at / 1000), l.callId || 'NONE', l.queue || 'NONE', l.agent || 'NONE', l.event, ...l.data].map(clean).join('|');
}

export class QueueLogFile {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly file: string) {}

  /** Appends in call order; a failed write does not block the next ones. */
  append(line: QueueLogLine): Promise<void> {
    const text = `${formatQueueLog(line)}\n`;
    this.chain = this.chain.then(() => appendFile(this.file, text)).catch(() => undefined);
    return this.chain;
  }
}
