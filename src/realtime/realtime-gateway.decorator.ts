import { applyDecorators, UseFilters } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { ExceptionsFilter } from '../common/exceptions.filter.js';

/**
 * Every gateway of the app: the default namespace, and the exception filter that answers acknowledgements
 * with `{ok: false, error}` (Nest applies no global filters to gateways, unlike guards, pipes and interceptors).
 */
export const RealtimeGateway = (): ClassDecorator => applyDecorators(WebSocketGateway(), UseFilters(ExceptionsFilter));
