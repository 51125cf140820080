import { applyDecorators, UseFilters, UseInterceptors } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { ExceptionsFilter } from '../common/exceptions.filter.js';
import { WsAckInterceptor } from './ws-ack.interceptor.js';

/**
 * Every gateway of the app: the default namespace, the interceptor that wraps a handler's answer in the `{ok: true,
 * data}` acknowledgement, and the exception filter that answers `{ok: false, error}` (Nest applies no global filters
 * to gateways). The interceptor is here rather than global so that REST requests do not pass through an
 * interceptor pipeline that has nothing to do for them.
 */
export const RealtimeGateway = (): ClassDecorator =>
  applyDecorators(WebSocketGateway(), UseInterceptors(WsAckInterceptor), UseFilters(ExceptionsFilter));
