import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { connect, emitAck, waitFor } from '../helpers/sockets.js';

describeMultiInstance('Notifications across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should deliver a notification created through A to a device on B, and keep devices on both in step', async () => {
    const admin = await loginAdmin(a);
    const user = await registerUser(b, 'Two Instances');
    const onA = await connect(a.url, user.token);
    const onB = await connect(b.url, user.token);

    const received = waitFor(onB, 'notification');
    const countedB = waitFor(onB, 'notifications:unread', (p) => p.count === 1);
    const countedA = waitFor(onA, 'notifications:unread', (p) => p.count === 1);
    const res = await client(a.url).post('/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [user.id], type: 'test.cluster', title: 'Made on A', data: { via: 'A' } },
    });
    expect(res.status).toBe(201);
    const [created] = res.body.items;
    expect(await received).toEqual(created);
    await Promise.all([countedA, countedB]);

    const clearedA = waitFor(onA, 'notifications:unread', (p) => p.count === 0);
    const clearedB = waitFor(onB, 'notifications:unread', (p) => p.count === 0);
    expect(await emitAck(onB, 'notification:read', { id: created.id })).toEqual({ ok: true, data: { unreadCount: 0 } });
    await Promise.all([clearedA, clearedB]);

    const resync = await client(a.url).get('/api/v1/notifications?afterSeq=0', { token: user.token });
    expect(resync.body.items).toEqual([{ ...created, readAt: expect.any(String) }]);
  });

  it('should give concurrent creations through both instances distinct consecutive seqs', async () => {
    const admin = await loginAdmin(a);
    const user = await registerUser(a, 'Concurrent');
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        client(i % 2 === 0 ? a.url : b.url).post('/api/v1/notifications', {
          token: admin.token,
          body: { userIds: [user.id], type: 'test.cluster', title: `N${i}` },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(201));
    const seqs = responses.map((r) => r.body.items[0].seq as number).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const count = await client(b.url).get('/api/v1/notifications/unread-count', { token: user.token });
    expect(count.body).toEqual({ count: 40, version: 40 });
  });
});
