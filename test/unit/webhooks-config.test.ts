// The routing files' `webhooks:` section: defaults, expansion of event globs, and every problem
// named with file, line, column and field (a secret's value never appears in one).
import { loadRoutingDir } from '../../src/config/routing';
import { dirWith, problems } from '../support/routing-files';

const SECRET = 'a-long-random-secret-0123456789';
const env = { CRM_SECRET: SECRET, SHORT_SECRET: 'short' };
const QUEUES = 'skills: [sales]\nqueues:\n  sales:\n    requires: skill.sales >= 1\n    whenNoAgents: { hangup: {} }\n';

describe('routing files: webhooks', () => {
  it('loads a hook with its defaults, its globs expanded against the catalogue', async () => {
    const hooks = `webhooks:
  crm:
    url: https://crm.example.com/switchboard/events
    events: [callback.*, queue.abandoned]
    secretEnv: CRM_SECRET
  sales-board:
    url: http://127.0.0.1:9000/hook
    events: ["*"]
    secretEnv: CRM_SECRET
    maxAttempts: 3
    backoff: 0.5
    timeout: 2
    queues: [sales]
`;
    const cfg = await loadRoutingDir(await dirWith({ 'q.yaml': QUEUES, 'hooks.yaml': hooks }), { env });
    const crm = cfg.webhooks.get('crm');
    expect(crm).toMatchObject({ id: 'crm', url: 'https://crm.example.com/switchboard/events', events: ['callback.*', 'queue.abandoned'], secretEnv: 'CRM_SECRET', maxAttempts: 8, backoffS: 2, timeoutS: 5 });
    expect(crm?.queues).toBeUndefined();
    expect([...(crm?.types ?? [])]).toEqual(expect.arrayContaining(['callback.requested', 'callback.failed', 'queue.abandoned']));
    expect(crm?.types.has('queue.entered')).toBe(false);
    expect(cfg.webhooks.get('sales-board')).toMatchObject({ maxAttempts: 3, backoffS: 0.5, timeoutS: 2, queues: new Set(['sales']) });
    // The secret stays in the environment: the configuration holds its name only.
    expect(JSON.stringify([...cfg.webhooks.values()].map((w) => ({ ...w, types: [...w.types], queues: w.queues && [...w.queues] })))).not.toContain(SECRET);
  });

  it('a folder without webhooks has none', async () => {
    const cfg = await loadRoutingDir(await dirWith({ 'q.yaml': QUEUES }), { env });
    expect(cfg.webhooks.size).toBe(0);
  });

  it('names file, line, column and field of each problem', async () => {
    const hooks = `webhooks:
  a:
    url: ftp://crm.example.com/x
    events: [queue.entred, "callbak.*", "Queue.*"]
    secretEnv: MISSING_SECRET
  b:
    url: https://user:pass@crm.example.com/x
    events: []
    secretEnv: "s3cr3t value"
    maxAttempts: 0
    backoff: -1
    timeout: 60
    queues: [sale]
    retries: 3
  c:
    url: http://127.0.0.1/x
    events: ["*"]
    secretEnv: SHORT_SECRET
    queues: [sale]
`;
    const out = await problems({ 'q.yaml': QUEUES, 'hooks.yaml': hooks }, { env });
    expect(out).toEqual([
      'hooks.yaml:3:10: webhooks.a.url: must be an http:// or https:// URL',
      'hooks.yaml:4:41: webhooks.a.events.2: must be an event type like "queue.entered" or a glob like "queue.*" or "*"',
      'hooks.yaml:7:10: webhooks.b.url: must not carry a user or password (secrets never go in routing files)',
      'hooks.yaml:8:13: webhooks.b.events: needs at least one event type',
      'hooks.yaml:9:16: webhooks.b.secretEnv: must be the NAME of an environment variable (letters, digits, "_"), never the secret itself',
      'hooks.yaml:10:18: webhooks.b.maxAttempts: maxAttempts must be at least 1',
      'hooks.yaml:11:14: webhooks.b.backoff: backoff must be more than 0 seconds',
      'hooks.yaml:12:14: webhooks.b.timeout: timeout must be at most 30 seconds',
      'hooks.yaml:14:5: webhooks.b.retries: Unrecognized key: "retries"',
      'hooks.yaml:18:16: webhooks.c.secretEnv: environment variable SHORT_SECRET is shorter than 16 characters (use a long random secret)',
      'hooks.yaml:19:14: webhooks.c.queues.0: unknown queue "sale" (did you mean "sales"?)',
    ]);
  });

  it('checks event patterns against the catalogue and the secret variable, once the file is valid', async () => {
    const hooks = `webhooks:
  a:
    url: https://crm.example.com/x
    events: [queue.entred, "callbak.*", queue.*]
    secretEnv: MISSING_SECRET
`;
    expect(await problems({ 'q.yaml': QUEUES, 'hooks.yaml': hooks }, { env })).toEqual([
      'hooks.yaml:4:14: webhooks.a.events.0: "queue.entred" matches no event type (did you mean "queue.entered"?)',
      'hooks.yaml:4:28: webhooks.a.events.1: "callbak.*" matches no event type',
      'hooks.yaml:5:16: webhooks.a.secretEnv: environment variable MISSING_SECRET is not set',
    ]);
  });

  it('refuses a hook defined twice', async () => {
    const hook = 'webhooks:\n  crm:\n    url: https://crm.example.com/x\n    events: ["*"]\n    secretEnv: CRM_SECRET\n';
    const out = await problems({ 'q.yaml': QUEUES, 'a.yaml': hook, 'b.yaml': hook }, { env });
    expect(out).toEqual([expect.stringMatching(/^b\.yaml:2:3: webhooks\.crm: webhook already defined in .*a\.yaml:2$/)]);
  });
});
