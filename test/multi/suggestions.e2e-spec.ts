import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { connect, emitAck, waitFor } from '../helpers/sockets.js';

describeMultiInstance('Suggestions across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should deliver a vote made on A to a subscriber on B', async () => {
    const author = await registerUser(a, 'Author A');
    const watcher = await registerUser(b, 'Watcher B');
    const socket = await connect(b.url, watcher.token);
    await emitAck(socket, 'subscribe:suggestions', {});
    const created = waitFor(socket, 'suggestion:created');
    const s = (
      await client(a.url).post('/api/v1/suggestions', { token: author.token, body: { title: 'Across instances' } })
    ).body;
    expect((await created).id).toBe(s.id);
    const vote = waitFor(socket, 'suggestion:vote', (p) => p.suggestionId === s.id);
    await client(a.url).put(`/api/v1/suggestions/${s.id}/vote`, { token: watcher.token, body: { value: 1 } });
    expect(await vote).toEqual({ suggestionId: s.id, upvotes: 1, downvotes: 0, score: 1, version: 2 });
  });
});
