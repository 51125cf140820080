// One validation pipe for REST and WS: failures become VALIDATION_FAILED with a list of field errors.
import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainException, type FieldError } from './domain.exception.js';

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) out.push({ field, errors: Object.values(error.constraints) });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

/** Payloads nested deeper than this are refused before class-transformer recurses into them. */
export const MAX_PAYLOAD_DEPTH = 64;

/** Nesting depth of a JSON value, measured without recursion (so a hostile payload cannot overflow the stack). */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(current as Record<string, unknown>)) stack.push([child, level]);
  }
  return deepest;
}

/** The global pipe: refuses absurdly deep payloads with VALIDATION_FAILED, then validates as usual. */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Custom parameter decorators (resource bodies) validate their own payloads, depth included.
    if (metadata.type !== 'custom' && jsonDepth(value, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) {
      throw DomainException.validation(`The payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`, [
        { field: metadata.data ?? 'payload', errors: [`must not be nested deeper than ${MAX_PAYLOAD_DEPTH} levels`] },
      ]);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validateCustomDecorators: false,
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      const message = details.length
        ? details.map((d) => `${d.field}: ${d.errors.join(', ')}`).join('; ')
        : 'The payload must be a JSON object';
      return DomainException.validation(message, details);
    },
  });
}
