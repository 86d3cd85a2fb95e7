/** Parses BinXML token streams of one chunk into element trees, caching each template definition once. */
import { readArray, readScalar, u16, u32, ValueError, VT, fixedWidth } from './values.ts';
import type { Scalar, Utf16 } from './values.ts';

/** A template or record element. Flags are computed once when the element closes. */
export interface ElementNode {
  readonly k: 0;
  readonly name: string;
  readonly attrs: AttrNode[];
  readonly children: XNode[];
  /** Some child is an element. */
  hasElement: boolean;
  /** Some child is a substitution or template instance (may turn into elements at run time). */
  hasDynamic: boolean;
}

export interface AttrNode {
  readonly name: string;
  readonly parts: (TextNode | SubstNode)[];
}

export interface TextNode {
  readonly k: 1;
  readonly text: string;
}

export interface SubstNode {
  readonly k: 2;
  readonly index: number;
}

/** A template instance: the template's root element with this occurrence's substitution values. */
export interface InstanceNode {
  readonly k: 3;
  readonly root: ElementNode;
  readonly subs: readonly Value[];
}

export type XNode = ElementNode | TextNode | SubstNode | InstanceNode;

/** A substitution value of type BinXML (0x21): a nested fragment. */
export class Nested {
  constructor(readonly nodes: readonly XNode[]) {}
}

/** One substitution value: `null` when empty (NullType, empty string, empty array …). */
export type Value = Scalar | readonly Scalar[] | Nested | null;

/** Raised for a malformed token stream; the record it belongs to becomes an Issue. */
export class BinXmlError extends Error {}

const MAX_DEPTH = 64;
const MAX_ELEMENT_DEPTH = 512;
/** The values of a subtree that has no substitutions. */
export const NO_VALUES: readonly Value[] = [];

const ENTITIES: Readonly<Record<string, string>> = {
  quot: '"',
  apos: "'",
  amp: '&',
  lt: '<',
  gt: '>',
};

/** Where a token stream's parser stands: open elements and the open attribute. */
class FragmentState {
  readonly top: XNode[] = [];
  readonly stack: ElementNode[] = [];
  attr: AttrNode | null = null;
  inStart = false;
}

interface Template {
  root: ElementNode | null;
  error: string | null;
}

/** Parsing state of one 64 KiB chunk: its bytes, name cache and template cache. */
export class Chunk {
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, Template>();
  /** Out-parameters of `nameRef` and `instance`, read right after each call. */
  private readonly nameOut = { name: '' };
  private readonly instOut: { node: InstanceNode | null } = { node: null };
  /** End of the chunk's readable bytes (absolute). */
  readonly end: number;

  constructor(
    readonly text: Utf16,
    /** Absolute offset of the chunk in the file buffer. */
    readonly base: number,
    size: number,
  ) {
    this.end = base + size;
  }

  private fail(message: string, p: number): never {
    throw new BinXmlError(`${message} at chunk offset 0x${(p - this.base).toString(16)}`);
  }

  /** The name at a chunk-relative offset: u32 next, u16 hash, u16 count, UTF-16 chars, NUL. */
  private name(rel: number): string {
    const cached = this.names.get(rel);
    if (cached !== undefined) return cached;
    const p = this.base + rel;
    if (rel < 0 || p + 8 > this.end) this.fail('name offset out of range', p);
    const count = u16(this.text.bytes, p + 6);
    if (p + 8 + count * 2 > this.end) this.fail('name runs past the chunk', p);
    const s = this.text.text(p + 8, count);
    this.names.set(rel, s);
    return s;
  }

  /** Reads a name reference at `p`; returns the position after it (skipping an inline name). */
  private nameRef(p: number, out: { name: string }): number {
    if (p + 4 > this.end) this.fail('truncated name reference', p);
    const rel = u32(this.text.bytes, p);
    p += 4;
    out.name = this.name(rel);
    if (rel === p - this.base) p += 10 + u16(this.text.bytes, p + 6) * 2;
    return p;
  }

