// Where a value is in a YAML document: the line and column of a field path (map keys, list
// indices), of a map entry's key, or of a character inside a one-line string, so that every
// problem can name file:line:column.
import { isMap, isScalar, isSeq, LineCounter, Scalar, type Document } from 'yaml';

/** A field path: map keys and list indices, from the document's root. */
export type Path = readonly PropertyKey[];

export interface Position {
  line: number;
  column: number;
}

/** One parsed YAML file: its text, its document (with node ranges) and its plain value. */
export interface YamlFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lc: LineCounter;
  /** The document as plain values (`{}` for an empty file). */
  readonly raw: unknown;
}

export function toPos(lc: LineCounter, offset: number): Position {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/**
 * The node at `at`, matching map keys by their text (YAML reads `1:` as the number 1, while paths
 * hold the string "1"); undefined when there is none.
 */
export function nodeAt(doc: Document, at: Path): unknown {
  let node: unknown = doc.contents;
  for (const k of at) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(k));
      if (!pair) return undefined;
      node = pair.value;
    } else if (isSeq(node)) node = node.items[Number(k)];
    else return undefined;
  }
  return node;
}

/** Position of the node at `at` (or of its nearest existing parent) in the document; map entries by their key. */
export function locate(doc: Document, lc: LineCounter, at: Path): Position | undefined {
  for (let n = at.length; n >= 0; n--) {
    const keys = at.slice(0, n);
    const node = nodeAt(doc, keys);
    // For map entries prefer the key's position: it is what the reader looks for.
    if (n > 0) {
      const parent = nodeAt(doc, keys.slice(0, -1));
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(keys[n - 1]));
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return toPos(lc, range[0]);
      }
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return toPos(lc, range[0]);
  }
  return undefined;
}

/** Position of the value at `at` when it exists, else as locate(). */
export function locateValue(doc: Document, lc: LineCounter, at: Path): Position | undefined {
  const node = nodeAt(doc, at);
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? toPos(lc, range[0]) : locate(doc, lc, at);
}

/**
 * File offset of character `offset` of a scalar's value, when the scalar is written on one line
 * as a plain, single- or double-quoted string (so errors can point inside it); else undefined.
 */
export function offsetInScalar(text: string, node: unknown, offset: number): number | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  if (raw.includes('\n') || raw.includes('\r')) return undefined;
  if (node.type === Scalar.PLAIN) return start + offset;
  if (node.type === Scalar.QUOTE_SINGLE) {
    let i = start + 1;
    for (let k = 0; k < offset && i < end; k++) i += text[i] === "'" && text[i + 1] === "'" ? 2 : 1;
    return i;
  }
  if (node.type === Scalar.QUOTE_DOUBLE) {
    let i = start + 1;
    for (let k = 0; k < offset && i < end; k++) {
      if (text[i] !== '\\') {
        i++;
        continue;
      }
      const e = text[i + 1];
      i += e === 'x' ? 4 : e === 'u' ? 6 : e === 'U' ? 10 : 2;
    }
    return i;
  }
  return undefined;
}

/** Position of a problem at `at` in a file: its value (or, `onKey`, its key), else the nearest parent. */
export function positionOf(src: YamlFile, at: Path, onKey = false): Position | undefined {
  return onKey ? locate(src.doc, src.lc, at) : locateValue(src.doc, src.lc, at);
}

/** Position of character `offset` of the string at `at` when it is written on one line, else of the value. */
export function positionInValue(src: YamlFile, at: Path, offset: number): Position | undefined {
  const inScalar = offsetInScalar(src.text, nodeAt(src.doc, at), offset);
  return inScalar !== undefined ? toPos(src.lc, inScalar) : locateValue(src.doc, src.lc, at);
}

/** The plain value at `p`, or undefined. */
export function valueAt(raw: unknown, p: Path): unknown {
  let v = raw;
  for (const k of p) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
