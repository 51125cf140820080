// One validation pipe for REST and WS: failures become VALIDATION_FAILED with a list of field errors.
import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { type ClassConstructor, type ClassTransformOptions, instanceToPlain, plainToInstance } from 'class-transformer';
import { ValidateIf } from 'class-validator';
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

/**
 * An optional field whose `null` is refused rather than read as "absent", as @IsOptional would: for fields stored or
 * published as sent, where a `null` would say something the server did not do.
 */
export const IfPresent = (): PropertyDecorator => ValidateIf((_dto: object, value: unknown) => value !== undefined);

/** The properties each DTO class marks @AsSent. */
const asSentFields = new Map<object, string[]>();
/** Payloads being validated against a class with @AsSent fields, and those fields (see BoundedValidationPipe). */
const sentPayloads = new WeakMap<object, string[]>();

/**
 * A free-form JSON value (a job's item, a notification's data) kept as it was sent, never handed to class-transformer:
 * it would rebuild the value, leave out every key named like a method of Object (`constructor`, `toString`...) at any
 * depth, and throw on an object nested in an array whose `constructor` key holds a string. Read by `plainToDto` and
 * by the global pipe, which also keeps Nest's prototype-key stripping out of it.
 */
export const AsSent =
  (): PropertyDecorator =>
  (prototype: object, key: string | symbol): void => {
    const fields = asSentFields.get(prototype.constructor) ?? [];
    asSentFields.set(prototype.constructor, [...fields, String(key)]);
  };

/** A class's @AsSent fields, its parents' included; worked out once per class (every payload asks). */
const asSentOfClass = new WeakMap<object, string[]>();

function asSentFieldsOf(cls: object): string[] {
  let fields = asSentOfClass.get(cls);
  if (fields) return fields;
  fields = [];
  for (
    let c: object | null = cls;
    c !== null && c !== Function.prototype;
    c = Object.getPrototypeOf(c) as object | null
  ) {
    fields.push(...(asSentFields.get(c) ?? []));
  }
  asSentOfClass.set(cls, fields);
  return fields;
}

/** class-transformer's plainToInstance, with the class's @AsSent fields set as sent instead of transformed. */
export function plainToDto<T>(cls: ClassConstructor<T>, plain: unknown, options?: ClassTransformOptions): T {
  const fields = asSentFieldsOf(cls);
  if (fields.length === 0 || plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    return plainToInstance(cls, plain, options) as T;
  }
  const sent = plain as Record<string, unknown>;
  const rest = { ...sent };
  for (const field of fields) delete rest[field];
  const dto = plainToInstance(cls, rest, options) as Record<string, unknown>;
  for (const field of fields) if (Object.hasOwn(sent, field)) dto[field] = sent[field];
  return dto as T;
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

function isJsonContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Text no field of the contract has a use for and Postgres cannot store: U+0000, and unpaired surrogates (which are
 * not text at all; `validator`'s byte-length checks throw on them). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function unsafeText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'the character U+0000';
  return LONE_SURROGATE.test(text) ? 'an unpaired surrogate' : undefined;
}

export interface UnsafeText {
  /** Where it is: `a.0.b` below `root`, or the key itself when the key is the problem. */
  path: string;
  problem: string;
}

/**
 * The first string (a key or a value, at any depth) holding U+0000 or an unpaired surrogate, or the first number
 * JSON.parse read as Infinity (`1e400`: stored and sent again as JSON, it would silently become null). Iterative,
 * like jsonDepth.
 */
export function findUnsafeText(value: unknown, root = 'payload'): UnsafeText | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const problem = unsafeText(current);
      if (problem) return { path, problem };
      continue;
    }
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path, problem: 'a number out of range' };
      continue;
    }
    // Only parsed JSON (arrays and plain objects): never a socket, request or principal handed to a decorator.
    if (current === null || typeof current !== 'object' || !isJsonContainer(current)) continue;
    for (const [key, child] of Object.entries(current as Record<string, unknown>)) {
      const childPath = path === root && root === '' ? key : `${path}.${key}`;
      const problem = unsafeText(key);
      if (problem) return { path: childPath, problem };
      stack.push([child, childPath]);
    }
  }
  return undefined;
}

/** VALIDATION_FAILED for text found by findUnsafeText; `where` names the field when the path is empty. */
export function unsafeTextError({ path, problem }: UnsafeText, where: string): DomainException {
  const field = path || where;
  return DomainException.validation(`${field}: must not contain ${problem}`, [
    { field, errors: [`${field} must not contain ${problem}`] },
  ]);
}

/**
 * The global pipe, run on every REST body, query and route parameter and every socket payload a handler declares:
 * refuses absurdly deep payloads with VALIDATION_FAILED, then validates as usual. Unsafe text (U+0000, unpaired
 * surrogates) is refused before, for the whole request or payload, declared or not: UnsafeInputMiddleware (REST) and
 * SocketGateways (socket events).
 */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Custom parameter decorators (resource bodies) validate their own payloads, depth included.
    if (metadata.type !== 'custom' && jsonDepth(value, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) {
      throw DomainException.validation(`The payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`, [
        { field: metadata.data ?? 'payload', errors: [`must not be nested deeper than ${MAX_PAYLOAD_DEPTH} levels`] },
      ]);
    }
    const fields = metadata.metatype ? asSentFieldsOf(metadata.metatype) : [];
    if (fields.length > 0 && value !== null && typeof value === 'object') sentPayloads.set(value, fields);
    return super.transform(value, metadata);
  }

  /**
   * Nest deletes `__proto__`, `prototype` and `constructor` keys at any depth of a payload before class-transformer
   * sees it (so that it builds no polluted object); the @AsSent fields are set aside meanwhile: they are stored and
   * sent as JSON and never merged into an object, and a scraped item's `constructor` is data.
   */
  protected override stripProtoKeys(value: unknown): void {
    const fields = value !== null && typeof value === 'object' ? sentPayloads.get(value) : undefined;
    if (!fields) {
      super.stripProtoKeys(value);
      return;
    }
    const payload = value as Record<string, unknown>;
    const kept = fields
      .filter((field) => Object.hasOwn(payload, field))
      .map((field) => [field, payload[field]] as const);
    for (const [field] of kept) delete payload[field];
    super.stripProtoKeys(payload);
    for (const [field, sent] of kept) payload[field] = sent;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validateCustomDecorators: false,
    transformerPackage: { plainToInstance: plainToDto, classToPlain: instanceToPlain },
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      const message = details.length
        ? details.map((d) => `${d.field}: ${d.errors.join(', ')}`).join('; ')
        : 'The payload must be a JSON object';
      return DomainException.validation(message, details);
    },
  });
}
