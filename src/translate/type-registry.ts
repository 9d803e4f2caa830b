// The declared legacy types: record and enum types by name, and event signatures (event name ->
// parameter types), from the config's `types` section. Broker values carry no record or enum type
// names, so a Broker vector becomes the right named Bro record only through a declaration here.
// Type objects are built once and shared, as Bro shares its types: a peer's serialization cache then
// sends each type once and back-references it afterwards.
import {
  BASE,
  enumType,
  recordType,
  setType,
  tableType,
  typeName,
  vectorType,
  type BroType,
  type EnumType,
  type FullType,
  type Int64,
  type RecordType,
} from '../../legacy/codec/index.ts';
import { TranslationError, translationError } from './errors.ts';
import { formatType, parseField, parseParam, parseType, type FieldExpr, type TypeExpr } from './type-syntax.ts';

/** A record field as declared: `"b: string &optional"` or `{ name, type, optional }`. */
export type FieldDeclaration = string | { name: string; type: string; optional?: boolean | undefined };
/** An enum name, or `[name, value]` for an explicit value. Unqualified names get the type's module. */
export type EnumNameDeclaration = string | readonly [string, number];

export interface TypeDeclarations {
  records?: Readonly<Record<string, readonly FieldDeclaration[]>> | undefined;
  enums?: Readonly<Record<string, readonly EnumNameDeclaration[]>> | undefined;
  /** Event name -> parameter types (`"count"` or `"n: count"`). */
  events?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** A bad declaration; `path` locates it inside the `types` config section. */
export class TypeDeclarationError extends TranslationError {
  readonly path: readonly (string | number)[];
  constructor(path: readonly (string | number)[], message: string, cause?: unknown) {
    super('unknown_type', message, { field: ['types', ...path].join('.'), ...(cause !== undefined ? { cause } : {}) });
    this.path = path;
  }
}

function moduleOf(name: string): string {
  const i = name.lastIndexOf('::');
  return i < 0 ? '' : name.slice(0, i + 2);
}

export class TypeRegistry {
  private readonly records = new Map<string, RecordType>();
  private readonly enums = new Map<string, EnumType>();
  private readonly events = new Map<string, readonly BroType[]>();
  /** Fully qualified enum name -> its declared type. */
  private readonly enumNames = new Map<string, EnumType>();
  /** Shared composite types by their canonical text. */
  private readonly composites = new Map<string, BroType>();

  /** Builds the registry; throws TranslationError `unknown_type` (field = where) for bad declarations. */
  static from(decl: TypeDeclarations = {}): TypeRegistry {
    const reg = new TypeRegistry();
    for (const [name, names] of Object.entries(decl.enums ?? {})) reg.declareEnum(name, names);
    const pending: [RecordType, FieldExpr[], string][] = [];
    for (const [name, fields] of Object.entries(decl.records ?? {})) {
      const exprs = fields.map((f, i) =>
        wrapSyntax(['records', name, i], () =>
          typeof f === 'string' ? parseField(f) : { name: f.name, type: parseType(f.type), optional: f.optional === true },
        ),
      );
      if (reg.enums.has(name)) throw new TypeDeclarationError(['records', name], `${name} is declared as both enum and record`);
      const names = new Set<string>();
      exprs.forEach((f, i) => {
        if (names.has(f.name)) throw new TypeDeclarationError(['records', name, i], `field ${f.name} of ${name} is declared twice`);
        names.add(f.name);
      });
      const rt = recordType(name, []);
      reg.records.set(name, rt);
      pending.push([rt, exprs, name]);
    }
    // Fields are resolved once every record exists, so records may refer to each other in any order.
    for (const [rt, exprs, name] of pending) {
      const fields = exprs.map((f, i) => ({ name: f.name, type: reg.resolveAt(f.type, ['records', name, i]), optional: f.optional }));
      const built = recordType(rt.name, fields);
      rt.fields = built.fields;
      rt.numFields = built.numFields;
    }
    for (const [name, params] of Object.entries(decl.events ?? {})) {
      reg.events.set(
        name,
        params.map((p, i) => reg.resolveAt(wrapSyntax(['events', name, i], () => parseParam(p).type), ['events', name, i])),
      );
    }
    return reg;
  }

