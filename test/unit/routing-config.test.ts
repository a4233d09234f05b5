import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { routingFileJsonSchemaText } from '../../src/config/json-schema';
import { loadRoutingDir } from '../../src/config/routing';
import { dirWith, problems } from '../support/routing-files';


describe('routing files', () => {
  it('loads the demo configuration', async () => {
    const cfg = await loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'));
    expect(cfg.numbers.get('5000')).toEqual({ greeting: [], flow: 'main', priority: 0, attributes: {} });
  });

  it('merges several files', async () => {
    const dir = await dirWith({ 'a.yaml': 'numbers:\n  "5000":\n    greeting: [hello-world]\n', 'b.yml': 'numbers:\n  "6000":\n    greeting: [beep]\n' });
    const cfg = await loadRoutingDir(dir);
    expect([...cfg.numbers.keys()].sort()).toEqual(['5000', '6000']);
  });

  it('names file, line, column and field for a misspelt key', async () => {
    expect(await problems({ 'a.yaml': 'numbers:\n  "5000":\n    greeting: [hello-world]\n    greting: [x]\n' })).toEqual([
      'a.yaml:4:5: numbers.5000.greting: Unrecognized key: "greting"',
    ]);
  });

  it('names a missing field and a bad prompt', async () => {
    const out = await problems({ 'a.yaml': 'numbers:\n  "5001": {}\n  "5002":\n    greeting: ["../../etc/passwd"]\n' });
    expect(out).toEqual([
      'a.yaml:2:3: numbers.5001: needs a flow, a queue or a greeting',
      expect.stringMatching(/^a\.yaml:4:16: numbers\.5002\.greeting\.0: must be a sound name/),
    ]);
  });

  it('rejects a number that is not dialable and a number defined twice', async () => {
    const out = await problems({
      'a.yaml': 'numbers:\n  "50x0":\n    greeting: [beep]\n  "6000":\n    greeting: [beep]\n',
      'b.yaml': 'numbers:\n  "6000":\n    greeting: [beep]\n',
    });
    expect(out[0]).toBe('a.yaml:2:3: numbers.50x0: must be a dialled number (digits, *, #, +)');
    expect(out[1]).toMatch(/^b\.yaml:2:3: numbers\.6000: number already defined in .*a\.yaml:4$/);
  });

  it('reports YAML syntax errors with their position', async () => {
    const out = await problems({ 'a.yaml': 'numbers:\n  "5000":\n    greeting: [hello-world\n' });
    expect(out[0]).toMatch(/^a\.yaml:\d+:\d+: /);
  });

  it('names a missing folder, an empty folder and an unreadable file', async () => {
    expect((await problems({}))[0]).toMatch(/no routing files/);
    await expect(loadRoutingDir('/nonexistent/sb')).rejects.toThrow('/nonexistent/sb: cannot read configuration folder');
    // A folder named like a routing file cannot be read as one (works as root too, unlike chmod).
    const dir = await dirWith({ 'a.yaml': 'numbers: {}\n' });
    await mkdir(path.join(dir, 'b.yaml'));
    await expect(loadRoutingDir(dir)).rejects.toThrow(/b\.yaml: cannot read: EISDIR/);
  });
});

