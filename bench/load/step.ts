// One step: one system live, one rate, one SIPp run, measured from the wire.
import path from 'node:path';
import { analyseStep, type StepResult } from './analysis';
import type { BridgeWatch } from './ami';
import { startCapture } from './capture';
import { cpuBetween, CpuMeter, softirqThreads } from './cpu';
import { AGENT_BUSY_S, NUMBER, type BenchProfile, type Options, type System } from './options';
import { callerCalls } from './pcap';
import type { Cleanup } from './procs';
import type { Switchboard } from './service';
import { MEDIA_PORTS, startCallers, startPhone } from './sipp';
import { flushRedis, type Ari } from './stack';

export interface StepContext {
  cleanup: Cleanup;
  profile: BenchProfile;
  options: Options;
  runDir: string;
  ami: BridgeWatch;
  ari: Ari;
  switchboard: Switchboard;
  pids: { asterisk: number; redis: number };
}

export interface StepPlan {
  round: number;
  system: System;
  rate: number;
  /** 1, 2, … over the run: the callers' number prefix (9 then three digits), unique per step. */
  index: number;
}

// The callers' SIP port and the media ports of both SIPps (each takes -mp and the three above).
const CALLER_PORT_OFFSET = 1; // SIP_PORT + 1 (5261); the phone is AGENT_CONTACT (5262)
const PHONE_MEDIA_OFFSET = 4; // SIP_PORT + 4 (5264-5267)
const CALLER_MEDIA_OFFSET = PHONE_MEDIA_OFFSET + MEDIA_PORTS; // SIP_PORT + 8 (5268-5271)
/** Seconds SIPp waits after the last call is placed: the callers' 20 s patience and some room. */
const DRAIN_S = 25;

/** Brings the system up for the step (Switchboard: fresh Redis, the service, its agents ready). */
async function prepare(ctx: StepContext, plan: StepPlan, tag: string): Promise<number> {
  const leftovers = await ctx.ari.waitIdle(30_000);
  if (plan.system === 'switchboard') {
    await flushRedis(ctx.profile.redisPort);
    await ctx.switchboard.start(path.join(ctx.runDir, `${tag}-switchboard.log`));
    await ctx.switchboard.agentsReady(ctx.profile.agentCount);
  }
  return leftovers;
}

export async function runStep(ctx: StepContext, plan: StepPlan): Promise<StepResult> {
  const { profile: p, options: o } = ctx;
  const tag = `${String(plan.index).padStart(2, '0')}-r${plan.round}-${plan.system}-${plan.rate}`;
  const leftovers = await prepare(ctx, plan, tag);
  const phone = await startPhone(ctx.cleanup, ctx.runDir, tag, p.phone.port, p.sipPort + PHONE_MEDIA_OFFSET);
  const capture = await startCapture(ctx.cleanup, path.join(ctx.runDir, `${tag}.pcap`), p.sipPort);
  ctx.ami.take(); // forget bridges from before this step
  let callerPid: number | undefined;
  const kernel = softirqThreads();
  const meter = new CpuMeter(() => ({
    ...kernel,
    node: ctx.switchboard.pid,
    asterisk: ctx.pids.asterisk,
    redis: ctx.pids.redis,
    sippCallers: callerPid,
    sippPhone: phone.child.pid,
    tcpdump: capture.pid,
    bench: process.pid,
  }));
  const before = meter.snapshot();
  const load = plan.system === 'switchboard' ? ctx.switchboard.watchLoad() : undefined;
  const sampler = setInterval(() => meter.sample(), 1000);
  const callers = startCallers(ctx.cleanup, ctx.runDir, tag, {
    target: `127.0.0.1:${p.sipPort}`,
    number: NUMBER[plan.system],
    rate: plan.rate,
    durationS: o.durationS,
    prefix: `9${String(plan.index).padStart(3, '0')}`,
    port: p.sipPort + CALLER_PORT_OFFSET,
    mediaPort: p.sipPort + CALLER_MEDIA_OFFSET,
    drainS: DRAIN_S,
  });
  callerPid = callers.child.pid;
  const done = await callers.done;
  clearInterval(sampler);
  const cpu = cpuBetween(before, meter.snapshot());
  const eventLoop = load?.stop();
  const phoneCounts = await phone.stop();
  const wire = await capture.stop({ keepFile: o.keepPcap });
  const bridges = ctx.ami.take();
  const agentsPaused = plan.system === 'switchboard' ? await ctx.switchboard.agentsPaused() : undefined;
  if (plan.system === 'switchboard') await ctx.switchboard.stop();
  const result = analyseStep({
    round: plan.round,
    system: plan.system,
    rate: plan.rate,
    durationS: o.durationS,
    calls: callerCalls(wire.messages, { asterisk: p.sipPort, caller: p.sipPort + CALLER_PORT_OFFSET, phone: p.phone.port }),
    bridges,
    callers: done.counts,
    phone: phoneCounts,
    cpu,
    ...(eventLoop ? { eventLoop } : {}),
    captureDropped: wire.dropped,
    leftoversHungUp: leftovers,
    agentCapacity: p.agentCount / AGENT_BUSY_S,
  });
  if (agentsPaused !== undefined) result.agentsPaused = agentsPaused;
  if (!wire.complete) result.notes.push('tcpdump had not written its end marker 10 s after the step: the capture may miss its last second');
  if (typeof done.exit !== 'number' || done.exit > 1) result.notes.push(`SIPp callers exited with ${done.exit}: ${done.errors.split('\n').slice(-3).join(' ')}`);
  return result;
}
