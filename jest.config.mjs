// Five projects: unit specs beside the code; the e2e suite in embedded mode; the same suite plus the
// multi-instance specs against Postgres and Redis (TEST_DATABASE_URL / TEST_REDIS_URL); the fault specs (test/faults:
// processes killed, links cut); the browser specs (test/web).
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // The workspace packages run from their TypeScript sources, so `npm test` needs no build step first.
  moduleNameMapper: {
    '^@realtime-hub/protocol$': '<rootDir>/packages/protocol/src/index.ts',
    '^@realtime-hub/client$': '<rootDir>/packages/client/src/index.ts',
    '^@realtime-hub/client/(.*)$': '<rootDir>/packages/client/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // ts-jest, its cache shared by the projects (see the file).
  transform: {
    '^.+\\.ts$': ['<rootDir>/test/setup/ts-transform.cjs', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
};

/**
 * E2E specs run in the embedded project only: what they check does not depend on the backend. The AsyncAPI document,
 * CORS and the security headers touch neither the database nor Redis; the client SDK specs test the client (reconnects,
 * resync, fallback), whose server side every other spec covers, and test/multi/client-failover.e2e-spec.ts runs the
 * SDK across two instances. The fuzzer, the authorization matrix, malformed input and the user search check how one
 * caller's requests are answered, one at a time (validation, guards, who may see what): the same SQL on PGlite as on
 * Postgres, no race, and no state held in Redis. How long an idle HTTP connection is kept is the HTTP server's setting.
 */
const EMBEDDED_ONLY = [
  'asyncapi',
  'security-cors',
  'security-headers',
  'client-sdk',
  'client-react',
  'fuzz',
  'authorization',
  'security-input',
  'security-user-search',
  'http-connections',
];
/**
 * With Postgres and Redis configured (CI sets both), every other e2e spec runs once, in the production shape (the
 * e2e-services project), and the embedded project adds to the specs above only those of what embedded mode does its own
 * way: PGlite's one backend under concurrent transactions, its migrations and statements (database), and requests
 * queued on it at ten times the pool (notifications). Embedded mode is also what the embedded crash runs on. Without
 * the services (`npm test` on a fresh machine) the embedded project runs every e2e spec. The
 * second run of each spec cost about 430 s of a clean-clone run's 2,260 s of spec time on the slower kind of machine
 * (test/setup/durations.json), where the whole run came near CI's 15 minutes.
 */
const EMBEDDED_TOO = ['database', 'notifications'];
const servicesConfigured = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);
/** Every project but the browser specs' runs at a lower priority than those (see the file). */
const BESIDE_BROWSERS = '<rootDir>/test/setup/beside-browsers.ts';
const e2eSpecs = (names) => names.map((name) => `<rootDir>/test/e2e/${name}.e2e-spec.ts`);

export default {
  testTimeout: 30000,
  // Three workers on this 2-core machine. Four were chosen when a whole run used 1.44 cores on average with three
  // (716 s); on 2026-12-01 the machine ran about twice as slowly and a whole run kept both cores busy with either
  // count (vmstat: 95–100 % through the tests), so a fourth worker no longer shortened it (606 and 654 s with four,
  // 592–635 s over four runs with three) and only starved each spec of CPU: under four, specs with timing in them
  // failed in two runs of two (a kiosk tick a second late, a vote waiting 10 s for a pooled connection), in none of
  // the four under three. The sequencer below keeps the browser specs to one at a time.
  maxWorkers: 3,
  // A worker of a whole run takes about 0.6 s to exit after its last file (577–696 ms for the four of one run, timed
  // in jest-worker), over Jest's default 0.5 s, which then reported "a worker process has failed to exit gracefully"
  // at the end of every whole run. Not a leak: a handle left open would keep it alive past this too.
  workerGracefulExitTimeout: 5000,
  // Longest files first from a reference run's timings, one browser spec at a time (see the file).
  testSequencer: '<rootDir>/test/setup/sequencer.mjs',
  // No forceExit: specs close their apps, sockets and databases, and a file run alone (in band) ends on its own, so a
  // run that does not end points at a leak.
  projects: [
    {
      ...common,
      displayName: 'unit',
      setupFiles: [BESIDE_BROWSERS],
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/packages/*/src/**/*.spec.ts',
        // Checks of generated files and build outputs; they start their own processes.
        '<rootDir>/test/tools/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: servicesConfigured
        ? e2eSpecs([...EMBEDDED_ONLY, ...EMBEDDED_TOO])
        : ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/setup/embedded-mode.ts', BESIDE_BROWSERS],
      setupFilesAfterEnv: ['<rootDir>/test/setup/embedded-template.ts'],
    },
    {
      ...common,
      displayName: 'e2e-services',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts', '<rootDir>/test/multi/**/*.e2e-spec.ts'],
      // EMBEDDED_ONLY (above) run in the embedded project only.
      testPathIgnorePatterns: ['/node_modules/', ...EMBEDDED_ONLY.map((name) => `/test/e2e/${name}\\.e2e-spec\\.ts$`)],
      setupFiles: ['<rootDir>/test/setup/services-mode.ts', BESIDE_BROWSERS],
    },
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      setupFiles: [BESIDE_BROWSERS],
    },
    {
      ...common,
      // The web app in Debian's Chromium (playwright-core) against the real app; web/dist is built first when it is
      // missing or stale. On Postgres and Redis when they are configured, as CI runs, else embedded. The browser specs
      // are the run's longest chain, one at a time, and CPU is what the run waits on: the kiosk browser spec alone took
      // 70.7 and 79.7 CPU-seconds of the machine embedded, 59.2 and 60.4 on the services (PGlite's WebAssembly Postgres
      // runs in the app's process, beside the app), 2026-12-02. Embedded mode keeps its own specs (above).
      displayName: 'web',
      testMatch: ['<rootDir>/test/web/**/*.web-spec.ts'],
      setupFiles: [`<rootDir>/test/setup/${servicesConfigured ? 'services' : 'embedded'}-mode.ts`],
      setupFilesAfterEnv: servicesConfigured ? [] : ['<rootDir>/test/setup/embedded-template.ts'],
      globalSetup: '<rootDir>/test/web/global-setup.mjs',
    },
  ],
};
