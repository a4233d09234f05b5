// Requirement expressions: which agents may take a call, e.g.
//   skill.sales >= 3 and (language == call.language or skill.interpreter)
// Compiled once (when the configuration loads) into closures; `test` is then called for every
// agent × call pair the router considers, so it does no parsing, allocation or lookups by text.
// Longer than the house's ~400 lines: lexer, parser, type checks and compiler of one small
// language belong together (each part is a few functions).
//
// Grammar (keywords are lower-case and case-sensitive):
//   expr    := or
//   or      := and ('or' and)*
//   and     := unary ('and' unary)*
//   unary   := 'not' unary | '(' expr ')' | cmp
//   cmp     := operand (('=='|'!='|'>='|'<='|'>'|'<') operand)?
//   operand := number | "string" | true | false | skill.NAME | language | call.NAME
// A bare operand must be a condition: `skill.x` alone means `skill.x >= 1`, `call.vip` alone means
// `call.vip == true`. `language` is the set of languages the agent speaks: `==` means "speaks it",
// `!=` "does not speak it". A missing call attribute makes every comparison with it false.
import type { AgentProfile, CallAttributes, Requirement } from './model';

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  /** 0-based character offset in the source where the problem is. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export interface ExpressionCatalog {
  readonly skills: ReadonlySet<string>;
  /** When given, a string compared with `language` must be one of these. */
  readonly languages?: ReadonlySet<string>;
}

type Op = '==' | '!=' | '>=' | '<=' | '>' | '<';

type Token =
  | { readonly kind: 'num'; readonly value: number; readonly at: number }
  | { readonly kind: 'str'; readonly value: string; readonly at: number }
  | { readonly kind: 'word'; readonly value: string; readonly at: number }
  | { readonly kind: 'op'; readonly value: Op; readonly at: number }
  | { readonly kind: '(' | ')' | 'end'; readonly at: number };

const WORD = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)?/y;
const NUMBER = /-?[0-9]+(?:\.[0-9]+)?/y;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      out.push({ kind: ch, at: i });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '>=' || two === '<=') {
      out.push({ kind: 'op', value: two, at: i });
      i += 2;
      continue;
    }
    if (ch === '>' || ch === '<') {
      out.push({ kind: 'op', value: ch, at: i });
      i++;
      continue;
    }
    if (ch === '=') throw new ExpressionError('use "==" to compare', i);
    if (two === '&&') throw new ExpressionError('use "and"', i);
    if (two === '||') throw new ExpressionError('use "or"', i);
    if (ch === '!') throw new ExpressionError('use "not"', i);
    if (ch === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new ExpressionError('unterminated string', i);
        const c = src[j] as string;
        if (c === '"') break;
        if (c === '\\') {
          const next = src[j + 1];
          if (next !== '"' && next !== '\\') throw new ExpressionError('unknown escape (only \\" and \\\\)', j);
          value += next;
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      out.push({ kind: 'str', value, at: i });
      i = j + 1;
      continue;
    }
    if ((ch >= '0' && ch <= '9') || (ch === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      const text = m ? m[0] : ch;
      out.push({ kind: 'num', value: Number(text), at: i });
      i += text.length;
      continue;
    }
    WORD.lastIndex = i;
    const m = WORD.exec(src);
    if (m) {
      if (src[i + m[0].length] === '.') throw new ExpressionError(`expected a name after "${m[0]}."`, i);
      out.push({ kind: 'word', value: m[0], at: i });
      i += m[0].length;
      continue;
    }
    throw new ExpressionError(`unexpected character "${ch}"`, i);
  }
  out.push({ kind: 'end', at: src.length });
  return out;
}

type Pred = (agent: AgentProfile, call: CallAttributes) => boolean;
type Value = string | number | boolean | undefined;
type Getter = (agent: AgentProfile, call: CallAttributes) => Value;

/** A compiled condition; `constant` is set when it does not depend on agent or call. */
interface Cond {
  readonly fn: Pred;
  readonly constant?: boolean;
}

