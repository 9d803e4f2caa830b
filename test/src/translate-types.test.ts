// Zeek type strings, the `types` config section and the registry built from it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { typeName, type EnumType, type RecordType } from '../../legacy/codec/index.ts';
import { formatType, parseField, parseParam, parseType, TypeSyntaxError } from '../../src/translate/type-syntax.ts';
import { typeRegistryFromConfig, typesConfigSchema } from '../../src/translate/type-config.ts';
import { FX_TYPES } from './translate-helpers.ts';

test('type strings parse and print back canonically', () => {
  const cases = [
    'count',
    'set[string]',
    'table[addr, port] of string',
    'vector of count',
    'vector of vector of string',
    'record FX::Inner',
    'enum FX::Color',
    'FX::Inner',
    'table[count] of set[subnet]',
    'record { a: count; b: string &optional; }',
  ];
  for (const c of cases) assert.is(formatType(parseType(c)), c);
  assert.is(formatType(parseType('  table [ addr ,port ]  of  string ')), 'table[addr, port] of string');
});

test('syntax errors name the offset', () => {
  for (const [text, at] of [
    ['set[string', 10],
    ['table[string] count', 14],
    ['vector count', 7],
    ['count count', 6],
    ['set[]', 4],
    ['re cord', 3],
    ['$', 0],
  ] as const) {
    let err: unknown;
    try {
      parseType(text);
    } catch (e) {
      err = e;
    }
    assert.instance(err, TypeSyntaxError, text);
    assert.is((err as TypeSyntaxError).offset, at, text);
  }
});

test('parameters and fields may be named', () => {
  assert.equal(parseParam('n: count'), { name: 'n', type: { kind: 'basic', tag: 'count' } });
  assert.equal(parseParam('FX::Inner'), { type: { kind: 'named', name: 'FX::Inner' } });
  assert.equal(parseParam('r: FX::Inner').name, 'r');
  assert.equal(parseField('b: string &optional &log'), { name: 'b', type: { kind: 'basic', tag: 'string' }, optional: true });
});

test('the registry builds named records, qualified enums and event signatures', () => {
  const reg = typeRegistryFromConfig(FX_TYPES);
  const outer = reg.record('FX::Outer') as RecordType;
  assert.equal(outer.fields?.map((f) => `${f.name}:${typeName(f.type)}`), [
    'name:string',
    'inner:FX::Inner',
    'tags:set[string]',
    'nums:vector of count',
    'stamp:time',
    'maybe:addr',
  ]);
  assert.is(outer.fields?.[1]?.type, reg.record('FX::Inner'));
  assert.equal(outer.fields?.[5]?.attrs?.attrs, [{ tag: 0 }]);
  const color = reg.enum('FX::Color') as EnumType;
  assert.equal(color.names.map((n) => [n.name, n.value]), [['FX::BLUE', 2], ['FX::GREEN', 1], ['FX::RED', 0]]);
  assert.is(reg.enumOfName('FX::GREEN'), color);
  assert.equal(reg.event('FX::fx_multi')?.map(typeName), ['FX::Inner', 'FX::Inner', 'FX::Color', 'FX::Color']);
  // Equal type expressions share one object (the sender cache sends it once).
  assert.is(reg.type('set[string]'), reg.type('set[ string ]'));
  assert.is(reg.event('FX::fx_table2')?.[0], reg.type('table[addr, port] of string'));
});

test('records may refer to records declared later; explicit enum values are kept', () => {
  const reg = typeRegistryFromConfig({
    records: { 'A::Outer': ['i: A::Inner'], 'A::Inner': ['x: count'] },
    enums: { 'A::E': [['ONE', 1], 'TWO', 'Other::THREE'] },
  });
  assert.is(reg.record('A::Outer')?.fields?.[0]?.type, reg.record('A::Inner'));
  assert.equal(reg.enum('A::E')?.names.map((n) => [n.name, n.value]), [['A::ONE', 1], ['A::TWO', 2], ['Other::THREE', 3]]);
});

function issues(input: unknown): { path: (string | number)[]; message: string }[] {
  const r = typesConfigSchema.safeParse(input);
  assert.not.ok(r.success);
  return (r.error as ZodError).issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
}

test('config errors name the path and the rule', () => {
  let i = issues({ events: { 'X::e': ['count', 'set[strin'] } });
  assert.equal(i[0]?.path, ['events', 'X::e', 1]);
  assert.match(i[0]!.message, /expected/);
  i = issues({ records: { 'X::R': ['a: X::Missing'] } });
  assert.equal(i[0]?.path, ['records', 'X::R', 0]);
  assert.match(i[0]!.message, /X::Missing is not declared/);
  i = issues({ records: { 'X::R': ['a: count', 'a: string'] } });
  assert.match(i[0]!.message, /declared twice/);
  i = issues({ enums: { 'bad name': ['A'] } });
  assert.equal(i[0]?.path, ['enums', 'bad name']);
  i = issues({ typos: {} });
  assert.ok(i.length > 0);
  i = issues({ enums: { 'X::E': ['A', 'X::A'] } });
  assert.match(i[0]!.message, /twice/);
});

test.run();
