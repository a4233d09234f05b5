// An agent sends the connected caller to an assist flow (a payment IVR the queue lists) and gets
// them back when it ends: the caller leaves the call's bridge and runs the flow, the agent stays
// in the bridge, and the flow's end brings the caller back into it. The card digits the flow
// collects never reach the agent; what it sets (card_valid, a lookup's reference) shows in the
// call's variables. Recordings pause while the flow is in a sensitive step (src/recordings).
import { seconds } from '../domain/model';
import { callBridgeId } from '../../kernel/ids';
import type { Actor } from '../domain/control';
import type { AcdEntry } from '../ports';
import { CallActionRefused, type CallControl } from './call-control';
import type { AcdCore } from './core';

export class Assist {
  constructor(
    private readonly c: AcdCore,
    private readonly control: CallControl,
  ) {}

  /** The caller goes to `flow` (one of the queue's assist flows); the agent waits for them in the bridge. */
  async start(callId: string, flow: string, actor: Actor, by: string): Promise<AcdEntry> {
    const first = await this.control.checked(callId, 'assist', actor);
    if (first.d.callback) throw new CallActionRefused(409, `call "${callId}" is a callback: its customer runs no flow`);
    const flows = this.c.config().queues.get(first.d.queue)?.assistFlows ?? [];
    if (!flows.includes(flow)) throw new CallActionRefused(422, `flow "${flow}" is not an assist flow of queue "${first.d.queue}"${flows.length ? ` (it has ${flows.join(', ')})` : ' (it has none)'}`, 'flow');
    if (!this.c.deps.startAssist) throw new CallActionRefused(409, 'this service runs no call flows');
    const members = await this.c.telephony.bridgeMembers(callBridgeId(callId));
    if (!members?.includes(first.d.channelId)) throw new CallActionRefused(409, `call "${callId}" is not connected to its agent yet`);
    const at = this.c.now();
    const { before, after } = await this.c.retry('assist', async () => {
      const cur = await this.control.checked(callId, 'assist', actor);
      const next: AcdEntry = { ...cur.d, assist: { flow, startedAt: at, by } };
      return { apply: () => this.c.store.updateEntry(cur, next), result: { before: cur.d, after: next } };
    });
    const log = this.c.callLogs.of(callId);
    try {
      await this.c.telephony.removeFromBridge(callBridgeId(callId), [after.channelId]);
    } catch (err) {
      await this.takeBack(callId, at);
      log.warn({ err }, 'could not take the caller out of the conversation for the assist flow');
      throw new CallActionRefused(503, `Asterisk could not hand call "${callId}" to flow "${flow}"`);
    }
    await this.c.deps.events.publish({ type: 'queue.assist-started', callId, queue: after.queue, agentId: after.agentId!, flow, by, at });
    log.info({ flow, by }, 'caller sent to an assist flow');
    // The flow runs in the call's own queue, as every event of the call; it may find the call
    // gone, or its flow removed by a reload: then the caller goes straight back.
    if (!(await this.c.deps.startAssist({ callId, flow }))) {
      await this.done(callId);
      throw new CallActionRefused(409, `the call flow could not start flow "${flow}" on call "${callId}"`);
    }
    return after;
  }

  /** The assist stored at `at` did not happen: the entry loses it (whatever else changed meanwhile stays). */
  private async takeBack(callId: string, at: number): Promise<void> {
    await this.c.retry('assist take back', async () => {
      const cur = await this.c.store.getEntry(callId);
      if (cur?.d.assist?.startedAt !== at) return { result: undefined };
      const next: AcdEntry = { ...cur.d };
      delete next.assist;
      return { apply: () => this.c.store.updateEntry(cur, next), result: undefined };
    });
  }

  /** The assist flow ended with the caller still there: back into the conversation with the agent. */
  async done(callId: string): Promise<void> {
    const at = this.c.now();
    const res = await this.c.retry('assist done', async () => {
      const cur = await this.c.store.getEntry(callId);
      if (!cur || cur.d.state !== 'connected' || !cur.d.assist) return { result: undefined };
      const next: AcdEntry = { ...cur.d };
      delete next.assist;
      return { apply: () => this.c.store.updateEntry(cur, next), result: { entry: next, assist: cur.d.assist } };
    });
    if (!res) return;
    const { entry, assist } = res;
    const log = this.c.callLogs.of(callId);
    const tel = this.c.telephony;
    try {
      await tel.bridge(callBridgeId(callId), [entry.channelId]);
    } catch (err) {
      // The caller waits on hold, and the agent's resume tries the bridge again.
      log.error({ err }, 'could not bring the caller back from the assist flow; on hold until the agent resumes');
      const cur = await this.c.store.getEntry(callId);
      if (cur && cur.d.state === 'connected' && cur.d.heldAt === undefined && (await this.c.store.updateEntry(cur, { ...cur.d, heldAt: at })).ok) {
        await tel.startMoh(entry.channelId, this.c.config().queues.get(entry.queue)?.musicClass ?? 'default').catch(() => undefined);
        await this.c.deps.events.publish({ type: 'queue.held', callId, queue: entry.queue, agentId: entry.agentId!, by: 'system', at });
      }
    }
    await this.c.deps.events.publish({ type: 'queue.assist-ended', callId, queue: entry.queue, agentId: entry.agentId!, flow: assist.flow, assistS: seconds(at - assist.startedAt), at });
    log.info({ flow: assist.flow }, 'caller back from the assist flow');
  }
}