// A small but complete ACD configuration, split like the demo.
const CATALOG = 'skills: [sales, internet, billing]\nlanguages: [en, es]\npauseReasons:\n  break: { label: Break }\n';
const AGENTS = `agents:
  agent1: { name: Ana, endpoint: PJSIP/agent1, skills: { sales: 8 }, languages: [es, en], wrapUp: 10, maxMissedOffers: 2, autoLogin: true }
  agent2: { endpoint: PJSIP/agent2, skills: { internet: 9, billing: 2 } }
`;
const QUEUES = `queues:
  sales:
    name: Sales
    requires: "skill.sales >= 1"
    steps:
      - { after: 30, requires: "skill.sales >= 1 or skill.billing" }
      - { after: 180, overflow: support }
    strategy: most-skilled
    ringTimeout: 20
    wrapUp: 5
    serviceLevel: { threshold: 30, target: 90 }
    maxWaiting: { count: 10, exit: { hangup: { prompt: queue-thankyou } } }
    maxWait: { seconds: 600, exit: { queue: support } }
    whenNoAgents: { hook: voicemail }
    music: jazz
    announcements: { position: true, positionOnlyWhenImproved: true, every: 60, periodicPrompt: queue-periodic-announce }
  support:
    requires: skill.internet
    whenNoAgents: { hangup: {} }
`;
const NUMBERS = `numbers:
  "5000": { greeting: [hello-world] }
  "5001": { queue: sales, priority: 2, attributes: { language: es, vip: true }, greeting: [hello-world] }
`;
const GOOD = { 'catalog.yaml': CATALOG, 'agents.yaml': AGENTS, 'queues.yaml': QUEUES, 'numbers.yaml': NUMBERS };

