// Routing files: IVR flows, schedules, caller lists and lookups (src/platform/config/routing.ts).
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadRoutingDir, regexErrorOffset } from '../../src/config/routing';
import { dirWith, problems } from '../support/routing-files';
import { ivrStep, newIvrState, type IvrCommand, type IvrEvent, type IvrState } from '../../src/ivr/domain/engine';
import type { FlowContext } from '../../src/ivr/domain/model';
import { scheduleStateAt } from '../../src/ivr/domain/schedule';


const lines = (...l: string[]) => `${l.join('\n')}\n`;

const CATALOG = lines('skills: [sales, billing]', 'languages: [en, es]', 'queues:', '  sales: { requires: skill.sales }', '  billing: { requires: skill.billing }');

// The example of the brief, complete: every step kind and every condition.
const EXAMPLE = lines(
  'schedules:',
  '  office:',
  '    timeZone: Europe/Madrid',
  '    weekly: { mon: ["09:00-18:00"], tue: ["09:00-13:00", "15:00-18:00"] }',
  '    holidays: [{ date: "2026-12-25", name: Christmas }]',
  '    exceptions: [{ date: "2026-12-24", hours: ["09:00-13:00"] }]',
  'callerLists:',
  '  vip: ["+34600000001", "15550100"]',
  'lookups:',
  '  customers: { url: "http://127.0.0.1:8081/customers", method: GET, timeout: 2 }',
  'flows:',
  '  main:',
  '    start: check',
  '    steps:',
  '      greeting: { play: [hello-world], next: menu }',
  '      menu:',
  '        menu: { prompt: [main-menu], options: { "1": sales, 2: account, "9": spanish, "0": other, "*": bye, "#": again }, onFail: closed }',
  '      account:',
  '        collect: { prompt: [enter-account], variable: account, min: 6, max: 6, terminator: "#", pattern: "[0-9]{6}", onFail: sales }',
  '        next: lookup',
  '      lookup: { lookup: customers, send: [account], fields: { vip: customer.vip }, next: sales, onFailure: sales }',
  '      check:',
  '        branch:',
  '          - { if: { schedule: office, is: closed }, then: closed }',
  '          - { if: { callerIn: vip }, then: sales }',
  '          - { if: { var: vip, equals: "true", exists: true }, then: sales }',
  '          - { if: { var: vip, matches: "^t" }, then: sales }',
  '        else: greeting',
  '      spanish: { set: { language: es, vars: { lang: es }, priority: 5, attributes: { vip: true } }, next: menu }',
  '      sales: { queue: sales, priority: 3 }',
  '      other: { transfer: after-hours }',
  '      closed: { voicemail: { prompt: [closed-message], mailbox: general, maxSeconds: 120, silenceSeconds: 5 } }',
  '      bye: { hangup: { prompt: [goodbye] } }',
  '      again: { goto: menu }',
  '  after-hours:',
  '    start: bye',
  '    language: es',
  '    steps:',
  '      bye: { hangup: }',
  'numbers:',
  '  "5000": { flow: main }',
);

