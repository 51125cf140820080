// Module boundaries of src/, checked in `npm run lint` (`npm run lint:deps`). Layers, bottom up:
//   shared      common/ config/                       import nothing of src but each other
//   core        database/ redis/ metrics/ auth/ realtime/   import no feature
//   features    notifications/ messaging/ suggestions/ resources/ dashboard/ kiosk/ jobs/
//               import the core, and another feature only through a named port (below)
//   composition app.module.ts main.ts bootstrap.ts asyncapi/ health/ web/   may import anything
// The graph in docs/architecture.md is generated from this file: `npm run graph:modules`.

const FEATURES = '(notifications|messaging|suggestions|resources|dashboard|kiosk|jobs)';
const CORE = '(database|redis|metrics|auth|realtime)';

/**
 * The only files one feature may import from another: notifications is the shared service every feature
 * notifies through; dashboard-events is the port through which a write that moves a statistic says so.
 */
const PORTS = [
  '^src/notifications/notifications[.](module|service)[.]ts$',
  '^src/dashboard/(dashboard[.]module|dashboard-events)[.]ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle between files of src/ (two modules that each need the other should meet at a port). TypeORM ' +
        "entities of one aggregate name each other for their relations (resolved lazily): they are the exception.",
      from: { path: '^src/', pathNot: '[.]entity[.]ts$' },
      to: { path: '^src/', circular: true },
    },
    {
      name: 'shared-imports-no-module',
      severity: 'error',
      comment: 'common/ and config/ sit under every module: they import nothing of src/ but each other.',
      from: { path: '^src/(common|config)/' },
      to: { path: '^src/', pathNot: '^src/(common|config)/' },
    },
    {
      name: 'core-imports-no-feature',
      severity: 'error',
      comment:
        'The core (database, redis, metrics, auth, realtime) knows no feature: features register with it ' +
        '(channel kinds, principals). The one exception is the entity list of the database, which names every entity.',
      from: { path: `^src/${CORE}/`, pathNot: '^src/database/entities[.]ts$' },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'database-reads-only-entities',
      severity: 'error',
      comment: 'The entity list may name the entities of the features, and nothing else of them.',
      from: { path: '^src/database/entities[.]ts$' },
      to: { path: `^src/${FEATURES}/`, pathNot: '[.]entity[.]ts$' },
    },
    {
      name: 'core-imports-no-composition',
      severity: 'error',
      comment: 'Nothing below the composition root imports it.',
      from: { path: `^src/(common|config|${CORE.slice(1, -1)}|${FEATURES.slice(1, -1)})/` },
      to: { path: '^src/(app[.]module|main|bootstrap)[.]ts$|^src/(asyncapi|health|web)/' },
    },
    {
      name: 'features-meet-at-ports',
      severity: 'error',
      comment: 'A feature imports another feature only through a named port (see PORTS in .dependency-cruiser.cjs).',
      from: { path: `^src/${FEATURES}/` },
      to: { path: `^src/${FEATURES}/`, pathNot: ['^src/$1/', ...PORTS] },
    },
    {
      name: 'features-publish-through-the-core',
      severity: 'error',
      comment:
        'Features emit through RealtimePublisher and ask about rooms through ChannelService; the socket server ' +
        'itself (RealtimeServer) belongs to the core.',
      from: { path: `^src/${FEATURES}/` },
      to: { path: '^src/realtime/realtime[.]server[.]ts$' },
    },
    {
      name: 'auth-below-realtime',
      severity: 'error',
      comment: 'The realtime core stands on auth (it authenticates sockets); auth reaches sockets through its AccountSockets port.',
      from: { path: '^src/auth/' },
      to: { path: '^src/realtime/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: '[.]spec[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
      archi: { collapsePattern: '^src/[^/]+' },
    },
  },
};
