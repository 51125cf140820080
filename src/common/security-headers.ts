// Security headers (helmet) on every HTTP answer the app makes; Socket.IO's requests are answered by engine.io before
// Express sees them. Three policies, by path:
// - the web app (its pages, its assets, and whatever falls through to the last 404): a Content-Security-Policy that
//   lets a page load scripts, styles, images and connections from this origin only, so that a script injected from
//   elsewhere neither runs nor reaches the token the app keeps in localStorage; and no page of another site may frame
//   it (an admin's or a kiosk's buttons clicked through an invisible frame);
// - the API and the metrics: a policy that allows nothing (JSON is never a page), and no framing;
// - Swagger UI and the AsyncAPI page (and their documents): no policy, since their pages run inline scripts and
//   styles of their own; no framing.
// Everywhere: `nosniff`, no referrer sent, a same-origin opener. Left out on purpose: HSTS, which belongs to whoever
// terminates TLS (deploy/nginx), since a year-long HTTPS pin set by an app served over plain HTTP on a LAN would
// outlive any change of setup; and a same-origin Cross-Origin-Resource-Policy on the API, which browser apps on
// other origins call (CORS).
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const SELF = "'self'";
const NONE = "'none'";

/** The web app's policy: everything from this origin (`'self'` covers its own ws:/wss: for Socket.IO). */
export const WEB_APP_CSP = {
  defaultSrc: [SELF],
  scriptSrc: [SELF],
  styleSrc: [SELF],
  imgSrc: [SELF, 'data:'],
  connectSrc: [SELF],
  fontSrc: [SELF],
  objectSrc: [NONE],
  baseUri: [SELF],
  formAction: [SELF],
  frameAncestors: [NONE],
};

const API_PATH = /^\/(api|metrics)(?=[/?]|$)/;
const DOCS_PATH = /^\/(docs|docs-json|asyncapi)(?=[/.?-]|$)/;

const common: HelmetOptions = {
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
};

export function securityHeaders(): Middleware {
  const webApp = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: WEB_APP_CSP },
  }) as Middleware;
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: [NONE], frameAncestors: [NONE] } },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  }) as Middleware;
  const docs = helmet({
    ...common,
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  }) as Middleware;
  return (req, res, next) => {
    const path = req.url ?? '/';
    if (API_PATH.test(path)) api(req, res, next);
    else if (DOCS_PATH.test(path)) docs(req, res, next);
    else webApp(req, res, next);
  };
}