describe('routing files: ACD', () => {
  it('loads the demo contract', async () => {
    const cfg = await loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'));
    expect([...cfg.skills].sort()).toEqual(['billing', 'internet', 'sales', 'tv']);
    expect([...cfg.languages].sort()).toEqual(['en', 'es']);
    expect([...cfg.agents.keys()]).toEqual(['agent1', 'agent2', 'agent3', 'agent4']);
    expect(cfg.agents.get('agent4')).toMatchObject({ endpoint: 'PJSIP/agent4', skills: { internet: 4, billing: 5, sales: 3 }, autoLogin: true });
    expect(cfg.agents.get('agent4')?.languages).toEqual(expect.arrayContaining(['en', 'es']));
    expect([...cfg.queues.keys()].sort()).toEqual(['billing', 'sales', 'support']);
    expect(cfg.queues.get('support')).toMatchObject({ strategy: 'most-skilled', rankSkill: 'internet', ringTimeoutS: 15, wrapUpS: 5, serviceLevel: { thresholdS: 20, targetPct: 80 } });
    expect(cfg.queues.get('sales')?.announcements).toMatchObject({ firstAfterS: 15, everyS: 30 });
    expect(cfg.numbers.get('5000')?.flow).toBe('main');
    expect(cfg.numbers.get('5099')?.flow).toBe('after-hours');
    expect(['5001', '5002', '5003'].map((n) => cfg.numbers.get(n)?.queue)).toEqual(['sales', 'support', 'billing']);
    // The numbers with a queue and no flow run a flow of their own (calls/domain/number-flow.ts).
    expect([...cfg.flows.keys()]).toEqual(['main', 'after-hours', 'payment', 'number:5001', 'number:5002', 'number:5003']);
    expect([...cfg.queues.values()].map((q) => q.assistFlows)).toEqual([['payment'], ['payment'], ['payment']]);
    expect([...cfg.schedules.keys()]).toEqual(['always', 'never']);
    expect(cfg.lookups.get('customers')).toEqual({ id: 'customers', url: 'http://127.0.0.1:8081/customers', method: 'GET', timeoutS: 2 });
    expect(cfg.pauseReasons.has('no-answer')).toBe(true);
  });

  it('checks the demo prompts against the Asterisk sounds when they are installed', async () => {
    const sounds = path.join(os.homedir(), '.cache', 'switchboard', 'asterisk22-sid-root', 'usr', 'share', 'asterisk', 'sounds');
    await expect(loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'), { soundsDir: sounds })).resolves.toBeDefined();
  });

  it('maps a complete configuration to the domain model', async () => {
    const cfg = await loadRoutingDir(await dirWith(GOOD));
    expect(cfg.agents.get('agent1')).toEqual({ id: 'agent1', name: 'Ana', endpoint: 'PJSIP/agent1', skills: { sales: 8 }, languages: ['es', 'en'], wrapUpS: 10, maxMissedOffers: 2, autoLogin: true });
    expect(cfg.agents.get('agent2')).toEqual({ id: 'agent2', name: 'agent2', endpoint: 'PJSIP/agent2', skills: { internet: 9, billing: 2 }, languages: [], autoLogin: false });
    const sales = cfg.queues.get('sales');
    expect(sales).toMatchObject({
      id: 'sales',
      name: 'Sales',
      strategy: 'most-skilled',
      rankSkill: 'sales', // the first skill of the base requirement
      ringTimeoutS: 20,
      wrapUpS: 5,
      serviceLevel: { thresholdS: 30, targetPct: 90 },
      maxWaiting: { count: 10, exit: { kind: 'hangup', prompt: 'queue-thankyou' } },
      maxWait: { seconds: 600, exit: { kind: 'queue', queue: 'support' } },
      whenNoAgents: { kind: 'hook', hook: 'voicemail' },
      musicClass: 'jazz',
      announcements: { position: true, estimatedWait: false, positionOnlyWhenImproved: true, firstAfterS: 15, everyS: 60, periodicPrompt: 'queue-periodic-announce' },
      maxMissedOffers: 3,
    });
    const steps = sales?.steps ?? [];
    expect(steps.map((s) => s.afterS)).toEqual([0, 30, 180]);
    expect('requirement' in steps[0]! && steps[0].requirement.source).toBe('skill.sales >= 1');
    expect('requirement' in steps[1]! && steps[1].requirement.skills).toEqual(['sales', 'billing']);
    expect(steps[2]).toEqual({ afterS: 180, overflowTo: 'support' });
    const a2 = cfg.agents.get('agent2')!;
    expect('requirement' in steps[1]! && steps[1].requirement.test(a2, {})).toBe(true);
    expect('requirement' in steps[0]! && steps[0].requirement.test(a2, {})).toBe(false);

    const support = cfg.queues.get('support');
    expect(support).toEqual({
      id: 'support',
      name: 'support',
      steps: [expect.objectContaining({ afterS: 0 })],
      strategy: 'longest-idle',
      ringTimeoutS: 15,
      wrapUpS: 0,
      serviceLevel: { thresholdS: 20, targetPct: 80, shortAbandonS: 5, formula: 'sl1' },
      repeatWindowS: 72 * 3600,
      whenNoAgents: { kind: 'hangup' },
      musicClass: 'default',
      announcements: { position: false, estimatedWait: false, positionOnlyWhenImproved: false, firstAfterS: 15, everyS: 30 },
      maxMissedOffers: 3,
    });
    expect(cfg.numbers.get('5000')).toEqual({ greeting: ['hello-world'], priority: 0, attributes: {} });
    expect(cfg.numbers.get('5001')).toEqual({ greeting: ['hello-world'], queue: 'sales', priority: 2, attributes: { language: 'es', vip: true } });
    expect([...cfg.pauseReasons]).toEqual([
      ['no-answer', { label: 'No answer' }],
      ['break', { label: 'Break' }],
    ]);
  });

  it('merges catalogs and rejects agents, queues and pause reasons defined twice', async () => {
    const out = await problems({
      'a.yaml': 'skills: [sales]\nlanguages: [en]\npauseReasons:\n  break: { label: Break }\nqueues:\n  q: { requires: skill.sales }\nagents:\n  x: { endpoint: PJSIP/x }\n',
      'b.yaml': 'skills: [sales, tv]\npauseReasons:\n  break: { label: Pause }\nqueues:\n  q: { requires: skill.tv }\nagents:\n  x: { endpoint: PJSIP/y, skills: { tv: 1 } }\n',
    });
    expect(out).toEqual([
      expect.stringMatching(/^b\.yaml:3:3: pauseReasons\.break: pause reason already defined in .*a\.yaml:4$/),
      expect.stringMatching(/^b\.yaml:5:3: queues\.q: queue already defined in .*a\.yaml:6$/),
      expect.stringMatching(/^b\.yaml:7:3: agents\.x: agent already defined in .*a\.yaml:8$/),
    ]);
  });

  it('reports unknown skills, languages and queues where they are written', async () => {
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': [
        'agents:',
        '  a1: { endpoint: PJSIP/a1, skills: { sale: 3 }, languages: [en, fr] }',
        'queues:',
        '  q1:',
        '    requires: skill.sales',
        '    rankSkill: tv',
        '    steps: [{ after: 10, overflow: nowhere }]',
        '    maxWait: { seconds: 60, exit: { queue: gone } }',
        '    whenNoAgents: { queue: q1 }',
        'numbers:',
        '  "100": { queue: q2, attributes: { language: de } }',
        '',
      ].join('\n'),
    });
    expect(out).toEqual([
      'b.yaml:2:39: agents.a1.skills.sale: unknown skill "sale" (known: sales, internet, billing)',
      'b.yaml:2:66: agents.a1.languages.1: unknown language "fr" (known: en, es)',
      'b.yaml:6:16: queues.q1.rankSkill: unknown skill "tv"',
      'b.yaml:7:36: queues.q1.steps.0.overflow: unknown queue "nowhere"',
      'b.yaml:8:44: queues.q1.maxWait.exit.queue: unknown queue "gone"',
      'b.yaml:9:28: queues.q1.whenNoAgents.queue: exits to its own queue "q1"',
      'b.yaml:11:19: numbers.100.queue: unknown queue "q2" (did you mean "q1"?)',
      'b.yaml:11:47: numbers.100.attributes.language: unknown language "de" (known: en, es)',
    ]);
  });

  it('points inside the expression string, whatever the quoting', async () => {
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': [
        'queues:',
        '  plain:',
        '    requires: skill.sales >= 1 and skill.tv', // tv is unknown: offset 21
        '  double:',
        '    requires: "call.x == \\"a\\" or skill.tv"', // escapes before the error shift the column
        '  single:',
        "    requires: 'language == \"fr\"'",
        '  block:',
        '    requires: >-',
        '      skill.nope',
        '  steps:',
        '    requires: skill.sales',
        '    steps: [{ after: 5, requires: "skill.sales >" }]',
        '',
      ].join('\n'),
    });
    expect(out).toEqual([
      'b.yaml:3:36: queues.plain.requires: unknown skill "tv" (in "skill.sales >= 1 and skill.tv" at character 22)',
      'b.yaml:5:35: queues.double.requires: unknown skill "tv" (in "call.x == "a" or skill.tv" at character 18)',
      'b.yaml:7:28: queues.single.requires: unknown language "fr" (in "language == "fr"" at character 13)',
      'b.yaml:9:15: queues.block.requires: unknown skill "nope" (in "skill.nope" at character 1)',
      'b.yaml:13:49: queues.steps.steps.0.requires: expected a condition or a value, found the end (in "skill.sales >" at character 14)',
    ]);
  });

  it('checks values: proficiency, timeouts, steps, endpoints, exits, numbers', async () => {
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': [
        'agents:',
        '  a1: { endpoint: "PJSIP/a1;x", skills: { sales: 11, internet: 0 } }',
        'queues:',
        '  q1:',
        '    requires: skill.sales',
        '    ringTimeout: 0',
        '    wrapUp: -1',
        '    steps:',
        '      - { after: 30, requires: skill.billing }',
        '      - { after: 30, overflow: q2 }',
        '      - { after: 60, requires: skill.internet }',
        '      - { after: 90, requires: skill.internet, overflow: q2 }',
        '    maxWaiting: { count: 3, exit: {} }',
        '  q2:',
        '    requires: skill.sales',
        '    steps: [{ after: 10, overflow: q2 }]',
        '    strategy: fastest',
        'numbers:',
        '  "100": { greeting: [] }',
        '  "101": { queue: q1, priority: 1.5 }',
        '',
      ].join('\n'),
    });
    expect(out).toEqual([
      'b.yaml:2:19: agents.a1.endpoint: must be an Asterisk endpoint like "PJSIP/agent1"',
      'b.yaml:2:50: agents.a1.skills.sales: proficiency must be a whole number from 1 to 10',
      'b.yaml:2:64: agents.a1.skills.internet: proficiency must be a whole number from 1 to 10',
      'b.yaml:6:18: queues.q1.ringTimeout: ringTimeout must be more than 0 seconds',
      'b.yaml:7:13: queues.q1.wrapUp: wrapUp must be 0 or more seconds',
      'b.yaml:12:9: queues.q1.steps.3: needs exactly one of requires, overflow',
      'b.yaml:13:35: queues.q1.maxWaiting.exit: needs exactly one of hangup, queue, hook',
      'b.yaml:17:15: queues.q2.strategy: Invalid option: expected one of "longest-idle"|"most-skilled"|"fewest-calls"|"least-talk-time"|"round-robin"|"random"|"ring-all"',
      'b.yaml:19:22: numbers.100.greeting: needs at least one prompt (or a queue)',
      'b.yaml:20:33: numbers.101.priority: priority must be a whole number',
    ]);
  });

  it("a number's language: a flow starts in it, a queue gets it as call.language; an unknown one is refused", async () => {
    const flows = 'flows:\n  main:\n    start: a\n    steps:\n      a: { play: [hello-world], next: b }\n      b: { hangup: {} }\n';
    const dir = await dirWith({
      'a.yaml': CATALOG,
      'b.yaml': `${flows}queues:\n  sales: { requires: "skill.sales >= 1" }\nnumbers:\n  "5000": { flow: main, language: es }\n  "5001": { queue: sales, language: es }\n`,
    });
    const cfg = await loadRoutingDir(dir);
    expect(cfg.numbers.get('5000')).toMatchObject({ flow: 'main', language: 'es' });
    expect(cfg.numbers.get('5001')).toMatchObject({ queue: 'sales', attributes: { language: 'es' } });
    const out = await problems({ 'a.yaml': CATALOG, 'b.yaml': `${flows}numbers:\n  "5000": { flow: main, language: fr }\n` });
    expect(out).toEqual([expect.stringMatching(/^b\.yaml:8:\d+: numbers\.5000\.language: .*fr/)]);
  });

  it('refuses queue exits that send a call round in a loop', async () => {
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': [
        'queues:',
        '  q1:',
        '    requires: skill.sales',
        '    whenNoAgents: { queue: q2 }',
        '  q2:',
        '    requires: skill.sales',
        '    maxWaiting: { count: 5, exit: { queue: q3 } }',
        '  q3:',
        '    requires: skill.sales',
        '    whenNoAgents: { queue: q1 }',
        '  q4:',
        '    requires: skill.sales',
        '    maxWait: { seconds: 60, exit: { queue: q1 } }',
        '',
      ].join('\n'),
    });
    expect(out).toEqual(['b.yaml:4:28: queues.q1.whenNoAgents.queue: queue exits form a loop: q1 → q2 → q3 → q1 (a call that cannot wait in any of them would go round for ever)']);
  });

  it('checks step order and overflow targets once the file is valid', async () => {
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': [
        'queues:',
        '  q1:',
        '    requires: skill.sales',
        '    steps:',
        '      - { after: 30, requires: skill.billing }',
        '      - { after: 30, overflow: q2 }',
        '      - { after: 60, requires: skill.internet }',
        '  q2:',
        '    requires: skill.sales',
        '    strategy: most-skilled',
        '    steps: [{ after: 10, overflow: q2 }]',
        '  q3:',
        '    requires: call.vip',
        '    strategy: most-skilled',
        '',
      ].join('\n'),
    });
    expect(out).toEqual([
      'b.yaml:6:18: queues.q1.steps.1.after: after must be greater than the previous step\'s (30)',
      'b.yaml:7:9: queues.q1.steps.2: never reached: step 1 already moves the call to another queue',
      'b.yaml:11:36: queues.q2.steps.0.overflow: overflows to its own queue "q2"',
      'b.yaml:14:15: queues.q3.strategy: most-skilled needs rankSkill (requires reads no skill)',
    ]);
  });

  it('reports schema errors in one file and reference errors in another in one pass', async () => {
    const out = await problems({
      'a.yaml': 'skills: [sales]\nqueues:\n  q1: { requires: skill.sales, ringTimeout: soon }\n',
      'b.yaml': 'numbers:\n  "100": { queue: q1 }\n  "101": { queue: q9 }\n',
    });
    expect(out).toEqual([
      'a.yaml:3:45: queues.q1.ringTimeout: ringTimeout must be a number of seconds',
      'b.yaml:3:19: numbers.101.queue: unknown queue "q9" (did you mean "q1"?)',
    ]);
  });

  it('checks prompts against the sounds folder when there is one', async () => {
    const sounds = await mkdtemp(path.join(os.tmpdir(), 'sb-sounds-'));
    await mkdir(path.join(sounds, 'en', 'digits'), { recursive: true });
    for (const f of ['hello-world.gsm', 'queue-thankyou.wav', 'digits/1.ulaw']) await writeFile(path.join(sounds, 'en', f), '');
    const files = {
      'a.yaml': 'skills: [sales]\nqueues:\n  q:\n    requires: skill.sales\n    maxWait: { seconds: 5, exit: { hangup: { prompt: queue-thankyou } } }\n    whenNoAgents: { hangup: { prompt: sorry } }\n    announcements: { periodicPrompt: queue-periodic-announce }\n',
      'b.yaml': 'numbers:\n  "1": { greeting: [hello-world, digits/1, digits/2] }\n',
    };
    expect(await problems(files, { soundsDir: sounds })).toEqual([
      `a.yaml:6:39: queues.q.whenNoAgents.hangup.prompt: unknown sound "sorry" (no sorry.{gsm,wav,ulaw,alaw,sln,g722} in ${path.join(sounds, 'en')})`,
      `a.yaml:7:38: queues.q.announcements.periodicPrompt: unknown sound "queue-periodic-announce" (no queue-periodic-announce.{gsm,wav,ulaw,alaw,sln,g722} in ${path.join(sounds, 'en')})`,
      `b.yaml:2:44: numbers.1.greeting.2: unknown sound "digits/2" (no digits/2.{gsm,wav,ulaw,alaw,sln,g722} in ${path.join(sounds, 'en')})`,
    ]);
    // No sounds folder: not checked.
    await expect(loadRoutingDir(await dirWith(files), { soundsDir: path.join(sounds, 'missing') })).resolves.toBeDefined();
    await expect(loadRoutingDir(await dirWith(files))).resolves.toBeDefined();
  });

  it('skips hidden files (editor locks and swap files)', async () => {
    const cfg = await loadRoutingDir(await dirWith({ 'a.yaml': 'numbers:\n  "1": { greeting: [beep] }\n', '.#a.yaml': 'garbage: [', '.a.yaml.swp.yaml': 'x' }));
    expect([...cfg.numbers.keys()]).toEqual(['1']);
  });
});

describe('routing file JSON Schema', () => {
  // Regenerate: `npm run build && node scripts/gen-schema.js`, or
  // `SWITCHBOARD_UPDATE_SCHEMA=1 npx jest --selectProjects unit -t 'JSON Schema'`.
  it('is committed and up to date', () => {
    const file = path.join(__dirname, '..', '..', 'schema', 'routing.schema.json');
    if (process.env.SWITCHBOARD_UPDATE_SCHEMA === '1') writeFileSync(file, routingFileJsonSchemaText());
    expect(readFileSync(file, 'utf8')).toBe(routingFileJsonSchemaText());
  });

  it('describes the format', () => {
    const schema = JSON.parse(routingFileJsonSchemaText()) as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(['skills', 'languages', 'pauseReasons', 'agents', 'queues', 'dispositions', 'teams', 'numbers', 'schedules', 'callerLists', 'lookups', 'destinations', 'flows', 'apiKeys', 'webhooks', 'supervisors']);
    expect(schema.additionalProperties).toBe(false);
  });
});