type Operand =
  | { readonly kind: 'num' | 'str' | 'bool'; readonly value: number | string | boolean; readonly at: number }
  | { readonly kind: 'skill'; readonly name: string; readonly at: number }
  | { readonly kind: 'call'; readonly name: string; readonly at: number }
  | { readonly kind: 'language'; readonly at: number };

const TRUE: Cond = { fn: () => true, constant: true };
const FALSE: Cond = { fn: () => false, constant: false };
const constant = (v: boolean): Cond => (v ? TRUE : FALSE);

const FLIP: Record<Op, Op> = { '==': '==', '!=': '!=', '>=': '<=', '<=': '>=', '>': '<', '<': '>' };

function relation(op: Op): (x: number | string | boolean, y: number | string | boolean) => boolean {
  switch (op) {
    case '==':
      return (x, y) => x === y;
    case '!=':
      return (x, y) => x !== y;
    case '>=':
      return (x, y) => x >= y;
    case '<=':
      return (x, y) => x <= y;
    case '>':
      return (x, y) => x > y;
    case '<':
      return (x, y) => x < y;
  }
}

/** `skill.name op k`, the hot path of most requirements: one property read and one comparison. */
function skillVsNumber(name: string, op: Op, k: number): Pred {
  switch (op) {
    case '>=':
      return (a) => {
        const v = a.skills[name];
        return (typeof v === 'number' ? v : 0) >= k;
      };
    case '>':
      return (a) => {
        const v = a.skills[name];
        return (typeof v === 'number' ? v : 0) > k;
      };
    case '<=':
      return (a) => {
        const v = a.skills[name];
        return (typeof v === 'number' ? v : 0) <= k;
      };
    case '<':
      return (a) => {
        const v = a.skills[name];
        return (typeof v === 'number' ? v : 0) < k;
      };
    case '==':
      return (a) => {
        const v = a.skills[name];
        return (typeof v === 'number' ? v : 0) === k;
      };
    case '!=':
      return (a) => {
        const v = a.skills[name];
        return (typeof v === 'number' ? v : 0) !== k;
      };
  }
}

function skillGetter(name: string): Getter {
  return (a) => {
    const v = a.skills[name];
    return typeof v === 'number' ? v : 0;
  };
}

function callGetter(name: string): Getter {
  return (_a, c) => {
    const v = (c as Record<string, unknown>)[name];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
  };
}

const DESCRIBE: Record<Operand['kind'], string> = {
  num: 'a number',
  str: 'a string',
  bool: 'a boolean',
  skill: 'a skill',
  call: 'a call attribute',
  language: 'language',
};

