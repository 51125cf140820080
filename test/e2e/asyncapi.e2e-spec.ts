// The socket contract served as AsyncAPI 3, generated from @realtime-hub/protocol, checked by @asyncapi/parser.
import { CLIENT_EVENT_NAMES, SERVER_EVENT_NAMES } from '@realtime-hub/protocol';
import { createRequire } from 'node:module';
import { type TestApp, startApp } from '../helpers/app.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';

// The parser's ESM build is not loadable by Node (extensionless imports): its CommonJS build is.
const { Parser } = createRequire(import.meta.url)('@asyncapi/parser') as typeof import('@asyncapi/parser');

describeE2E('AsyncAPI document', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startApp();
  });
  afterAll(() => sut.close());

  it('should serve an AsyncAPI 3 document that the parser accepts without errors', async () => {
    const res = await client(sut.url).get('/asyncapi.json');
    expect(res.status).toBe(200);
    expect(res.body.asyncapi).toMatch(/^3\./);
    const { document, diagnostics } = await new Parser().parse(res.body);
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
  }, 60_000);

  it('should hold every event of both event maps, with DTO schemas where a DTO exists', async () => {
    const doc = (await client(sut.url).get('/asyncapi.json')).body;
    const names = Object.values<{ name: string }>(doc.components.messages).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining([...SERVER_EVENT_NAMES, ...CLIENT_EVENT_NAMES]));
    expect(doc.components.messages.notification.payload).toEqual({ $ref: '#/components/schemas/NotificationDto' });
    expect(doc.components.schemas.NotificationDto.properties.seq).toBeDefined();
    expect(doc.components.schemas.WsSendMessageDto.properties.conversationId).toMatchObject({ format: 'uuid' });
    expect(doc.channels.conversation.address).toBe('conversation:{id}');
    expect(Object.keys(doc.channels.conversation.messages)).toEqual(
      expect.arrayContaining(['message_new', 'typing', 'message_read', 'conversation_members']),
    );
  });

  it('should describe null as JSON Schema does (no OpenAPI nullable), and every acknowledgement with its data', async () => {
    const doc = (await client(sut.url).get('/asyncapi.json')).body;
    // AsyncAPI 3's payloads are JSON Schema, which has no `nullable`: a client validating a notification whose readAt is
    // null refused it.
    expect(JSON.stringify(doc)).not.toContain('"nullable"');
    expect(doc.components.schemas.NotificationDto.properties.readAt.type).toEqual(['string', 'null']);
    const ackData = (event: string) =>
      doc.components.messages[`client.${event.replace(/:/g, '_')}.ack`].payload.oneOf[0];
    expect(ackData('subscribe').properties.data.required).toEqual(['channel']);
    expect(ackData('unsubscribe').properties.data.required).toEqual(['channel']);
    expect(ackData('auth:refresh').properties.data.properties.expiresAt).toMatchObject({ format: 'date-time' });
  });

  it('should render the document for people at /asyncapi', async () => {
    const res = await client(sut.url).get('/asyncapi');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    for (const event of [...SERVER_EVENT_NAMES, ...CLIENT_EVENT_NAMES])
      expect(res.body).toContain(`<code>${event}</code>`);
  });
});
