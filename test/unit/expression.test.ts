import { compileRequirement, ExpressionError } from '../../src/acd/domain/expression';
import type { AgentProfile, CallAttributes } from '../../src/acd/domain/model';

const catalog = { skills: new Set(['sales', 'internet', 'tv', 'billing', 'tier-2', 'constructor']), languages: new Set(['en', 'es']) };

function agent(skills: Record<string, number>, languages: string[] = ['en']): AgentProfile {
  return { id: 'a', name: 'A', endpoint: 'PJSIP/a', skills, languages, autoLogin: false };
}

const ana = agent({ sales: 8, tv: 2 }, ['es', 'en']);
const bob = agent({ internet: 9, tv: 6 });
const none = agent({}, []);
const es: CallAttributes = { language: 'es', vip: true, tier: 2, segment: 'gold' };
const en: CallAttributes = { language: 'en', vip: false, tier: 1 };
const bare: CallAttributes = {};

function run(src: string, a: AgentProfile, c: CallAttributes = bare): boolean {
  return compileRequirement(src, catalog).test(a, c);
}

describe('requirement expressions: evaluation', () => {
  it.each<[string, AgentProfile, CallAttributes, boolean]>([
    ['skill.sales >= 1', ana, bare, true],
    ['skill.sales >= 9', ana, bare, false],
    ['skill.sales > 7', ana, bare, true],
    ['skill.sales < 8', ana, bare, false],
    ['skill.sales <= 8', ana, bare, true],
    ['skill.sales == 8', ana, bare, true],
    ['skill.sales != 8', ana, bare, false],
    ['skill.sales >= 1', bob, bare, false],
    ['skill.sales == 0', bob, bare, true], // missing skill reads 0
    ['3 <= skill.sales', ana, bare, true], // constant on the left
    ['9 < skill.sales', ana, bare, false],
    ['skill.sales', ana, bare, true], // bare skill means >= 1
    ['skill.sales', bob, bare, false],
    ['not skill.sales', bob, bare, true],
    ['skill.tier-2', ana, bare, false],
    ['skill.tv > skill.sales', bob, bare, true],
    ['skill.tv > skill.sales', ana, bare, false],
    ['true', none, bare, true],
    ['false', ana, bare, false],
    ['1 < 2', none, bare, true],
    ['"a" == "b"', none, bare, false],
    ['language == "es"', ana, bare, true],
    ['language == "es"', bob, bare, false],
    ['language != "es"', bob, bare, true],
    ['"es" == language', ana, bare, true],
    ['language == call.language', ana, es, true],
    ['language == call.language', bob, es, false],
    ['language != call.language', bob, es, true],
    ['language == call.language', ana, bare, false], // missing attribute: false
    ['language != call.language', ana, bare, false], // ... whatever the operator
    ['call.vip', ana, es, true],
    ['call.vip', ana, en, false],
    ['call.vip', ana, bare, false],
    ['call.vip == true', ana, es, true],
    ['call.vip != true', ana, en, true],
    ['call.vip != true', ana, bare, false],
    ['call.tier >= 2', ana, es, true],
    ['call.tier >= 2', ana, en, false],
    ['2 <= call.tier', ana, es, true],
    ['call.tier != 3', ana, bare, false],
    ['call.segment == "gold"', ana, es, true],
    ['call.segment == 1', ana, es, false], // type mismatch at run time: false
    ['call.tier <= skill.tv', bob, es, true],
    ['call.tier <= skill.tv', bob, bare, false],
    ['call.language == call.segment', bob, es, false],
    ['call.toString == "x"', bob, es, false], // never reads the prototype
    ['skill.constructor', bob, bare, false],
    ['call.tier >= -1', bob, es, true],
    ['skill.sales >= 3 and language == "es"', ana, bare, true],
    ['skill.sales >= 3 and language == "es"', bob, bare, false],
    ['skill.sales or skill.internet', bob, bare, true],
    ['skill.sales or skill.internet', none, bare, false],
    ['(skill.sales or skill.internet) and skill.tv >= 5', bob, bare, true],
    ['(skill.sales or skill.internet) and skill.tv >= 5', ana, bare, false],
    ['not (skill.sales or skill.internet)', none, bare, true],
    ['not not skill.sales', ana, bare, true],
    ['skill.sales and true', ana, bare, true],
    ['skill.sales and false', ana, bare, false],
    ['skill.sales or true', none, bare, true],
    ['false or skill.sales', ana, bare, true],
  ])('%s', (src, a, c, expected) => {
    expect(run(src, a, c)).toBe(expected);
  });
});

