// @realtime-hub/protocol: the wire contract shared by the server and every client. No runtime dependencies.
export * from './ack.js';
export * from './channels.js';
export * from './errors.js';
export * from './events.js';
export type * from './payloads.js';
export * from './asyncapi.js';
