// What every route of the OpenAPI document shares, written once rather than on each controller: the error envelope's
// schema on every error response, and the errors the global layers answer on any route they apply to (validation of
// bodies, queries and ids; the bearer guard; a missing row; a dependency down). Controllers document only the errors
// of their own rules (409 VERSION_CONFLICT, 429 on login...).
import type { OpenAPIObject } from '@nestjs/swagger';
import { ErrorCode } from './error-codes.js';

type Operation = {
  parameters?: Array<{ name: string; in: string; schema?: Record<string, unknown> }>;
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
};

const ERROR_BODY = 'ErrorBody';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The envelope of every REST error (CONTRACT.md, Conventions). */
const errorBodySchema = {
  type: 'object',
  required: ['statusCode', 'code', 'message', 'details'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    code: { type: 'string', enum: Object.values(ErrorCode) },
    message: { type: 'string' },
    details: {
      description:
        'VALIDATION_FAILED: the list of field errors `[{field, errors}]`; elsewhere an object: what the error has to ' +
        'add (e.g. `{currentVersion}` with VERSION_CONFLICT), else empty',
    },
    correlationId: { type: 'string', description: 'The request id, also in the logs (5xx)' },
  },
};

/** Errors a route answers because of what it has: a request to validate, a bearer token, an id in its path. */
function sharedErrors(path: string, operation: Operation): Record<string, string> {
  const errors: Record<string, string> = {};
  const validated = operation.requestBody !== undefined || (operation.parameters ?? []).length > 0;
  if (validated) errors['400'] = '`VALIDATION_FAILED`: the body, a query parameter or an id is not valid';
  if ((operation.security ?? []).length > 0) {
    errors['401'] = '`UNAUTHORIZED` (no, bad or revoked token) or `TOKEN_EXPIRED`';
    errors['403'] = "`FORBIDDEN`: the token's role may not use the route, or the caller may not act on this";
  }
  if (/\{[^}]+\}/.test(path)) errors['404'] = '`NOT_FOUND`: nothing has this id (or the caller may not see it)';
  errors['503'] = '`SERVICE_UNAVAILABLE`: Postgres or Redis unreachable, or the instance shutting down; retry';
  return errors;
}

/**
 * Completes the document in place: the ErrorBody schema, referenced by every 4xx/5xx response; the shared errors
 * each route can answer where the controller did not list them; `format: uuid` on path ids (every id is a UUID).
 */
export function completeOpenApi(document: OpenAPIObject): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = { ...document.components.schemas, [ERROR_BODY]: errorBodySchema };
  const errorContent = { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_BODY}` } } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      for (const [status, description] of Object.entries(sharedErrors(path, operation))) {
        operation.responses[status] ??= { description };
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !response.content) response.content = errorContent;
      }
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'path' && /^(id|\w+Id)$/.test(parameter.name)) {
          parameter.schema = { ...parameter.schema, type: 'string', format: 'uuid' };
        }
      }
    }
  }
  return document;
}
