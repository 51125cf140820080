// Attack: a page of another site framing the app to steer an admin's or a kiosk's clicks, a script injected into
// the web app reading the token it keeps, a JSON answer sniffed as a page. Every answer carries the headers against
// these (src/common/security-headers.ts): the web app a policy of its own origin only, the API one that allows
// nothing, the docs pages (inline scripts of their own) none; no framing anywhere.
import { type TestApp, startApp } from '../helpers/app.js';
import { http } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';

const API_POLICY = "default-src 'none';frame-ancestors 'none'";

describeE2E('Security: response headers', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startApp();
  });
  afterAll(() => sut.close());

  const headersOf = async (path: string, token?: string) => (await http(sut.url, 'GET', path, { token })).headers;

  it.each(['/api/v1/health', '/api/v1/auth/me', '/api/v1/no-such-route', '/metrics'])(
    'should answer %s, refused or not, with a policy that allows nothing, and no framing',
    async (path) => {
      const headers = await headersOf(path);
      expect(headers.get('content-security-policy')).toBe(API_POLICY);
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      // Browser apps on other origins call the API (CORS): no same-origin resource policy on it.
      expect(headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      // HTTPS is the TLS terminator's to pin (deploy/nginx), not the app's.
      expect(headers.get('strict-transport-security')).toBeNull();
    },
  );

  it.each(['/', '/chat', '/kiosk', '/assets/missing.js', '/apiary'])(
    "should answer the web app's %s with a policy of its own origin, framed by no page",
    async (path) => {
      const headers = await headersOf(path);
      const policy = (headers.get('content-security-policy') ?? '').split(';');
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
      ]) {
        expect(policy).toContain(directive);
      }
      expect(policy.join(';')).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
    },
  );

  it.each(['/docs', '/docs-json', '/asyncapi', '/asyncapi.json'])(
    'should answer %s (pages with inline scripts of their own) without a policy, still not framed',
    async (path) => {
      const res = await http(sut.url, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBeNull();
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    },
  );
});
