import { Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainException } from './domain.exception.js';

/** A UUID route parameter; anything else is VALIDATION_FAILED, never a 500 from the database. */
export const UuidParam = (name = 'id'): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        DomainException.validation(`${name}: must be a UUID`, [{ field: name, errors: [`${name} must be a UUID`] }]),
    }),
  );

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