describe('routing files: IVR flows', () => {
  it('maps flows, schedules, caller lists and lookups to the model, with defaults', async () => {
    const cfg = await loadRoutingDir(await dirWith({ 'catalog.yaml': CATALOG, 'flows.yaml': EXAMPLE }));
    expect(cfg.numbers.get('5000')).toEqual({ greeting: [], flow: 'main', priority: 0, attributes: {} });
    const main = cfg.flows.get('main')!;
    expect(main).toMatchObject({ id: 'main', start: 'check', language: 'en' });
    expect(cfg.flows.get('after-hours')?.language).toBe('es');
    const step = (id: string) => main.steps.get(id);
    expect(step('greeting')).toEqual({ kind: 'play', prompts: ['hello-world'], next: 'menu' });
    expect(step('menu')).toEqual({
      kind: 'menu',
      prompts: ['main-menu'],
      options: { '1': 'sales', '2': 'account', '9': 'spanish', '0': 'other', '*': 'bye', '#': 'again' },
      timeoutS: 5,
      retries: 2,
      invalidPrompts: [],
      noInputPrompts: [],
      onFail: 'closed',
    });
    expect(step('account')).toEqual({
      kind: 'collect',
      prompts: ['enter-account'],
      variable: 'account',
      minDigits: 6,
      maxDigits: 6,
      terminator: '#',
      timeoutS: 5,
      interDigitTimeoutS: 3,
      pattern: '[0-9]{6}',
      sensitive: false,
      derive: { last4: false },
      next: 'lookup',
      retries: 2,
      invalidPrompts: [],
      noInputPrompts: [],
      onFail: 'sales',
    });
    expect(step('lookup')).toEqual({ kind: 'lookup', lookup: 'customers', send: ['account'], fields: { vip: 'customer.vip' }, next: 'sales', onFailure: 'sales' });
    expect(step('check')).toEqual({
      kind: 'branch',
      when: [
        { condition: { kind: 'schedule', schedule: 'office', is: 'closed' }, next: 'closed' },
        { condition: { kind: 'callerIn', list: 'vip' }, next: 'sales' },
        { condition: { kind: 'var', name: 'vip', equals: 'true', exists: true }, next: 'sales' },
        { condition: { kind: 'var', name: 'vip', matches: '^t' }, next: 'sales' },
      ],
      otherwise: 'greeting',
    });
    expect(step('spanish')).toEqual({ kind: 'set', language: 'es', vars: { lang: 'es' }, priority: 5, attributes: { vip: true }, next: 'menu' });
    expect(step('sales')).toEqual({ kind: 'queue', queue: 'sales', priority: 3 });
    expect(step('other')).toEqual({ kind: 'transfer', flow: 'after-hours' });
    expect(step('closed')).toEqual({ kind: 'voicemail', prompts: ['closed-message'], mailbox: 'general', maxSeconds: 120, silenceSeconds: 5 });
    expect(step('bye')).toEqual({ kind: 'hangup', prompts: ['goodbye'] });
    expect(step('again')).toEqual({ kind: 'goto', next: 'menu' });
    expect(cfg.flows.get('after-hours')?.steps.get('bye')).toEqual({ kind: 'hangup', prompts: [] });

    expect(cfg.schedules.get('office')).toEqual({
      id: 'office',
      timeZone: 'Europe/Madrid',
      weekly: { mon: [{ from: 540, to: 1080 }], tue: [{ from: 540, to: 780 }, { from: 900, to: 1080 }] },
      holidays: [{ date: '2026-12-25', name: 'Christmas', hours: [] }],
      exceptions: [{ date: '2026-12-24', hours: [{ from: 540, to: 780 }] }],
    });
    expect([...(cfg.callerLists.get('vip') ?? [])]).toEqual(['+34600000001', '15550100']);
    expect(cfg.lookups.get('customers')).toEqual({ id: 'customers', url: 'http://127.0.0.1:8081/customers', method: 'GET', timeoutS: 2 });
  });

  it('loads the demo flows: 5000 main menu, 5099 after hours, support routed on call.need', async () => {
    const cfg = await loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'));
    expect(cfg.numbers.get('5000')?.flow).toBe('main');
    expect(cfg.numbers.get('5099')?.flow).toBe('after-hours');
    const main = cfg.flows.get('main')!;
    const step = (id: string) => main.steps.get(id);
    // Open 24/7 first, then the greeting and the menu.
    expect(step(main.start)).toMatchObject({ kind: 'branch', when: [{ condition: { kind: 'schedule', schedule: 'always', is: 'open' }, next: 'greeting' }], otherwise: 'closed' });
    expect(step('greeting')).toEqual({ kind: 'play', prompts: ['hello-world'], next: 'menu' });
    const menu = step('menu');
    expect(menu).toMatchObject({ kind: 'menu', invalidPrompts: ['pm-invalid-option'], retries: 2, onFail: 'sales' });
    if (menu?.kind !== 'menu') throw new Error('menu');
    expect(menu.options).toEqual({ '1': 'sales', '2': 'support', '3': 'account', '9': 'spanish', '0': 'sales' });
    expect(step('sales')).toEqual({ kind: 'queue', queue: 'sales' });
    expect(step('spanish')).toMatchObject({ kind: 'set', language: 'es', next: 'menu' });
    // Support: internet or tv, as a call attribute the support queue routes on.
    expect(step('support')).toMatchObject({ kind: 'menu', options: { '1': 'internet', '2': 'tv' } });
    expect(step('internet')).toMatchObject({ kind: 'set', attributes: { need: 'internet' }, next: 'support-queue' });
    expect(step('tv')).toMatchObject({ kind: 'set', attributes: { need: 'tv' }, next: 'support-queue' });
    expect(step('support-queue')).toEqual({ kind: 'queue', queue: 'support' });
    // Billing: six digits and #, the customer lookup, VIPs at priority 5.
    expect(step('account')).toMatchObject({ kind: 'collect', variable: 'account', minDigits: 6, maxDigits: 6, terminator: '#', next: 'lookup', onFail: 'billing' });
    expect(step('lookup')).toEqual({ kind: 'lookup', lookup: 'customers', send: ['account'], fields: { vip: 'customer.vip', customerName: 'customer.name' }, next: 'vip-check', onFailure: 'billing' });
    expect(step('vip-check')).toMatchObject({ kind: 'branch', when: [{ condition: { kind: 'var', name: 'vip', equals: 'true' }, next: 'vip' }], otherwise: 'billing' });
    expect(step('vip')).toMatchObject({ kind: 'set', priority: 5, next: 'billing' });
    expect(step('billing')).toEqual({ kind: 'queue', queue: 'billing' });
    expect(step('closed')).toMatchObject({ kind: 'voicemail', mailbox: 'general' });

    const after = cfg.flows.get('after-hours')!;
    expect(after.steps.get(after.start)).toMatchObject({ kind: 'branch', when: [{ condition: { kind: 'schedule', schedule: 'never', is: 'closed' }, next: 'closed' }] });
    expect(after.steps.get('closed')).toEqual({ kind: 'voicemail', prompts: ['vm-nobodyavail'], mailbox: 'general', maxSeconds: 60, silenceSeconds: 5 });

    // "always" is open and "never" closed at any instant (DST changes included).
    for (const at of [Date.UTC(2026, 0, 1, 0, 0), Date.UTC(2026, 2, 29, 1, 30), Date.UTC(2026, 6, 4, 23, 59), Date.UTC(2026, 9, 25, 1, 0)]) {
      expect(scheduleStateAt(cfg.schedules.get('always')!, at).state).toBe('open');
      expect(scheduleStateAt(cfg.schedules.get('never')!, at).state).toBe('closed');
    }

    // The support queue: internet calls (and 5002, which sets no need) to internet agents, tv to tv.
    const support = cfg.queues.get('support')!;
    const req = support.steps[0] && 'requirement' in support.steps[0] ? support.steps[0].requirement : undefined;
    const ben = cfg.agents.get('agent2')!; // internet 9, tv 6
    const diego = cfg.agents.get('agent4')!; // internet 4, no tv
    expect(req?.test(diego, {})).toBe(true);
    expect(req?.test(diego, { need: 'internet' })).toBe(true);
    expect(req?.test(diego, { need: 'tv' })).toBe(false);
    expect(req?.test(ben, { need: 'tv' })).toBe(true);
    expect(support.rankSkill).toBe('internet');
  });

  it('runs the demo flows in the engine: billing with a VIP lookup, support for tv, español, give-up, after hours', async () => {
    const cfg = await loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'));
    const ctx: FlowContext = {
      flows: cfg.flows,
      lookups: cfg.lookups,
    destinations: cfg.destinations,
      callerLists: cfg.callerLists,
      scheduleState: (id, at) => scheduleStateAt(cfg.schedules.get(id)!, at).state,
    };
    const at = Date.UTC(2026, 5, 14, 3, 0); // a Sunday, 05:00 in Madrid
    const call = (flow: string) => {
      let s: IvrState = newIvrState('c1', '+34600000001', cfg.flows.get(flow)!, at);
      const all: IvrCommand[] = [];
      const send = (e: IvrEvent) => {
        const r = ivrStep(s, e, ctx);
        s = r.state;
        all.push(...r.commands);
        return r.commands;
      };
      const lastPlay = () => [...all].reverse().find((c) => c.kind === 'play') as Extract<IvrCommand, { kind: 'play' }> | undefined;
      const finishPlay = () => {
        const pb = lastPlay();
        if (pb) send({ type: 'PlaybackFinished', playbackId: pb.playbackId, at });
      };
      const keys = (digits: string) => {
        for (const d of digits) send({ type: 'Digit', digit: d, at });
      };
      send({ type: 'Start', at });
      return { send, keys, finishPlay, lastPlay, all, state: () => s };
    };
    const enqueued = (c: { all: IvrCommand[] }) => c.all.find((x) => x.kind === 'enqueue');

    // 3: account, lookup (VIP) → billing at priority 5.
    const billing = call('main');
    expect(billing.lastPlay()?.prompts).toEqual(['hello-world']);
    billing.finishPlay();
    billing.keys('3123456');
    const lookup = billing.all.find((x) => x.kind === 'lookup');
    expect(lookup).toMatchObject({ lookup: 'customers', params: { account: '123456' } });
    if (lookup?.kind !== 'lookup') throw new Error('no lookup');
    billing.send({ type: 'LookupDone', requestId: lookup.requestId, ok: true, fields: { vip: 'true', customerName: 'Ana Demo' }, at });
    expect(enqueued(billing)).toMatchObject({ queue: 'billing', priority: 5 });

    // A failed lookup still reaches billing, at the normal priority.
    const noCrm = call('main');
    noCrm.finishPlay();
    noCrm.keys('3654321');
    const lk = noCrm.all.find((x) => x.kind === 'lookup');
    if (lk?.kind !== 'lookup') throw new Error('no lookup');
    noCrm.send({ type: 'LookupDone', requestId: lk.requestId, ok: false, fields: {}, at });
    expect(enqueued(noCrm)).toMatchObject({ queue: 'billing', priority: 0 });

    // 2 then 2: support, need = tv.
    const tv = call('main');
    tv.finishPlay();
    tv.keys('22');
    expect(enqueued(tv)).toMatchObject({ queue: 'support', attributes: { need: 'tv', language: 'en' } });

    // 9: the menu again, in Spanish; then 1 → sales with language es.
    const es = call('main');
    es.finishPlay();
    es.keys('9');
    expect(es.lastPlay()).toMatchObject({ prompts: ['vm-press', 'digits/1', 'digits/2', 'digits/3'], language: 'es' });
    es.keys('1');
    expect(enqueued(es)).toMatchObject({ queue: 'sales', attributes: { language: 'es' } });

    // Three wrong keys → sales.
    const lost = call('main');
    lost.finishPlay();
    lost.keys('777');
    expect(enqueued(lost)).toMatchObject({ queue: 'sales' });

    // 5099: closed → the closed message, then a recording for mailbox general.
    const after = call('after-hours');
    expect(after.lastPlay()?.prompts).toEqual(['vm-nobodyavail']);
    after.finishPlay();
    expect(after.all.find((x) => x.kind === 'record')).toMatchObject({ maxSeconds: 60, silenceSeconds: 5 });
  });

  it('checks the demo flow prompts in the languages the call may have (es falls back to en)', async () => {
    const sounds = path.join(os.homedir(), '.cache', 'switchboard', 'asterisk22-sid-root', 'usr', 'share', 'asterisk', 'sounds');
    await expect(loadRoutingDir(path.join(__dirname, '..', '..', 'config', 'demo'), { soundsDir: sounds })).resolves.toBeDefined();
  });

  it('reports unknown steps, flows, queues, lookups, schedules, caller lists and languages', async () => {
    const out = await problems({
      'catalog.yaml': CATALOG,
      'flows.yaml': lines(
        'schedules:',
        '  office: { timeZone: UTC }',
        'callerLists:',
        '  vip: ["100"]',
        'lookups:',
        '  crm: { url: "https://crm.example/x" }',
        'flows:',
        '  main:',
        '    start: greting',
        '    language: fr',
        '    steps:',
        '      greeting: { play: [hello-world], next: menuu }',
        '      menu: { menu: { options: { "1": sale, "2": crm }, onFail: sale } }',
        '      crm: { lookup: crn, next: check, onFailure: sales }',
        '      check:',
        '        branch:',
        '          - { if: { schedule: ofice, is: open }, then: sales }',
        '          - { if: { callerIn: vips }, then: sales }',
        '        else: es',
        '      es: { set: { language: de }, next: sales }',
        '      sales: { queue: sale }',
        '      away: { transfer: mian }',
        'numbers:',
        '  "5000": { flow: mainn }',
      ),
    });
    expect(out).toEqual([
      'flows.yaml:9:12: flows.main.start: unknown step "greting" in flow "main" (did you mean "greeting"?)',
      'flows.yaml:10:15: flows.main.language: unknown language "fr" (known: en, es)',
      'flows.yaml:12:46: flows.main.steps.greeting.next: unknown step "menuu" in flow "main" (did you mean "menu"?)',
      'flows.yaml:13:39: flows.main.steps.menu.menu.options.1: unknown step "sale" in flow "main" (did you mean "sales"?)',
      'flows.yaml:13:65: flows.main.steps.menu.menu.onFail: unknown step "sale" in flow "main" (did you mean "sales"?)',
      'flows.yaml:14:22: flows.main.steps.crm.lookup: unknown lookup "crn" (did you mean "crm"?)',
      'flows.yaml:17:31: flows.main.steps.check.branch.0.if.schedule: unknown schedule "ofice" (did you mean "office"?)',
      'flows.yaml:18:31: flows.main.steps.check.branch.1.if.callerIn: unknown caller list "vips" (did you mean "vip"?)',
      'flows.yaml:20:30: flows.main.steps.es.set.language: unknown language "de" (known: en, es)',
      'flows.yaml:21:23: flows.main.steps.sales.queue: unknown queue "sale" (did you mean "sales"?)',
      'flows.yaml:22:25: flows.main.steps.away.transfer: unknown flow "mian" (did you mean "main"?)',
      'flows.yaml:24:19: numbers.5000.flow: unknown flow "mainn" (did you mean "main"?)',
    ]);
  });

  it('reports steps never reached from the start', async () => {
    const out = await problems({
      'catalog.yaml': CATALOG,
      'flows.yaml': lines(
        'flows:',
        '  main:',
        '    start: greeting',
        '    steps:',
        '      greeting: { play: [hello-world], next: sales }',
        '      menu: { menu: { options: { "1": sales, "2": billing }, onFail: sales } }',
        '      sales: { queue: sales }',
        '      billing: { queue: billing }',
      ),
    });
    expect(out).toEqual([
      'flows.yaml:6:7: flows.main.steps.menu: never reached from start "greeting"',
      'flows.yaml:8:7: flows.main.steps.billing: never reached from start "greeting"',
    ]);
  });

  it('refuses loops that never wait for the caller, also through transfers; a menu in the loop is fine', async () => {
    const out = await problems({
      'catalog.yaml': CATALOG,
      'flows.yaml': lines(
        'flows:',
        '  main:',
        '    start: a',
        '    steps:',
        '      a: { set: { vars: { x: "1" } }, next: b }',
        '      b:',
        '        branch:',
        '          - { if: { var: x, exists: true }, then: c }',
        '        else: c',
        '      c: { goto: a }',
        '  waits:',
        '    start: menu',
        '    steps:',
        '      menu: { menu: { options: { "1": again }, onFail: again } }',
        '      again: { goto: menu }',
        '  one:',
        '    start: go',
        '    steps:',
        '      go: { transfer: two }',
        '  two:',
        '    start: back',
        '    steps:',
        '      back: { goto: out }',
        '      out: { transfer: one }',
      ),
    });
    expect(out).toEqual([
      'flows.yaml:10:18: flows.main.steps.c.goto: loops back to "a" without waiting for the caller: a → b → c → a',
      'flows.yaml:24:24: flows.two.steps.out.transfer: loops back to "one:go" without waiting for the caller: one:go → two:back → two:out → one:go',
    ]);
  });

  it('checks collects: digits, pattern, sensitive input, prompts and keys', async () => {
    const out = await problems({
      'catalog.yaml': CATALOG,
      'flows.yaml': lines(
        'flows:',
        '  main:',
        '    start: card',
        '    steps:',
        '      card:',
        '        collect: { variable: card, min: 17, max: 16, pattern: "[0-9{13,16}", sensitive: true, last4: true, onFail: sales }',
        '        next: pin',
        '      pin:',
        '        collect: { variable: pin, max: 4, pattern: "(?<x>[0-9]+", last4: true, onFail: sales }',
        '        next: check',
        '      check:',
        '        branch:',
        '          - { if: { var: card, equals: "4111" }, then: sales }',
        '          - { if: { var: pin, matches: "*4" }, then: sales }',
        '        else: crm',
        '      crm: { lookup: crm, send: [pin, card_last4, card], next: sales, onFailure: sales }',
        '      sales: { queue: sales }',
        'lookups:',
        '  crm: { url: "http://127.0.0.1:8081/crm", method: POST }',
      ),
    });
    expect(out).toEqual([
      'flows.yaml:6:41: flows.main.steps.card.collect.min: min (17) is more than max (16)',
      'flows.yaml:6:75: flows.main.steps.card.collect.pattern: invalid pattern: Unterminated character class (in "[0-9{13,16}" at the end)',
      'flows.yaml:9:64: flows.main.steps.pin.collect.pattern: invalid pattern: Unterminated group (in "(?<x>[0-9]+" at the end)',
      'flows.yaml:9:74: flows.main.steps.pin.collect.last4: last4 only applies to a sensitive collect (the variable holds every digit otherwise)',
      'flows.yaml:13:26: flows.main.steps.check.branch.0.if.var: "card" is collected as sensitive (step "card" of flow "main") and never kept: test card_valid or card_last4',
      'flows.yaml:14:41: flows.main.steps.check.branch.1.if.matches: invalid pattern: Nothing to repeat (in "*4" at character 1)',
      'flows.yaml:16:51: flows.main.steps.crm.send.2: "card" is collected as sensitive (step "card" of flow "main"): sensitive digits are never sent; send card_valid or card_last4',
    ]);
  });

  it('checks the shape of steps and conditions', async () => {
    const out = await problems({
      'catalog.yaml': CATALOG,
      'flows.yaml': lines(
        'flows:',
        '  main:',
        '    start: a',
        '    steps:',
        '      a: { play: [hello-world] }',
        '      b: { play: [hello-world], goto: a }',
        '      c: { queue: sales, next: a }',
        '      d: {}',
        '      e: { menu: { options: { "12": a, "A": a }, onFail: a } }',
        '      f: { branch: [{ if: { var: x }, then: a }, { if: { schedule: s }, then: a }, { if: { callerIn: l, var: x, equals: "1" }, then: a }], else: a }',
        '      g: { collect: { variable: x, max: 0, onFail: a, terminator: "5" }, next: a }',
        '      h: { voicemail: { mailbox: "a b", maxSeconds: 1.5 } }',
      ),
    });
    expect(out).toEqual([
      'flows.yaml:5:7: flows.main.steps.a.next: a play step needs "next"',
      'flows.yaml:6:10: flows.main.steps.b: has play and goto: a step does exactly one of them',
      'flows.yaml:7:32: flows.main.steps.c.next: "next" does not apply to a queue step',
      'flows.yaml:8:10: flows.main.steps.d: needs one of play, menu, collect, lookup, branch, set, queue, transfer, dial, voicemail, hangup, goto',
      'flows.yaml:9:31: flows.main.steps.e.menu.options.12: must be one key: 0-9, * or #',
      'flows.yaml:9:40: flows.main.steps.e.menu.options.A: must be one key: 0-9, * or #',
      'flows.yaml:10:27: flows.main.steps.f.branch.0.if: a var condition needs equals, matches or exists',
      'flows.yaml:10:52: flows.main.steps.f.branch.1.if.is: a schedule condition needs "is": open, closed or holiday',
      'flows.yaml:10:90: flows.main.steps.f.branch.2.if: needs exactly one of schedule, callerIn, var',
      'flows.yaml:11:41: flows.main.steps.g.collect.max: max must be at least 1',
      'flows.yaml:11:67: flows.main.steps.g.collect.terminator: Invalid option: expected one of "#"|"*"',
      'flows.yaml:12:34: flows.main.steps.h.voicemail.mailbox: must be a mailbox like "general" or "1000@default"',
      'flows.yaml:12:53: flows.main.steps.h.voicemail.maxSeconds: maxSeconds must be a whole number of seconds',
    ]);
  });

  it('checks schedules, caller lists and lookups', async () => {
    const out = await problems({
      'a.yaml': lines(
        'schedules:',
        '  office:',
        '    timeZone: Europe/Madird',
        '    weekly: { mon: ["09:00-18:00", "17:00-19:00"], tue: ["9-17"], wed: ["18:00-09:00"], sat: ["10:00-24:30"] }',
        '    holidays: [{ date: "2026-02-30" }, { date: "26-12-25" }]',
        '    exceptions: [{ date: "2026-12-24", hours: ["09:00-13:00", "12:00-14:00"] }]',
        'callerLists:',
        '  vip: ["+34600000001", 15550100, "12a"]',
        'lookups:',
        '  a: { url: "ftp://x" }',
        '  b: { url: "http://x", method: PUT, timeout: 31 }',
        '  c: { url: "http://x", timeout: 0 }',
      ),
    });
    expect(out).toEqual([
      'a.yaml:3:15: schedules.office.timeZone: unknown time zone "Europe/Madird" (use an IANA name like "Europe/Madrid")',
      'a.yaml:4:36: schedules.office.weekly.mon.1: "17:00-19:00" overlaps "09:00-18:00"',
      'a.yaml:4:58: schedules.office.weekly.tue.0: invalid time range "9-17": expected HH:MM-HH:MM, e.g. 09:00-17:30',
      expect.stringMatching(/^a\.yaml:4:73: schedules\.office\.weekly\.wed\.0: invalid time range "18:00-09:00": the start must be before the end/),
      'a.yaml:4:95: schedules.office.weekly.sat.0: invalid time range "10:00-24:30": the only time with hour 24 is 24:00, got 24:30',
      'a.yaml:5:24: schedules.office.holidays.0.date: "2026-02-30" is not a date written YYYY-MM-DD',
      'a.yaml:5:48: schedules.office.holidays.1.date: "26-12-25" is not a date written YYYY-MM-DD',
      'a.yaml:6:63: schedules.office.exceptions.0.hours.1: "12:00-14:00" overlaps "09:00-13:00"',
      'a.yaml:8:25: callerLists.vip.1: must be a caller number in quotes, like "+34600000001"',
      'a.yaml:8:35: callerLists.vip.2: must be a caller number: digits, optionally after "+"',
      'a.yaml:10:13: lookups.a.url: must be an http:// or https:// URL',
      'a.yaml:11:33: lookups.b.method: Invalid option: expected one of "GET"|"POST"',
      'a.yaml:11:47: lookups.b.timeout: timeout must be at most 30 seconds',
      'a.yaml:12:34: lookups.c.timeout: timeout must be more than 0 seconds',
    ]);
  });

  it('refuses flows, schedules, caller lists and lookups defined twice, naming both places', async () => {
    const one = lines('schedules:', '  s: { timeZone: UTC }', 'callerLists:', '  l: ["1"]', 'lookups:', '  k: { url: "http://x" }', 'flows:', '  f: { start: a, steps: { a: { hangup: {} } } }');
    const out = await problems({ 'a.yaml': one, 'b.yaml': one });
    expect(out).toEqual([
      expect.stringMatching(/^b\.yaml:2:3: schedules\.s: schedule already defined in .*a\.yaml:2$/),
      expect.stringMatching(/^b\.yaml:4:3: callerLists\.l: caller list already defined in .*a\.yaml:4$/),
      expect.stringMatching(/^b\.yaml:6:3: lookups\.k: lookup already defined in .*a\.yaml:6$/),
      expect.stringMatching(/^b\.yaml:8:3: flows\.f: flow already defined in .*a\.yaml:8$/),
    ]);
  });

  it('gives a flow number nothing else; a flow language needs the catalog only when there is one', async () => {
    const flow = lines('flows:', '  f: { start: a, language: pt_BR, steps: { a: { hangup: {} } } }');
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': flow,
      'c.yaml': lines('numbers:', '  "1": { flow: f, queue: sales, greeting: [hello-world], priority: 2, attributes: { x: 1 } }'),
    });
    expect(out).toEqual([
      'b.yaml:2:28: flows.f.language: unknown language "pt_BR" (known: en, es)',
      'c.yaml:2:19: numbers.1.queue: a number with a flow has no queue (the flow decides it)',
      'c.yaml:2:33: numbers.1.greeting: a number with a flow has no greeting (the flow decides it)',
      'c.yaml:2:58: numbers.1.priority: a number with a flow has no priority (the flow decides it)',
      'c.yaml:2:71: numbers.1.attributes: a number with a flow has no attributes (the flow decides it)',
    ]);
    // No language catalog: any language code.
    const cfg = await loadRoutingDir(await dirWith({ 'b.yaml': flow, 'c.yaml': lines('numbers:', '  "1": { flow: f }') }));
    expect(cfg.flows.get('f')?.language).toBe('pt_BR');
  });

  it('still checks the valid steps of a flow when another step is broken', async () => {
    const out = await problems({
      'a.yaml': CATALOG,
      'b.yaml': lines('flows:', '  f:', '    start: a', '    steps:', '      a: { play: [hello-world], next: b }', '      b: { queue: sales, prority: 1 }', '      c: { queue: nowhere }'),
    });
    // c is not reported as never reached: b is broken, so the graph is not checked yet.
    expect(out).toEqual(['b.yaml:6:26: flows.f.steps.b.prority: Unrecognized key: "prority"', 'b.yaml:7:19: flows.f.steps.c.queue: unknown queue "nowhere"']);
  });

  it('looks flow prompts up in each language the call may have, falling back to en', async () => {
    const sounds = await mkdtemp(path.join(os.tmpdir(), 'sb-sounds-'));
    await mkdir(path.join(sounds, 'en'), { recursive: true });
    await mkdir(path.join(sounds, 'es'), { recursive: true });
    for (const f of ['en/hello-world.gsm', 'es/hola.gsm', 'es/menu-es.wav', 'en/goodbye.gsm']) await writeFile(path.join(sounds, f), '');
    const files = {
      'a.yaml': lines(
        'flows:',
        '  spanish:',
        '    start: hi',
        '    language: es',
        '    steps:',
        '      hi: { play: [hola, hello-world], next: english }', // hola: es; hello-world: en fallback
        '      english: { set: { language: en }, next: menu }',
        '      menu: { menu: { prompt: [menu-es], options: { "1": bye }, onFail: bye } }', // played in en too
        '      bye: { hangup: { prompt: [goodbye, adios] } }',
      ),
    };
    const es = path.join(sounds, 'es');
    const en = path.join(sounds, 'en');
    expect(await problems(files, { soundsDir: sounds })).toEqual([
      `a.yaml:8:32: flows.spanish.steps.menu.menu.prompt.0: unknown sound "menu-es" (no menu-es.{gsm,wav,ulaw,alaw,sln,g722} in ${en})`,
      `a.yaml:9:42: flows.spanish.steps.bye.hangup.prompt.1: unknown sound "adios" (no adios.{gsm,wav,ulaw,alaw,sln,g722} in ${en})`,
    ]);
    // Without the switch to en, every prompt resolves in es or en, except adios.
    const esOnly = { 'a.yaml': files['a.yaml'].replace('set: { language: en }', 'set: { vars: { x: "1" } }') };
    expect(await problems(esOnly, { soundsDir: sounds })).toEqual([
      `a.yaml:9:42: flows.spanish.steps.bye.hangup.prompt.1: unknown sound "adios" (no adios.{gsm,wav,ulaw,alaw,sln,g722} in ${es} or ${en})`,
    ]);
  });

  it('finds where a regular expression goes wrong', () => {
    expect(regexErrorOffset('*4')).toBe(0);
    expect(regexErrorOffset('[0-9')).toBe(4);
    expect(regexErrorOffset('ab)c')).toBe(2);
    expect(regexErrorOffset('a\\')).toBe(1);
  });
});

describe('assist flows', () => {
  it('a queue names flows that exist and that give the caller back (no queue, transfer, dial or voicemail step)', async () => {
    const out = await problems({
      'catalog.yaml': lines('skills: [sales]', 'languages: [en]', 'queues:', '  sales: { requires: skill.sales, assistFlows: [payment, nowhere, routed] }'),
      'flows.yaml': lines(
        'flows:',
        '  payment:',
        '    start: card',
        '    steps:',
        '      card: { collect: { prompt: [enter-card], variable: card, min: 4, max: 16, sensitive: true, onFail: done }, next: done }',
        '      done: { hangup: { prompt: [thank-you] } }',
        '  routed:',
        '    start: a',
        '    steps:',
        '      a: { queue: sales }',
      ),
    });
    expect(out).toEqual([
      'catalog.yaml:4:58: queues.sales.assistFlows.1: unknown flow "nowhere"',
      'catalog.yaml:4:67: queues.sales.assistFlows.2: flow "routed" cannot be an assist flow: its step "a" is a queue step (an assist flow plays, asks, collects, looks up and sets; its end returns the caller to the agent)',
    ]);
  });
});
