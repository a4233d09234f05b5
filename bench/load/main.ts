// Load benchmark: Switchboard and Asterisk's app_queue side by side on the same Asterisk 22, under
// the same SIPp load, measured from the wire (docs/benchmarks.md, "Load: side by side with
// app_queue").
//   npm run build && npm run bench:load                 (full: rates up until both fail, 60 s, 2 rounds)
//   npm run build && npm run bench:load -- --quick      (3 rates x 30 s x 1 round, under 5 minutes)
// Brings the "bench" stack profile up (config/stack/bench.env) and down again at the end
// (--keep-stack leaves it up), and stops everything it starts, also on Ctrl-C and on errors.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KNEE_RULE, type StepResult } from './analysis';
import { BridgeWatch } from './ami';
import { AGENT_BUSY_S, parseArgs, readProfile, USAGE, type BenchProfile, type Options, type System } from './options';
import { Cleanup, exitOnSignals } from './procs';
import { compareText, knee, ratios, STEP_HEADER, stepLine, summaryText, type Summary } from './report';
import { CLI, Switchboard, writeRouting } from './service';
import { runStep, type StepContext } from './step';
import { Ari, REPO, stack, stackPids } from './stack';

const RESULTS = path.join(REPO, 'bench', 'results');
const BASELINE = path.join(REPO, 'bench', 'load-baseline.json');

const say = (s: string) => process.stdout.write(`${s}\n`);
const note = (s: string) => process.stderr.write(`${s}\n`);

/** Each round: rates in order; at each rate every system still standing, the order alternating per round. */
async function runRounds(ctx: StepContext, steps: StepResult[]): Promise<void> {
  const o = ctx.options;
  let index = 0;
  for (let round = 1; round <= o.rounds; round++) {
    const order: System[] = round % 2 === 1 ? [...o.systems] : [...o.systems].reverse();
    const failed = new Set<System>();
    for (const rate of o.rates) {
      for (const system of order) {
        if (failed.has(system)) continue;
        note(`round ${round}: ${system} at ${rate} calls/s for ${o.durationS} s…`);
        const result = await runStep(ctx, { round, system, rate, index: ++index });
        steps.push(result);
        say(stepLine(result));
        if (!result.pass) failed.add(system);
      }
      if (order.every((s) => failed.has(s))) break;
    }
    if (!order.every((s) => failed.has(s))) note(`round ${round}: ${order.filter((s) => !failed.has(s)).join(' and ')} passed every rate given: add higher --rates to find the knee`);
  }
}

function planText(o: Options, p: BenchProfile): string {
  return [
    `Load benchmark: ${o.systems.join(' and ')} on the same Asterisk, one at a time (${os.cpus().length} cores, Node ${process.version})`,
    `  ${p.agentCount} agents, all reaching one SIPp phone (answers after 100 ms, hangs up 1 s after the ACK); callers give up 20 s after the answer`,
    `  the agents carry at most about ${Math.floor(p.agentCount / AGENT_BUSY_S)} calls/s (each is busy about ${AGENT_BUSY_S} s a call): above that callers queue whatever the system`,
    `  rates ${o.rates.join(', ')} calls/s (up until both fail), ${o.durationS} s per step, ${o.rounds} round(s), order alternating per round`,
    `  ${KNEE_RULE}`,
    `  from the wire: tcpdump on lo (SIP), Asterisk's BridgeEnter times over AMI; CPU from /proc`,
  ].join('\n');
}

async function setUp(o: Options, p: BenchProfile, cleanup: Cleanup, runDir: string): Promise<StepContext> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (the benchmark runs the built service)`);
  note('bringing the bench stack up (scripts/stack.sh up bench)…');
  await stack('up');
  if (!o.keepStack) cleanup.add('bench stack', async () => void (await stack('down')));
  const pids = await stackPids();
  const ami = new BridgeWatch(p.amiPort, p.ariUser, p.ariPassword);
  cleanup.add('AMI connection', () => ami.close());
  await ami.open();
  const routingDir = path.join(runDir, 'routing');
  await writeRouting(routingDir, p.agentCount);
  return { cleanup, profile: p, options: o, runDir, ami, ari: new Ari(p), switchboard: new Switchboard(cleanup, p, routingDir, o.logLevel, o.cpuProf ? runDir : undefined), pids };
}

async function report(o: Options, p: BenchProfile, steps: StepResult[], startedAt: Date, stamp: string, error?: Error): Promise<void> {
  const knees = { app_queue: knee(steps, 'app_queue'), switchboard: knee(steps, 'switchboard') };
  const r = ratios(steps, knees);
  say(summaryText(steps, knees, r));
  const summary: Summary & { error?: string } = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '?', node: process.version },
    options: o,
    agentCount: p.agentCount,
    rule: KNEE_RULE,
    steps,
    knees,
    ratios: r,
    ...(error ? { error: error.message } : {}),
  };
  const file = path.join(RESULTS, `load-${stamp}.json`);
  await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`);
  say(`\nSummary: ${path.relative(REPO, file)}; logs and SIPp statistics: ${path.relative(REPO, path.join(RESULTS, `load-${stamp}`))}/`);
  if (existsSync(BASELINE)) say(compareText(summary, JSON.parse(readFileSync(BASELINE, 'utf8')) as Summary, path.relative(REPO, BASELINE)));
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    say(USAGE);
    return 0;
  }
  const o = parsed;
  const p = readProfile(REPO);
  const cleanup = new Cleanup();
  exitOnSignals(cleanup);
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
  const runDir = path.join(RESULTS, `load-${stamp}`);
  await mkdir(runDir, { recursive: true });
  const steps: StepResult[] = [];
  let error: Error | undefined;
  say(planText(o, p));
  try {
    const ctx = await setUp(o, p, cleanup, runDir);
    say(`\n${STEP_HEADER}`);
    await runRounds(ctx, steps);
  } catch (err) {
    error = err as Error;
    note(`\nload benchmark stopped: ${error.message}`);
  } finally {
    note('stopping what the benchmark started…');
    await cleanup.runAll();
  }
  await report(o, p, steps, startedAt, stamp, error);
  say(`\ntook ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
  return error ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    note(`load benchmark: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
