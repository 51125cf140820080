// What a person sees first: paths nothing serves answer the JSON error envelope, never Express's HTML "Cannot GET",
// and the web app's own routes answer its index.html.
import { findWebDist } from '../../src/web/web.module.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { http } from '../helpers/http.js';

const envelope = (method: string, path: string) => ({
  statusCode: 404,
  code: 'NOT_FOUND',
  message: `Cannot ${method} ${path}`,
});

describe('First contact', () => {
  describe('the app', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp();
    }, 60_000);
    afterAll(async () => {
      await app?.close();
    });

    it.each([
      ['GET', '/docs/nothing'],
      ['GET', '/metrics/nothing'],
      ['GET', '/asyncapi/nothing'],
      ['GET', '/assets/missing.js'],
      ['POST', '/nothing'],
      ['DELETE', '/api/v1/nothing'],
    ])('should answer %s %s with the JSON 404 envelope', async (method, path) => {
      const res = await http(app.url, method, path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual(envelope(method, path));
    });

    // web/dist exists once `npm run build` (or the web project's global setup) has run; without it `/` is a 404 too.
    it.each(['/', '/chat/42', '/kiosk'])(
      'should answer %s with the web app, or the envelope when it is not built',
      async (path) => {
        const res = await http(app.url, 'GET', path);
        if (findWebDist()) {
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toMatch(/^text\/html/);
          expect(res.body).toContain('<div id="root">');
        } else {
          expect(res.body).toEqual(envelope('GET', path));
        }
      },
    );

    it('should still serve the API, Swagger UI and the health body documented in docs/operations.md', async () => {
      expect((await http(app.url, 'GET', '/docs')).status).toBe(200);
      const health = await http(app.url, 'GET', '/api/v1/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } }, error: {} });
    });
  });
});
