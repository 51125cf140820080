// The React hooks of @realtime-hub/client/react, rendered with react-test-renderer against the real app (it works
// on React 19 and says it is deprecated; a DOM renderer would need jsdom, which has no fetch for the REST half).
import { createClient, type MessagePayload, type RealtimeClient, Stream } from '@realtime-hub/client';
import { useConnectionState, useConversation, useStreamValue } from '@realtime-hub/client/react';
import { createElement, useMemo } from 'react';
import { create, type ReactTestRenderer } from 'react-test-renderer';
import { type TestApp, startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/client.js';
import { createUsers } from '../helpers/factories.js';
import { client as httpClient } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';

// Updates come from sockets, never inside act(): React schedules them as in a browser.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;

function Chat({ hub, conversationId }: { hub: RealtimeClient; conversationId: string }) {
  const state = useConnectionState(hub);
  const unreadStream = useMemo(() => hub.unreadCount(), [hub]);
  const unread = useStreamValue(unreadStream, -1);
  const { messages, send } = useConversation(hub, conversationId, { afterSeq: 0 });
  return createElement(
    'section',
    null,
    createElement('p', { id: 'state' }, state),
    createElement('p', { id: 'unread' }, String(unread)),
    createElement('ol', null, ...messages.map((m) => createElement('li', { key: m.id }, m.body))),
    createElement('button', { id: 'send', onClick: () => void send('from the button') }, 'Send'),
  );
}

describeE2E('Client SDK React hooks', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startApp();
  });
  afterAll(() => sut.close());

  it('should render the connection state, a conversation live and what the Send button sends', async () => {
    const [alice, bob] = await createUsers(sut, 2, 'React');
    const api = httpClient(sut.url);
    const conversationId = (
      await api.post('/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } })
    ).body.id as string;
    const hub = createClient({ url: sut.url, getToken: () => bob.token, transports: ['websocket'] });
    let renderer: ReactTestRenderer | undefined;
    try {
      renderer = create(createElement(Chat, { hub, conversationId }));
      const text = (id: string) => renderer!.root.findByProps({ id }).children.join('');
      const items = () => renderer!.root.findAllByType('li').map((li) => li.children.join(''));

      const mounted = () => {
        try {
          return renderer!.root !== undefined;
        } catch {
          return false; // the first render is not committed yet
        }
      };
      await waitUntil(mounted, 'the first render');
      await waitUntil(() => text('state') === 'online', 'the component shows online');
      await waitUntil(() => text('unread') === '0', 'the unread count is loaded');
      await api.post(`/api/v1/conversations/${conversationId}/messages`, { token: alice.token, body: { body: 'hi' } });
      await waitUntil(() => items().length === 1, 'the message is rendered');
      renderer!.root.findByProps({ id: 'send' }).props.onClick();
      await waitUntil(() => items().length === 2, 'the sent message is rendered');

      expect(items()).toEqual(['hi', 'from the button']);
      const stored = await api.get(`/api/v1/conversations/${conversationId}/messages`, { token: alice.token });
      expect(stored.body.items.map((m: { body: string; senderId: string }) => [m.body, m.senderId])).toEqual([
        ['hi', alice.id],
        ['from the button', bob.id],
      ]);
    } finally {
      renderer?.unmount();
      hub.close();
    }
  }, 30_000);

  it('should never show one conversation’s messages, or one stream’s value, under another after a switch', async () => {
    // An app that marks read what it shows (`messages.read(conversationId, last.seq)` when the messages change) would
    // mark the new conversation read up to a seq of the old one if a render paired them.
    const [alice, bob] = await createUsers(sut, 2, 'Switch');
    const api = httpClient(sut.url);
    const conversation = async (title: string) => {
      const res = await api.post('/api/v1/conversations', {
        token: alice.token,
        body: { memberIds: [bob.id], title },
      });
      await api.post(`/api/v1/conversations/${res.body.id}/messages`, { token: alice.token, body: { body: title } });
      return res.body.id as string;
    };
    const first = await conversation('first');
    const second = await conversation('second');
    const hub = createClient({ url: sut.url, getToken: () => bob.token, transports: ['websocket'] });
    const renders: Array<[string, string[]]> = [];
    const values: string[] = [];
    function Panel({ conversationId, label }: { conversationId: string; label: Stream<string> }) {
      const { messages } = useConversation(hub, conversationId, { afterSeq: 0 });
      renders.push([conversationId, messages.map((m: MessagePayload) => m.conversationId)]);
      values.push(useStreamValue(label, 'none'));
      return createElement('p', null, messages.map((m: MessagePayload) => m.body).join());
    }
    const labelled = new Stream<string>((stream) => stream.next('first label'), true);
    const unlabelled = new Stream<string>();
    let renderer: ReactTestRenderer | undefined;
    try {
      renderer = create(createElement(Panel, { conversationId: first, label: labelled }));
      await waitUntil(() => renders.some(([, ids]) => ids.length === 1), 'the first conversation rendered');
      renderer.update(createElement(Panel, { conversationId: second, label: unlabelled }));
      await waitUntil(() => renders.some(([id, ids]) => id === second && ids.length === 1), 'the second rendered');
      expect(renders.filter(([id, ids]) => ids.some((of) => of !== id))).toEqual([]);
      expect(values.slice(renders.findIndex(([id]) => id === second))).toEqual(
        expect.not.arrayContaining(['first label']),
      );
    } finally {
      renderer?.unmount();
      hub.close();
    }
  }, 30_000);
});
