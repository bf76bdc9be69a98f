import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { parseInput } from '../solve/problem.schemas';

/**
 * Validates a handler argument (`@Body(new ZodValidationPipe(schema))`) with the zod schema that
 * is also the OpenAPI document's: a value that does not match is a 400 INVALID_ARGUMENT naming
 * every issue; one that does reaches the handler parsed (defaults applied, types narrowed).
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  /** @param what how the message names the value (default: `request`). */
  constructor(
    private readonly schema: S,
    private readonly what = 'request',
  ) {}

  transform(value: unknown): z.output<S> {
    return parseInput(this.schema, value, this.what);
  }
}
