// The config's `types` section: the legacy types Broker values are translated into.
//
//   "types": {
//     "records": { "FX::Inner": ["a: count", "b: string &optional"] },
//     "enums":   { "FX::Color": ["RED", "GREEN", ["BLUE", 2]] },
//     "events":  { "FX::fx_record": ["r: FX::Inner"], "FX::fx_table2": ["table[addr, port] of string"] }
//   }
//
// Unqualified enum names get the enum type's module (RED in FX::Color is FX::RED), as in Zeek.
import { z } from 'zod';
import { TypeDeclarationError, TypeRegistry } from './type-registry.ts';

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/, 'not a Zeek identifier');

const fieldSchema = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a field name'), type: z.string().min(1), optional: z.boolean().optional() }),
]);

export const typesConfigSchema = z
  .strictObject({
    records: z.record(name, z.array(fieldSchema)).default({}),
    enums: z.record(name, z.array(z.union([z.string().min(1), z.tuple([z.string().min(1), z.number().int()])]))).default({}),
    events: z.record(name, z.array(z.string().min(1))).default({}),
  })
  .superRefine((c, ctx) => {
    try {
      TypeRegistry.from(c);
    } catch (err) {
      if (!(err instanceof TypeDeclarationError)) throw err;
      ctx.addIssue({ code: 'custom', path: [...err.path], message: err.message });
    }
  });

export type TypesConfigInput = z.input<typeof typesConfigSchema>;
export type TypesConfig = z.output<typeof typesConfigSchema>;

/** Validates a `types` section and builds its registry (throws a ZodError naming path and rule). */
export function typeRegistryFromConfig(input: TypesConfigInput = {}): TypeRegistry {
  return TypeRegistry.from(typesConfigSchema.parse(input));
}