  private template(defRel: number, depth: number): ElementNode {
    let t = this.templates.get(defRel);
    if (t === undefined) {
      t = { root: null, error: 'template refers to itself' };
      this.templates.set(defRel, t);
      try {
        const p = this.base + defRel;
        if (defRel < 0 || p + 24 > this.end) this.fail('template offset out of range', p);
        const size = u32(this.text.bytes, p + 20);
        if (p + 24 + size > this.end) this.fail('template runs past the chunk', p);
        const nodes = this.fragment(p + 24, p + 24 + size, true, depth + 1);
        const root = nodes.find((n): n is ElementNode => n.k === 0) ?? null;
        if (root === null) this.fail('template has no root element', p);
        t.root = root;
        t.error = null;
      } catch (e) {
        t.error = e instanceof Error ? e.message : String(e);
      }
    }
    if (t.root === null) throw new BinXmlError(t.error ?? 'bad template');
    return t.root;
  }

  /** A template instance token body at `p` (after the 0x0c byte). */
  private instance(
    p: number,
    end: number,
    depth: number,
    out: { node: InstanceNode | null },
  ): number {
    const b = this.text.bytes;
    if (p + 9 > end) this.fail('truncated template instance', p);
    const defRel = u32(b, p + 5);
    p += 9;
    if (defRel === p - this.base) {
      if (p + 24 > end) this.fail('truncated template definition', p);
      const size = u32(b, p + 20);
      if (p + 24 + size > end) this.fail('template definition runs past the record', p);
      p += 24 + size;
    }
    const root = this.template(defRel, depth);
    if (p + 4 > end) this.fail('truncated substitution count', p);
    const count = u32(b, p);
    p += 4;
    if (count * 4 > end - p) this.fail('substitution count too large', p);
    const subs = new Array<Value>(count);
    let q = p + count * 4;
    for (let i = 0; i < count; i++, p += 4) {
      const size = u16(b, p);
      const type = b[p + 2] ?? 0;
      if (q + size > end) this.fail('substitution value runs past the record', q);
      subs[i] = this.value(type, q, size, depth);
      q += size;
    }
    out.node = { k: 3, root, subs };
    return q;
  }

  /** One substitution value of `type` at `p`, `size` bytes. */
  value(type: number, p: number, size: number, depth: number): Value {
    if (size === 0) return null;
    if (type === VT.BINXML) return new Nested(this.fragment(p, p + size, false, depth + 1));
    const w = fixedWidth(type);
    if (w !== 0 && size < w) this.fail(`value of type 0x${type.toString(16)} too short`, p);
    try {
      if (type & VT.ARRAY) return readArray(this.text, type, p, size);
      return readScalar(this.text, type, p, size);
    } catch (e) {
      if (e instanceof ValueError) this.fail(e.message, p);
      throw e;
    }
  }

  /** Attaches a parsed node to the open attribute, the open element, or the top level. */
  private add(st: FragmentState, node: XNode, p: number): void {
    const attr = st.attr;
    if (attr !== null) {
      if (node.k !== 1 && node.k !== 2) this.fail('element content inside an attribute', p);
      attr.parts.push(node);
      return;
    }
    const parent = st.stack[st.stack.length - 1];
    if (parent === undefined) {
      st.top.push(node);
      return;
    }
    if (st.inStart) this.fail('content before the end of a start tag', p);
    if (node.k === 0) parent.hasElement = true;
    else if (node.k !== 1) parent.hasDynamic = true;
    parent.children.push(node);
  }

