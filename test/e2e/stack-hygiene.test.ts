// What the stack leaves on the host: Asterisk's user in its root is no host account (the files it
// owns include agent passwords), and logs with caller numbers are readable by their owner only.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { stack } from '../support/stack';

function paths(out: string): { fullLog: string; stdout: string; state: string } {
  const get = (label: RegExp) => out.split('\n').find((l) => label.test(l))?.split(/:\s+/).pop()?.trim() ?? '';
  return { fullLog: get(/^asterisk full/), stdout: get(/^asterisk stdout/), state: get(/^state dir/) };
}

const hostHas = (db: 'passwd' | 'group', id: string) => {
  try {
    execFileSync('getent', [db, id]);
    return true;
  } catch {
    return false;
  }
};

test("the Asterisk root's asterisk user and group are no host account or group", async () => {
  const p = paths((await stack('logs', 'test')).out);
  const root = p.fullLog.slice(0, p.fullLog.indexOf('/srv/switchboard/'));
  const user = readFileSync(path.join(root, 'etc', 'passwd'), 'utf8').split('\n').find((l) => l.startsWith('asterisk:'))!.split(':');
  const group = readFileSync(path.join(root, 'etc', 'group'), 'utf8').split('\n').find((l) => l.startsWith('asterisk:'))!.split(':');
  expect({ uid: hostHas('passwd', user[2]!), gid: hostHas('group', group[2]!) }).toEqual({ uid: false, gid: false });
  // Its files (pjsip.conf holds the agents' passwords) are owned by that uid.
  expect(String(statSync(path.join(path.dirname(p.fullLog), '..', 'etc', 'pjsip.conf')).uid)).toBe(user[2]);
});

test('logs with caller numbers are readable by their owner only', async () => {
  const p = paths((await stack('logs', 'test')).out);
  const logDir = path.dirname(p.fullLog);
  const mode = (f: string) => statSync(f).mode & 0o777;
  expect(mode(logDir) & 0o077).toBe(0);
  for (const f of readdirSync(logDir)) expect({ f, other: mode(path.join(logDir, f)) & 0o077 }).toEqual({ f, other: 0 });
  expect(mode(p.state) & 0o077).toBe(0);
  expect(mode(p.stdout) & 0o077).toBe(0);
});
