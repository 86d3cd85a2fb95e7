/**
 * Builds a record's flat fields as an object V8 keeps in fast mode. An object that gets more than a
 * dozen or so properties by computed name (`f[key] = v`) turns into a hash table ("dictionary mode"),
 * and every later use pays for it: reading a field, listing the values for a keyword search and
 * `JSON.stringify` of the event in the output cost two to ten times as much. The records of one template
 * name the same fields in the same order, so each such sequence of names (a `Shape`) gets, once, an
 * object with those fields made by `JSON.parse`; a record's object is a copy of it with its values set.
 */
import type { FieldValue, Fields } from '../../core/index.ts';

/** Shapes kept per thread; past it, a record with a new sequence of names is built the plain way. */
const MAX_SHAPES = 20_000;
/** More fields than this and the object is built the plain way (V8 would not keep it fast anyway). */
const MAX_FAST_FIELDS = 120;

let shapes = 0;

/** A sequence of field names: one name longer than its parent's. */
class Shape {
  /** Per next name: the shape one name longer, or the position of the name if it is already on the path. */
  private next: Map<string, Shape | number> | undefined;
  private nextKey: string | undefined;
  private nextValue: Shape | number | undefined;
  private skeleton: Fields | undefined;
  /** Objects made so far, up to 8: the skeleton is refreshed from each of the first ones. */
  private made = 0;
  private names: string[] | undefined;

  constructor(
    private readonly parent: Shape | null,
    private readonly key: string,
    /** How many names the path holds. */
    readonly size: number,
  ) {}

  /** The position of `key` on this path, or undefined when the path does not hold it. */
  find(key: string): number | undefined {
    const known = this.nextKey === key ? this.nextValue : this.next?.get(key);
    if (known !== undefined) return typeof known === 'number' ? known : undefined;
    const at = this.position(key);
    if (at !== undefined) this.remember(key, at);
    return at;
  }

  /** The position of `key` on this path, the shape with `key` added, or undefined past the budget. */
  step(key: string): Shape | number | undefined {
    const known = this.nextKey === key ? this.nextValue : this.next?.get(key);
    if (known !== undefined) return known;
    let found: Shape | number | undefined = this.position(key);
    if (found === undefined) {
      if (shapes >= MAX_SHAPES || this.size >= MAX_FAST_FIELDS) return undefined;
      shapes++;
      found = new Shape(this, key, this.size + 1);
    }
    this.remember(key, found);
    return found;
  }

  /** Where `key` is on the path (at most MAX_FAST_FIELDS shapes up). */
  private position(key: string): number | undefined {
    if (this.parent === null) return undefined;
    return this.key === key ? this.size - 1 : this.parent.position(key);
  }

  private remember(key: string, value: Shape | number): void {
    if (this.nextKey === undefined) {
      this.nextKey = key;
      this.nextValue = value;
    } else (this.next ??= new Map()).set(key, value);
  }

  /** The names of the path, in order. */
  keys(): readonly string[] {
    if (this.names === undefined) {
      const names = new Array<string>(this.size);
      if (this.size > 0) names[this.size - 1] = this.key;
      for (let s = this.parent; s !== null && s.size > 0; s = s.parent) names[s.size - 1] = s.key;
      this.names = names;
    }
    return this.names;
  }

  /** An object with this shape's fields holding `values` (in path order). */
  make(values: readonly FieldValue[]): Fields {
    const names = this.keys();
    // JSON.parse makes own data properties of every name (even `__proto__`), in fast mode.
    this.skeleton ??= JSON.parse(
      `{${names.map((n) => `${JSON.stringify(n)}:null`).join(',')}}`,
    ) as Fields;
    const out: Record<string, FieldValue> = { ...this.skeleton };
    // Own properties already: setting `__proto__` here sets the field, not the prototype.
    for (let i = 0; i < names.length; i++) out[names[i] as string] = values[i] as FieldValue;
    // The first values a field gets can change how V8 stores it (a number, then text), which leaves
    // the skeleton's layout outdated and every copy of it to be converted: copy the latest instead.
    if (this.made < 8) {
      this.made++;
      this.skeleton = { ...out };
    }
    return out;
  }
}

const ROOT = new Shape(null, '', 0);

/**
 * One record's fields while they are read: `get` and `set` by name, in the order they come. Reused
 * from record to record (`reset`); `build` gives the record's own object.
 */
export class FieldBuilder {
  private shape: Shape = ROOT;
  /** The record's values in path order: the first `shape.size` (kept allocated from record to record). */
  private readonly values: FieldValue[] = [];
  /** Set once the record left the shapes (budget spent): the fields as a plain object. */
  private plain: Record<string, FieldValue> | undefined;

  reset(): void {
    this.shape = ROOT;
    this.plain = undefined;
  }

  get(key: string): FieldValue | undefined {
    if (this.plain !== undefined)
      return Object.hasOwn(this.plain, key) ? this.plain[key] : undefined;
    const at = this.shape.find(key);
    return at === undefined ? undefined : this.values[at];
  }

  set(key: string, value: FieldValue): void {
    if (this.plain !== undefined) {
      put(this.plain, key, value);
      return;
    }
    const at = this.shape.step(key);
    if (typeof at === 'number') this.values[at] = value;
    else if (at !== undefined) {
      this.values[this.shape.size] = value;
      this.shape = at;
    } else {
      const plain: Record<string, FieldValue> = {};
      const names = this.shape.keys();
      for (let i = 0; i < names.length; i++)
        put(plain, names[i] as string, this.values[i] as FieldValue);
      put(plain, key, value);
      this.plain = plain;
    }
  }

  build(): Fields {
    return this.plain ?? this.shape.make(this.values);
  }
}

/** `o[key] = value` as an own property, `__proto__` included. */
function put(o: Record<string, FieldValue>, key: string, value: FieldValue): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else o[key] = value;
}
