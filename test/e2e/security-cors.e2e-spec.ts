// Attack: a page on any site calling the API with the visitor's credentials. With CORS_ORIGINS=* no response
// (REST or the Socket.IO polling transport) allows credentials; listed origins get them, others get nothing.
import { type TestApp, startApp } from '../helpers/app.js';
import { describeE2E } from '../helpers/mode.js';

const EVIL = 'https://evil.example';
const APP = 'https://app.example';

function request(app: TestApp, path: string, origin: string, method = 'GET'): Promise<Response> {
  const headers: Record<string, string> = { origin };
  if (method === 'OPTIONS') {
    headers['access-control-request-method'] = 'POST';
    headers['access-control-request-headers'] = 'authorization, content-type';
  }
  return fetch(`${app.url}${path}`, { method, headers });
}

const PATHS = ['/api/v1/health', '/socket.io/?EIO=4&transport=polling'];

describeE2E('Security: CORS', () => {
  describe('CORS_ORIGINS=* (the default)', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp();
    });
    afterAll(() => sut.close());

    it.each(PATHS)('should never allow credentials on %s, in a request or a preflight', async (path) => {
      for (const method of ['GET', 'OPTIONS']) {
        const res = await request(sut, path, EVIL, method);
        await res.arrayBuffer();
        expect({ method, credentials: res.headers.get('access-control-allow-credentials') }).toEqual({
          method,
          credentials: null,
        });
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
      }
    });
  });

  describe('CORS_ORIGINS=<list>', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({ CORS_ORIGINS: APP });
    });
    afterAll(() => sut.close());

    it.each(PATHS)('should allow a listed origin with credentials on %s, and no other origin', async (path) => {
      const listed = await request(sut, path, APP);
      await listed.arrayBuffer();
      expect(listed.headers.get('access-control-allow-origin')).toBe(APP);
      expect(listed.headers.get('access-control-allow-credentials')).toBe('true');
      const other = await request(sut, path, EVIL);
      await other.arrayBuffer();
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect(other.headers.get('access-control-allow-credentials')).not.toBe('true');
    });
  });
});
