#!/usr/bin/env node
// switchboard <command>: start | validate | agent | callback | apikey | openapi | stack | demo
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvError, parseEnv } from '../platform/config/env';
import { ConfigError, loadRoutingDir } from '../config/routing';
import { createLogger } from '../platform/logging';
import { startService, type RunningService } from '../main';
import { PACKAGE_ROOT, stateDir } from './paths';
import { startDemoCrm } from './demo-crm';
import { runStack, stackEnv } from './stack';
import { callApi } from './api-client';
import { CALLBACK_USAGE, cmdCallback } from './callbacks';
import { STATS_USAGE, cmdStats } from './stats';
import { APIKEY_USAGE, cmdApiKey } from './apikeys';
import { openApiText } from '../api';

const USAGE = `usage: switchboard <command>

  start                      run the service (configuration from SWITCHBOARD_* variables, see docs/configuration.md)
  validate [dir]             check routing files (default: $SWITCHBOARD_CONFIG_DIR or config/demo)
  agent <login|logout|ready|pause> <id> [reason]
                             change an agent's status through the running service's API
                             (SWITCHBOARD_API_TOKEN, SWITCHBOARD_HTTP_PORT)
  agents                     list agents and their states
${CALLBACK_USAGE}${APIKEY_USAGE}${STATS_USAGE}  openapi                    print the API's OpenAPI 3.1 document (as in docs/openapi.json)
  stack <cmd> [profile]      provision and run Asterisk + Redis: install | up | down | status | env | logs
  demo                       the whole demo in the foreground; Ctrl-C stops everything
  demo up | demo down        the same, detached / stopped
`;