  private declareEnum(name: string, names: readonly EnumNameDeclaration[]): void {
    const mod = moduleOf(name);
    const qualified = names.map((n): string | [string, Int64] => {
      const [text, value] = typeof n === 'string' ? [n, undefined] : [n[0], n[1]];
      const full = text.includes('::') || mod === '' ? text : `${mod}${text}`;
      return value === undefined ? full : [full, value];
    });
    if (new Set(qualified.map((q) => (typeof q === 'string' ? q : q[0]))).size !== qualified.length) {
      throw new TypeDeclarationError(['enums', name], `enum ${name} declares a name twice`);
    }
    const et = enumType(name, qualified);
    this.enums.set(name, et);
    for (const n of et.names) this.enumNames.set(n.name, et);
  }

  private resolveAt(expr: TypeExpr, path: readonly (string | number)[]): BroType {
    try {
      return this.resolve(expr);
    } catch (err) {
      if (err instanceof TranslationError) throw new TypeDeclarationError(path, err.message, err);
      throw err;
    }
  }

  /** The legacy type object for a parsed expression (shared objects for equal expressions). */
  resolve(expr: TypeExpr): BroType {
    switch (expr.kind) {
      case 'basic':
        return BASE[expr.tag];
      case 'record': {
        const rt = this.records.get(expr.name);
        if (rt === undefined) throw translationError('unknown_type', `record ${expr.name} is not declared`);
        return rt;
      }
      case 'enum': {
        const et = this.enums.get(expr.name);
        if (et === undefined) throw translationError('unknown_type', `enum ${expr.name} is not declared`);
        return et;
      }
      case 'named': {
        const t = this.records.get(expr.name) ?? this.enums.get(expr.name);
        if (t === undefined) throw translationError('unknown_type', `type ${expr.name} is not declared`);
        return t;
      }
      default:
        return this.composite(formatType(expr), () => {
          switch (expr.kind) {
            case 'set':
              return setType(expr.indices.map((t) => this.resolve(t)));
            case 'table':
              return tableType(
                expr.indices.map((t) => this.resolve(t)),
                this.resolve(expr.yield),
              );
            case 'vector':
              return vectorType(this.resolve(expr.yield));
            case 'inline_record':
              return recordType(
                '',
                expr.fields.map((f) => ({ name: f.name, type: this.resolve(f.type), optional: f.optional })),
              );
          }
        });
    }
  }

  /** Parses and resolves a type string. */
  type(text: string): BroType {
    return this.resolve(parseType(text));
  }

  private composite(key: string, make: () => BroType): BroType {
    let t = this.composites.get(key);
    if (t === undefined) this.composites.set(key, (t = make()));
    return t;
  }

  /** Shared `set[...]` type for inferred values. */
  setOf(indices: readonly BroType[]): BroType {
    return this.composite(`set[${indices.map(typeName).join(', ')}]`, () => setType([...indices]));
  }

  tableOf(indices: readonly BroType[], yieldType: BroType): BroType {
    return this.composite(`table[${indices.map(typeName).join(', ')}] of ${typeName(yieldType)}`, () => tableType([...indices], yieldType));
  }

  vectorOf(yieldType: BroType): BroType {
    return this.composite(`vector of ${typeName(yieldType)}`, () => vectorType(yieldType));
  }

  /** An anonymous enum type holding just `name` (for enum values no declaration knows). */
  adHocEnum(name: string): EnumType {
    return this.composite(`enum ${name}`, () => enumType('', [name])) as EnumType;
  }

  record(name: string): RecordType | undefined {
    return this.records.get(name);
  }

  enum(name: string): EnumType | undefined {
    return this.enums.get(name);
  }

  /** The declared enum type that has this fully qualified name (`FX::GREEN` -> FX::Color). */
  enumOfName(name: string): EnumType | undefined {
    return this.enumNames.get(name);
  }

  /** Parameter types of an event, if declared. */
  event(name: string): readonly BroType[] | undefined {
    return this.events.get(name);
  }

  get eventNames(): string[] {
    return [...this.events.keys()];
  }

  /** A type sent by name only (Broccoli) resolved to its declaration, else the type itself. */
  full(t: BroType): FullType | undefined {
    if (t.kind !== 'byname') return t;
    return this.records.get(t.name) ?? this.enums.get(t.name);
  }
}

function wrapSyntax<T>(path: readonly (string | number)[], f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new TypeDeclarationError(path, err instanceof Error ? err.message : String(err), err);
  }
}