/** Static type of an operand, as far as it is known before the call arrives. */
function typeOf(o: Operand): 'number' | 'string' | 'boolean' | 'language' | 'unknown' {
  switch (o.kind) {
    case 'num':
    case 'skill':
      return 'number';
    case 'str':
      return 'string';
    case 'bool':
      return 'boolean';
    case 'language':
      return 'language';
    case 'call':
      return 'unknown';
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/** ` (did you mean "x"?)` for the closest known name when it is close enough, else ''. */
export function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.ceil(name.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

class Parser {
  private pos = 0;
  readonly skills: string[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly catalog: ExpressionCatalog,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private isWord(value: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.value === value;
  }

  parse(): Cond {
    if (this.peek().kind === 'end') throw new ExpressionError('empty expression', 0);
    const c = this.or();
    const t = this.peek();
    if (t.kind !== 'end') throw new ExpressionError(`unexpected ${describeToken(t)}; expected "and", "or" or the end`, t.at);
    return c;
  }

  private or(): Cond {
    const items = [this.and()];
    while (this.isWord('or')) {
      this.pos++;
      items.push(this.and());
    }
    return combine(items, false);
  }

  private and(): Cond {
    const items = [this.unary()];
    while (this.isWord('and')) {
      this.pos++;
      items.push(this.unary());
    }
    return combine(items, true);
  }

  private unary(): Cond {
    const t = this.peek();
    if (t.kind === 'word' && t.value === 'not') {
      this.pos++;
      const inner = this.unary();
      if (inner.constant !== undefined) return constant(!inner.constant);
      const f = inner.fn;
      return { fn: (a, c) => !f(a, c) };
    }
    if (t.kind === '(') {
      this.pos++;
      const inner = this.or();
      const close = this.peek();
      if (close.kind !== ')') throw new ExpressionError(`expected ")" to close the "(" at ${t.at}, found ${describeToken(close)}`, close.at);
      this.pos++;
      return inner;
    }
    return this.cmp();
  }

  private cmp(): Cond {
    const left = this.operand();
    const t = this.peek();
    if (t.kind !== 'op') return this.bare(left);
    this.pos++;
    const right = this.operand();
    return this.compare(left, t.value, right, t.at);
  }

  private operand(): Operand {
    const t = this.peek();
    switch (t.kind) {
      case 'num':
        this.pos++;
        return { kind: 'num', value: t.value, at: t.at };
      case 'str':
        this.pos++;
        return { kind: 'str', value: t.value, at: t.at };
      case 'word':
        break;
      default:
        throw new ExpressionError(`expected a condition or a value, found ${describeToken(t)}`, t.at);
    }
    const w = t.value;
    if (w === 'true' || w === 'false') {
      this.pos++;
      return { kind: 'bool', value: w === 'true', at: t.at };
    }
    if (w === 'language') {
      this.pos++;
      return { kind: 'language', at: t.at };
    }
    if (w.startsWith('skill.')) {
      const name = w.slice(6);
      if (!this.catalog.skills.has(name)) throw new ExpressionError(`unknown skill "${name}"${didYouMean(name, this.catalog.skills)}`, t.at);
      if (!this.skills.includes(name)) this.skills.push(name);
      this.pos++;
      return { kind: 'skill', name, at: t.at };
    }
    if (w.startsWith('call.')) {
      const name = w.slice(5);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ExpressionError(`bad call attribute name "${name}"`, t.at);
      this.pos++;
      return { kind: 'call', name, at: t.at };
    }
    if (w === 'and' || w === 'or' || w === 'not') throw new ExpressionError(`expected a condition or a value, found "${w}"`, t.at);
    if (w === 'skill' || w === 'call') throw new ExpressionError(`expected ${w}.NAME`, t.at);
    const lower = w.toLowerCase();
    const hint = ['and', 'or', 'not', 'true', 'false', 'language'].includes(lower) ? ` (keywords are lower-case: "${lower}")` : ' (expected skill.NAME, call.NAME, language, true, false, a number or a "string")';
    throw new ExpressionError(`unknown name "${w}"${hint}`, t.at);
  }

  /** A lone operand used as a condition. */
  private bare(o: Operand): Cond {
    switch (o.kind) {
      case 'bool':
        return constant(o.value as boolean);
      case 'skill':
        return { fn: skillVsNumber(o.name, '>=', 1) };
      case 'call': {
        const name = o.name;
        return { fn: (_a, c) => (c as Record<string, unknown>)[name] === true };
      }
      default:
        throw new ExpressionError(`${DESCRIBE[o.kind]} is not a condition; compare it with something`, o.at);
    }
  }

  private compare(l: Operand, op: Op, r: Operand, opAt: number): Cond {
    // language: the agent speaks (==) or does not speak (!=) a language given as a string.
    if (l.kind === 'language' || r.kind === 'language') {
      const other = l.kind === 'language' ? r : l;
      if (other.kind === 'language') throw new ExpressionError('cannot compare language with language', r.at);
      if (op !== '==' && op !== '!=') throw new ExpressionError(`language can only be compared with == or !=`, opAt);
      const speaks = op === '==';
      if (other.kind === 'str') {
        const lang = other.value as string;
        const known = this.catalog.languages;
        if (known && !known.has(lang)) throw new ExpressionError(`unknown language "${lang}"${didYouMean(lang, known)}`, other.at);
        return { fn: speaks ? (a) => a.languages.includes(lang) : (a) => !a.languages.includes(lang) };
      }
      if (other.kind === 'call') {
        const get = callGetter(other.name);
        return {
          fn: (a, c) => {
            const v = get(a, c);
            return typeof v === 'string' && a.languages.includes(v) === speaks;
          },
        };
      }
      throw new ExpressionError(`cannot compare language with ${DESCRIBE[other.kind]} (use a "string" or call.NAME)`, other.at);
    }

    const lt = typeOf(l);
    const rt = typeOf(r);
    if (lt !== 'unknown' && rt !== 'unknown' && lt !== rt) {
      const bad = l.kind === 'skill' || l.kind === 'num' ? r : r.kind === 'skill' ? l : r;
      const good = bad === r ? l : r;
      throw new ExpressionError(`cannot compare ${DESCRIBE[good.kind]} with ${DESCRIBE[bad.kind]}`, bad.at);
    }
    const ordering = op !== '==' && op !== '!=';
    if (ordering && (lt === 'boolean' || rt === 'boolean')) throw new ExpressionError(`booleans can only be compared with == or !=`, opAt);

    const isConst = (o: Operand): o is Extract<Operand, { kind: 'num' | 'str' | 'bool' }> => o.kind === 'num' || o.kind === 'str' || o.kind === 'bool';
    const rel = relation(op);
    if (isConst(l) && isConst(r)) return constant(rel(l.value, r.value));
    if (l.kind === 'skill' && r.kind === 'num') return { fn: skillVsNumber(l.name, op, r.value as number) };
    if (r.kind === 'skill' && l.kind === 'num') return { fn: skillVsNumber(r.name, FLIP[op], l.value as number) };

    const getter = (o: Operand): Getter | undefined => (o.kind === 'skill' ? skillGetter(o.name) : o.kind === 'call' ? callGetter(o.name) : undefined);
    const lg = getter(l);
    const rg = getter(r);
    if (lg && rg) {
      // At least one call attribute: both values must be present and of the same type.
      return {
        fn: (a, c) => {
          const x = lg(a, c);
          const y = rg(a, c);
          return x !== undefined && y !== undefined && typeof x === typeof y && rel(x, y);
        },
      };
    }
    // One side is a call attribute (skills against constants were handled above), the other a constant.
    const get = (lg ?? rg) as Getter;
    const k = (isConst(l) ? l.value : (r as { value: number | string | boolean }).value) as number | string | boolean;
    const kType = typeof k;
    const f = lg ? rel : relation(FLIP[op]);
    return {
      fn: (a, c) => {
        const v = get(a, c);
        return typeof v === kType && f(v as number | string | boolean, k);
      },
    };
  }
}

function combine(items: Cond[], isAnd: boolean): Cond {
  if (items.length === 1) return items[0] as Cond;
  const kept: Pred[] = [];
  for (const c of items) {
    if (c.constant === undefined) kept.push(c.fn);
    else if (c.constant !== isAnd) return constant(!isAnd); // false in an "and", true in an "or"
  }
  if (kept.length === 0) return constant(isAnd);
  let fn = kept[0] as Pred;
  for (let i = 1; i < kept.length; i++) {
    const p = fn;
    const q = kept[i] as Pred;
    fn = isAnd ? (a, c) => p(a, c) && q(a, c) : (a, c) => p(a, c) || q(a, c);
  }
  return { fn };
}

function describeToken(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'the end';
    case 'num':
      return `number ${t.value}`;
    case 'str':
      return `string "${t.value}"`;
    case 'word':
    case 'op':
      return `"${t.value}"`;
    default:
      return `"${t.kind}"`;
  }
}

/**
 * Compiles a requirement expression. Throws ExpressionError (with the offset of the problem) on
 * syntax errors, unknown skills, languages or names, and comparisons between incompatible types.
 */
export function compileRequirement(source: string, catalog: ExpressionCatalog): Requirement {
  const parser = new Parser(tokenize(source), catalog);
  const cond = parser.parse();
  const skills: readonly string[] = Object.freeze([...parser.skills]);
  return Object.freeze({ source, skills, test: cond.fn });
}
