// The client SDK behind a round-robin proxy in front of two instances: losing the instance a client is on moves it
// to the other with no gap and no duplicate.
import type { MessagePayload, NotificationPayload } from '@realtime-hub/client';
import { startCluster, type TestApp } from '../helpers/app.js';
import { closeAllClients, sdkClient, waitForState, waitUntil } from '../helpers/client.js';
import { createUsers, loginAdmin } from '../helpers/factories.js';
import { client as httpClient } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { sleep } from '../helpers/sockets.js';

describeMultiInstance('Client SDK across instances', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let proxy: TestProxy;

  beforeAll(async () => {
    cluster = await startCluster(2);
    proxy = await startProxy(cluster.instances.map((i) => i.url));
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await proxy.close();
    await cluster.close();
  });

  it('should move to the other instance with no gap when the one it is on stops', async () => {
    const [a, b] = cluster.instances;
    const [alice, bob] = await createUsers(a, 2, 'Failover');
    const admin = await loginAdmin(a);
    const conversation = await httpClient(a.url).post('/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id] },
    });
    const conversationId = conversation.body.id as string;

    const { client, states } = sdkClient(proxy.url, bob.token);
    const messages: MessagePayload[] = [];
    const notifications: NotificationPayload[] = [];
    client.conversationMessages(conversationId).subscribe((m) => messages.push(m));
    client.notifications().subscribe((n) => notifications.push(n));
    await waitForState(client, 'online');
    await sleep(300);
    const victim: TestApp = proxy.upgrades[proxy.upgrades.length - 1] === a.url ? a : b;
    const survivor: TestApp = victim === a ? b : a;

    // Writes go to the survivor the whole time: before, while and after the client's instance goes away.
    let writing = true;
    const bodies: string[] = [];
    const titles: string[] = [];
    const writer = (async () => {
      for (let i = 0; writing; i += 1) {
        const res = await httpClient(survivor.url).post(`/api/v1/conversations/${conversationId}/messages`, {
          token: alice.token,
          body: { body: `m${i}` },
        });
        if (res.status === 201) bodies.push(`m${i}`);
        if (i % 3 === 0) {
          const sent = await httpClient(survivor.url).post('/api/v1/notifications', {
            token: admin.token,
            body: { userIds: [bob.id], type: 'test', title: `n${i}` },
          });
          if (sent.status === 201) titles.push(`n${i}`);
        }
        await sleep(40);
      }
    })();
    await sleep(500);
    await victim.close();
    await waitForState(client, 'reconnecting');
    await waitForState(client, 'online');
    await sleep(800);
    writing = false;
    await writer;

    await waitUntil(() => messages.length >= bodies.length, `${bodies.length} messages (${messages.length})`);
    await waitUntil(() => notifications.length >= titles.length, `${titles.length} notifications`);
    await sleep(300);
    // Enough writes to span the switch (a loaded machine writes fewer in the same time).
    expect(bodies.length).toBeGreaterThan(5);
    expect(messages.map((m) => m.body)).toEqual(bodies);
    expect(messages.map((m) => m.seq)).toEqual(bodies.map((_, i) => i + 1));
    expect(notifications.map((n) => n.title)).toEqual(titles);
    expect(proxy.upgrades[proxy.upgrades.length - 1]).toBe(survivor.url);
    expect(states).toEqual(['connecting', 'online', 'reconnecting', 'online']);
  }, 60_000);
});
