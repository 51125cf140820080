// Reads a resource body without class-transformer: `data` is arbitrary JSON that must reach merge-patch as
// sent. The global pipe would rebuild it member by member, silently drop names such as `constructor` or
// `__proto__`, and overflow the stack on deep nesting (a 500); here it is only checked, iteratively.
import { createParamDecorator, type ExecutionContext, Injectable, type PipeTransform } from '@nestjs/common';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { DomainException } from '../common/domain.exception.js';
import { flattenValidationErrors } from '../common/validation.js';
import { isJsonObject } from './merge-patch.js';
import { assertStorableJson } from './resource-data.js';

/** The fields a resource body may carry; anything else is ignored (stripped), as everywhere in the API. */
const FIELDS = ['name', 'visibility', 'data'] as const;

@Injectable()
export class ResourceBodyPipe<T extends object> implements PipeTransform<unknown, Promise<T>> {
  constructor(private readonly dto: new () => T) {}

  async transform(body: unknown): Promise<T> {
    if (!isJsonObject(body)) throw DomainException.validation('The payload must be a JSON object');
    const instance = new this.dto() as Record<string, unknown>;
    for (const field of FIELDS) {
      if (!Object.hasOwn(body, field)) continue;
      const value = body[field];
      instance[field] = field === 'name' && typeof value === 'string' ? value.trim() : value;
    }
    // Without class-transformer nothing is nested: class-validator only looks at the three fields' values.
    const errors = await validate(instance, { forbidUnknownValues: true, validationError: { target: false } });
    const details = flattenValidationErrors(errors);
    if (details.length > 0) {
      throw DomainException.validation(details.map((d) => `${d.field}: ${d.errors.join(', ')}`).join('; '), details);
    }
    if (instance.data !== undefined) assertStorableJson(instance.data);
    return instance as T;
  }
}

const RequestBody = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<Request>().body,
);

/**
 * The request body validated as `dto` by ResourceBodyPipe. A custom parameter, so the global validation
 * pipe (which skips custom decorators) leaves `data` alone.
 */
export const ResourceBody = <T extends object>(dto: new () => T): ParameterDecorator =>
  RequestBody(undefined, new ResourceBodyPipe(dto));
