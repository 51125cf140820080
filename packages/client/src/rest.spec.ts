import { createRestClient, RestTimeout } from './rest.js';

const auth = { token: async () => 'token', renew: async () => undefined };

describe(createRestClient.name, () => {
  it('should fail a request that gets no answer within its time, as a network error', async () => {
    let seen: AbortSignal | undefined;
    // A connection that never answers, but gives up when its request is aborted, as fetch does.
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        seen = init?.signal ?? undefined;
        seen?.addEventListener('abort', () => reject(seen?.reason));
      });
    const rest = createRestClient('http://example.test', auth, hanging, 50);
    const started = Date.now();
    await expect(rest.GET('/api/v1/health')).rejects.toBeInstanceOf(RestTimeout);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(seen?.aborted).toBe(true);
  });

  it('should leave an answer that comes in time alone, with the bearer token', async () => {
    let authorization: string | null = null;
    const answering: typeof fetch = async (input) => {
      authorization = (input as Request).headers.get('authorization');
      return new Response(JSON.stringify({ status: 'ok' }), { headers: { 'content-type': 'application/json' } });
    };
    const rest = createRestClient('http://example.test', auth, answering, 50);
    const { data } = await rest.GET('/api/v1/health');
    expect(data).toEqual({ status: 'ok' });
    expect(authorization).toBe('Bearer token');
  });
});