async function cmdStart(): Promise<number> {
  let env;
  try {
    env = parseEnv(process.env);
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(env.SWITCHBOARD_LOG_LEVEL, undefined, { maskCallerNumbers: env.SWITCHBOARD_LOG_CALLER_NUMBERS === 'masked' });
  let service: RunningService;
  try {
    service = await startService({ env, logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard: configuration error:\n${err.message}\n`);
      return 1;
    }
    process.stderr.write(`switchboard: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  // SIGHUP reloads the routing files, as it does for Asterisk and most daemons.
  process.on('SIGHUP', () => void service.reloadConfig());
  await waitForSignal();
  await service.stop();
  return 0;
}

async function cmdAgent(args: string[]): Promise<number> {
  const [command, id, reason] = args;
  if (command === undefined) return callApi('GET', '/api/v1/agents');
  if (!id || !['login', 'logout', 'ready', 'pause'].includes(command)) {
    process.stderr.write(USAGE);
    return 2;
  }
  return callApi('POST', `/api/v1/agents/${encodeURIComponent(id)}/${command}`, reason ? { reason } : {});
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function cmdValidate(dir: string | undefined): Promise<number> {
  const target = dir ?? process.env.SWITCHBOARD_CONFIG_DIR ?? 'config/demo';
  try {
    const cfg = await loadRoutingDir(target);
    process.stdout.write(`${target}: OK (${cfg.files.length} file(s), ${cfg.numbers.size} number(s))\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n${err.problems.length} error(s); nothing was changed\n`);
      return 1;
    }
    throw err;
  }
}


function demoEnv(stack: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...stack,
    SWITCHBOARD_CONFIG_DIR: path.join(PACKAGE_ROOT, 'config', 'demo'),
    SWITCHBOARD_QUEUE_LOG: path.join(stateDir('demo'), 'queue_log'),
  };
}

function printHowToCall(stack: Record<string, string>): void {
  const http = stack.SWITCHBOARD_HTTP_PORT ?? '8080';
  process.stdout.write(`
Switchboard demo is up.
  SIP (UDP)   127.0.0.1:5060   call 5000 from loopback: no authentication (like a carrier trunk)
  agents      register as agent1..agent4 with passwords demo-agent1..demo-agent4
  ARI         ${stack.SWITCHBOARD_ARI_URL ?? ''}
  HTTP        http://127.0.0.1:${http}/readyz
  API         tokens: admin demo-admin-token-0001, supervisor demo-supervisor-token-01
Try it: a softphone on this machine calling sip:5000@127.0.0.1:5060 reaches the menu
(1 sales, 2 support, 3 billing, 9 Spanish, 0 sales); 5099 takes a voicemail; 5001 (sales),
5002 (support) and 5003 (billing) queue straight for a registered agent with the skill.
`);
}

async function waitReady(port: string, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function cmdDemo(sub: string | undefined): Promise<number> {
  const profile = 'demo';
  const pidFile = path.join(stateDir(profile), 'switchboard.pid');
  const crmPidFile = path.join(stateDir(profile), 'demo-crm.pid');
  const customers = path.join(PACKAGE_ROOT, 'config', 'demo', 'customers.json');
  if (sub === 'down') {
    for (const file of [pidFile, crmPidFile]) {
      try {
        const pid = Number(readFileSync(file, 'utf8').trim());
        process.kill(pid, 'SIGTERM');
        const until = Date.now() + 10_000;
        while (Date.now() < until && alive(pid)) await new Promise((r) => setTimeout(r, 100));
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // not running
      }
      rmSync(file, { force: true });
    }
    return runStack(['down', profile]);
  }
  const up = await runStack(['up', profile]);
  if (up !== 0) return up;
  const stack = await stackEnv(profile);
  if (sub === 'up') {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (alive(pid)) {
        process.stdout.write(`Switchboard already running (pid ${pid})\n`);
        printHowToCall(stack);
        return 0;
      }
    } catch {
      // no pid file
    }
    mkdirSync(path.dirname(pidFile), { recursive: true });
    const logFile = path.join(stateDir(profile), 'switchboard.log');
    // The demo CRM (billing's customer lookup), its own small process.
    const crm = spawn(process.execPath, [__filename, 'demo-crm', customers], { detached: true, stdio: 'ignore' });
    writeFileSync(crmPidFile, String(crm.pid));
    crm.unref();
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, [__filename, 'start'], { env: demoEnv(stack), detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    writeFileSync(pidFile, String(child.pid));
    child.unref();
    if (!(await waitReady(stack.SWITCHBOARD_HTTP_PORT ?? '8080', 60_000))) {
      process.stderr.write(`Switchboard did not become ready within 60 s; see ${logFile}\n`);
      return 1;
    }
    printHowToCall(stack);
    process.stdout.write(`  logs        ${logFile}\nStop it with: npm run demo:down\n`);
    return 0;
  }
  // Foreground: the service in this process, everything stopped on Ctrl-C.
  Object.assign(process.env, demoEnv(stack));
  const env = parseEnv(process.env);
  const logger = createLogger(env.SWITCHBOARD_LOG_LEVEL, undefined, { maskCallerNumbers: env.SWITCHBOARD_LOG_CALLER_NUMBERS === 'masked' });
  let service: RunningService | undefined;
  const crm = await startDemoCrm(customers);
  try {
    service = await startService({ env, logger });
    if (await waitReady(String(service.httpPort), 60_000)) printHowToCall(stack);
    process.stdout.write('Press Ctrl-C to stop the demo.\n');
    await waitForSignal();
  } finally {
    await service?.stop();
    crm.close();
    await runStack(['down', profile]);
  }
  return 0;
}

async function cmdDemoCrm(file: string | undefined): Promise<number> {
  const server = await startDemoCrm(file ?? path.join(PACKAGE_ROOT, 'config', 'demo', 'customers.json'));
  await waitForSignal();
  server.close();
  return 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      return cmdStart();
    case 'validate':
      return cmdValidate(rest[0]);
    case 'stack':
      return runStack(rest);
    case 'agent':
      return cmdAgent(rest);
    case 'agents':
      return cmdAgent([]);
    case 'callback':
      return cmdCallback(rest, USAGE);
    case 'stats':
      return cmdStats(rest, USAGE);
    case 'apikey':
      return cmdApiKey(rest, APIKEY_USAGE);
    case 'openapi':
      process.stdout.write(openApiText());
      return 0;
    case 'demo':
      return cmdDemo(rest[0]);
    case 'demo-crm':
      return cmdDemoCrm(rest[0]);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`switchboard: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`switchboard: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
