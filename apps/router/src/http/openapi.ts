import { z } from 'zod';

/**
 * A zod schema as the JSON Schema the OpenAPI document shows: the document is generated from the
 * same schemas that validate requests, so it cannot drift from the code.
 */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
