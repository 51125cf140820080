// UUIDs from clients, in one form. Postgres compares UUIDs whatever their case, but ids also name rooms, channels and
// map keys, where `8F2C…` and `8f2c…` differ: an upper-case id that passed a membership check would address a room
// nobody is in. So every id a client sends is checked as a UUID and lower-cased, as Postgres writes them, before any
// handler sees it.
import { applyDecorators, Param, ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';
import { DomainException } from './domain.exception.js';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const lowerCased = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);

const toLowerCase: PipeTransform<string, string> = { transform: (value) => value.toLowerCase() };

/** A UUID route parameter, lower-cased; anything else is VALIDATION_FAILED, never a 500 from the database. */
export const UuidParam = (name = 'id'): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        DomainException.validation(`${name}: must be a UUID`, [{ field: name, errors: [`${name} must be a UUID`] }]),
    }),
    toLowerCase,
  );

/** A DTO field holding a UUID (or, with `each`, an array of them), lower-cased before it is validated. */
export const IsUuid = (options: { each?: boolean } = {}): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map(lowerCased) : lowerCased(value))),
    IsUUID(undefined, options),
  );
