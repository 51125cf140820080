// Which backends the e2e suite runs against. The `e2e` Jest project runs embedded (PGlite, no Redis); the
// `e2e-services` project runs the same specs on TEST_DATABASE_URL and TEST_REDIS_URL.
export type E2EMode = 'embedded' | 'services';

export const mode: E2EMode = process.env.E2E_MODE === 'services' ? 'services' : 'embedded';

export const services = {
  databaseUrl: process.env.TEST_DATABASE_URL || undefined,
  redisUrl: process.env.TEST_REDIS_URL || undefined,
  required: process.env.REQUIRE_SERVICES === '1',
};

const missing = [
  services.databaseUrl ? undefined : 'TEST_DATABASE_URL',
  services.redisUrl ? undefined : 'TEST_REDIS_URL',
].filter(Boolean) as string[];

export const servicesAvailable = missing.length === 0;

if (mode === 'services' && !servicesAvailable && services.required) {
  throw new Error(`REQUIRE_SERVICES=1 but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`);
}

/**
 * `describe` for specs that run in the current mode. In services mode without the services configured (and
 * without REQUIRE_SERVICES=1) the block is reported skipped, naming the variables to set.
 */
export function describeE2E(name: string, body: () => void): void {
  if (mode === 'services' && !servicesAvailable) {
    const skipped = describe.skip;
    skipped(`${name} [services mode skipped: set ${missing.join(' and ')}]`, body);
    return;
  }
  describe(`${name} [${mode}]`, body);
}

/** `describe` for specs that need several instances: services mode only. */
export function describeMultiInstance(name: string, body: () => void): void {
  if (mode !== 'services') return;
  describeE2E(name, body);
}