describe('requirement expressions: precedence', () => {
  // and binds tighter than or; not binds tighter than and; comparisons tighter than not.
  it.each<[string, string]>([
    ['true or true and false', 'true or (true and false)'],
    ['false and true or true', '(false and true) or true'],
    ['not false and false', '(not false) and false'],
    ['not skill.sales >= 9', 'not (skill.sales >= 9)'],
    ['skill.sales or skill.tv and skill.internet', 'skill.sales or (skill.tv and skill.internet)'],
  ])('%s == %s', (a, b) => {
    for (const ag of [ana, bob, none]) expect(run(a, ag)).toBe(run(b, ag));
  });
  it('is not left-to-right', () => {
    expect(run('true or true and false', none)).toBe(true);
    expect(run('(true or true) and false', none)).toBe(false);
  });
});

describe('requirement expressions: metadata', () => {
  it('lists skills read in order of first appearance, once each', () => {
    const r = compileRequirement('skill.tv >= 2 or (skill.sales and skill.tv < 9) or skill.internet', catalog);
    expect(r.skills).toEqual(['tv', 'sales', 'internet']);
    expect(r.source).toBe('skill.tv >= 2 or (skill.sales and skill.tv < 9) or skill.internet');
  });
  it('accepts any language when no language catalog is given', () => {
    expect(compileRequirement('language == "fr"', { skills: new Set() }).test(agent({}, ['fr']), bare)).toBe(true);
  });
  it('handles escaped quotes in strings', () => {
    expect(compileRequirement('call.name == "a\\"b\\\\"', catalog).test(ana, { name: 'a"b\\' })).toBe(true);
  });
});

describe('requirement expressions: errors', () => {
  it.each<[string, string | RegExp, number]>([
    ['', 'empty expression', 0],
    ['   ', 'empty expression', 0],
    ['skill.salse >= 1', 'unknown skill "salse" (did you mean "sales"?)', 0],
    ['skill.tv and skill.foo', 'unknown skill "foo"', 13],
    ['skill.sales >= 1 and', 'expected a condition or a value, found the end', 20],
    ['skill.sales >= ', 'expected a condition or a value, found the end', 15],
    ['skill.sales = 1', 'use "==" to compare', 12],
    ['skill.sales && skill.tv', 'use "and"', 12],
    ['skill.sales || skill.tv', 'use "or"', 12],
    ['!skill.sales', 'use "not"', 0],
    ['(skill.sales', /^expected "\)" to close the "\(" at 0/, 12],
    ['skill.sales)', /^unexpected "\)"/, 11],
    ['skill.sales skill.tv', /^unexpected "skill.tv"/, 12],
    ['skill.sales >= "3"', 'cannot compare a skill with a string', 15],
    ['"3" <= skill.sales', 'cannot compare a skill with a string', 0],
    ['skill.sales == true', 'cannot compare a skill with a boolean', 15],
    ['language == 1', 'cannot compare language with a number (use a "string" or call.NAME)', 12],
    ['language == skill.sales', 'cannot compare language with a skill (use a "string" or call.NAME)', 12],
    ['language > "es"', 'language can only be compared with == or !=', 9],
    ['language == language', 'cannot compare language with language', 12],
    ['language == "fr"', 'unknown language "fr"', 12],
    ['language == "ex"', 'unknown language "ex" (did you mean "en"?)', 12],
    ['language', 'language is not a condition; compare it with something', 0],
    ['3', 'a number is not a condition; compare it with something', 0],
    ['skill.sales and "x"', 'a string is not a condition; compare it with something', 16],
    ['true > false', 'booleans can only be compared with == or !=', 5],
    ['agent.name == "x"', /^expected a name after|unknown name "agent.name"/, 0],
    ['foo', /^unknown name "foo" \(expected skill.NAME/, 0],
    ['skill.sales AND skill.tv', /^unexpected "AND"/, 12],
    ['TRUE', 'unknown name "TRUE" (keywords are lower-case: "true")', 0],
    ['skill >= 1', 'expected skill.NAME', 0],
    ['skill.', 'expected a name after "skill."', 0],
    ['call.x == "abc', 'unterminated string', 10],
    ['call.x == "a\\n"', 'unknown escape (only \\" and \\\\)', 12],
    ['skill.sales >= 1 $', 'unexpected character "$"', 17],
    ['and skill.sales', 'expected a condition or a value, found "and"', 0],
  ])('%j', (src, message, offset) => {
    let err: unknown;
    try {
      compileRequirement(src, catalog);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpressionError);
    const e = err as ExpressionError;
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
    expect(e.offset).toBe(offset);
  });
});

describe('requirement expressions: speed', () => {
  it('evaluates a typical requirement a million times quickly', () => {
    const r = compileRequirement('skill.sales >= 3 and (language == call.language or skill.tv >= 5)', catalog);
    const agents = Array.from({ length: 1000 }, (_, i) => agent({ sales: i % 10, tv: (i * 7) % 10 }, i % 2 ? ['en', 'es'] : ['en']));
    let n = 0;
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < 1000; k++) for (const a of agents) if (r.test(a, es)) n++;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(n).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000); // typically ~20 ms; generous for slow CI machines
  });
});