  /**
   * Parses tokens in [p, end) into top-level nodes. `inTemplate` streams carry a dependency
   * identifier after each start-element token and may hold substitutions.
   */
  fragment(p: number, end: number, inTemplate: boolean, depth: number): XNode[] {
    if (depth > MAX_DEPTH) this.fail('BinXML nested too deeply', p);
    if (end > this.end) end = this.end;
    const b = this.text.bytes;
    const st = new FragmentState();
    const top = st.top;
    const stack = st.stack;
    const nameOut = this.nameOut;
    const instOut = this.instOut;

    while (p < end) {
      const token = b[p] ?? 0;
      switch (token) {
        case 0x00:
          return top;
        case 0x0f:
          p += 4;
          break;
        case 0x01:
        case 0x41: {
          p += inTemplate ? 3 : 1;
          if (p + 8 > end) this.fail('truncated start element', p);
          p = this.nameRef(p + 4, nameOut);
          if (token === 0x41) p += 4;
          if (st.inStart) this.fail('start element inside a start tag', p);
          if (stack.length >= MAX_ELEMENT_DEPTH) this.fail('elements nested too deeply', p);
          const el: ElementNode = {
            k: 0,
            name: nameOut.name,
            attrs: [],
            children: [],
            hasElement: false,
            hasDynamic: false,
          };
          stack.push(el);
          st.inStart = true;
          st.attr = null;
          break;
        }
        case 0x02:
          p++;
          if (!st.inStart) this.fail('unexpected close of start tag', p);
          st.inStart = false;
          st.attr = null;
          break;
        case 0x03:
        case 0x04: {
          p++;
          if (token === 0x03 ? !st.inStart : st.inStart) this.fail('unexpected end of element', p);
          const el = stack.pop();
          if (el === undefined) this.fail('end of element without a start', p);
          st.inStart = false;
          st.attr = null;
          this.add(st, el, p);
          break;
        }
        case 0x06:
        case 0x46: {
          p = this.nameRef(p + 1, nameOut);
          const el = stack[stack.length - 1];
          if (!st.inStart || el === undefined) this.fail('attribute outside a start tag', p);
          const attr: AttrNode = { name: nameOut.name, parts: [] };
          st.attr = attr;
          el.attrs.push(attr);
          break;
        }
        case 0x05:
        case 0x45: {
          const type = b[p + 1] ?? 0;
          p += 2;
          if (type === VT.STRING) {
            const n = u16(b, p);
            if (p + 2 + n * 2 > end) this.fail('truncated text value', p);
            this.add(st, { k: 1, text: this.text.text(p + 2, n) }, p);
            p += 2 + n * 2;
          } else {
            const w = fixedWidth(type);
            if (w === 0 || p + w > end)
              this.fail(`unsupported value token type 0x${type.toString(16)}`, p);
            const v = readScalar(this.text, type, p, w);
            if (v !== null) this.add(st, { k: 1, text: String(v) }, p);
            p += w;
          }
          break;
        }
        case 0x07:
        case 0x47: {
          const n = u16(b, p + 1);
          if (p + 3 + n * 2 > end) this.fail('truncated CDATA', p);
          this.add(st, { k: 1, text: this.text.text(p + 3, n) }, p);
          p += 3 + n * 2;
          break;
        }
        case 0x08:
        case 0x48: {
          if (p + 3 > end) this.fail('truncated character reference', p);
          this.add(st, { k: 1, text: String.fromCharCode(u16(b, p + 1)) }, p);
          p += 3;
          break;
        }
        case 0x09:
        case 0x49: {
          p = this.nameRef(p + 1, nameOut);
          this.add(st, { k: 1, text: ENTITIES[nameOut.name] ?? `&${nameOut.name};` }, p);
          break;
        }
        case 0x0a:
          p = this.nameRef(p + 1, nameOut);
          break;
        case 0x0b: {
          const n = u16(b, p + 1);
          p += 3 + n * 2;
          break;
        }
        case 0x0c: {
          p = this.instance(p + 1, end, depth, instOut);
          if (instOut.node !== null) this.add(st, instOut.node, p);
          break;
        }
        case 0x0d:
        case 0x0e: {
          if (!inTemplate) this.fail('substitution outside a template', p);
          if (p + 4 > end) this.fail('truncated substitution', p);
          this.add(st, { k: 2, index: u16(b, p + 1) }, p);
          p += 4;
          break;
        }
        default:
          this.fail(`unknown BinXML token 0x${token.toString(16)}`, p);
      }
    }
    if (stack.length > 0) this.fail('BinXML ends inside an element', p);
    return top;
  }

  /** The record's BinXML at [p, end): its top-level nodes. */
  record(p: number, end: number): XNode[] {
    return this.fragment(p, end, false, 0);
  }
}
