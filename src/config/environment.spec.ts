import { AppConfig, durationToSeconds } from './app-config.js';
import { ConfigValidationError, parseTrustProxy, validateEnvironment } from './environment.js';

const SECRET_32 = 'a'.repeat(32);

function failure(raw: Record<string, string | undefined>): ConfigValidationError {
  try {
    validateEnvironment(raw);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err;
    throw err;
  }
  throw new Error('Expected the configuration to be refused');
}

describe(validateEnvironment.name, () => {
  describe('defaults', () => {
    it('should give every default for an empty environment', () => {
      const sut = validateEnvironment({});
      expect(sut).toMatchObject({
        NODE_ENV: 'development',
        PORT: 3000,
        HOST: '0.0.0.0',
        DATABASE_POOL_SIZE: 10,
        DATABASE_PREPARED_STATEMENTS: true,
        DATABASE_PIPELINING: true,
        REDIS_PREFIX: 'rthub',
        REDIS_ADAPTER: 'classic',
        DATA_DIR: './data',
        JWT_EXPIRES_IN: '1h',
        JWT_SESSION_MAX_AGE: '30d',
        CORS_ORIGINS: '*',
        LOG_LEVEL: 'info',
        TRUST_PROXY: 'false',
        REGISTER_RATE_LIMIT: 20,
        MESSAGING_MAX_MEMBERS: 500,
        JOB_MAX_EVENTS: 100_000,
        WS_MAX_SOCKETS_PER_USER: 20,
        WS_RATE_LIMIT: 50,
        PRESENCE_GRACE_MS: 3000,
        PRESENCE_TTL_SECONDS: 30,
        TYPING_TIMEOUT_MS: 5000,
        DASHBOARD_INTERVAL_MS: 1000,
        DASHBOARD_HEARTBEAT_SECONDS: 30,
        KIOSK_TICK_SECONDS: 60,
        KIOSK_WARNING_SECONDS: '300,60',
        KIOSK_OFFLINE_SECONDS: 30,
        KIOSK_MIN_DURATION_SECONDS: 60,
        JOB_STALL_SECONDS: 300,
      });
      expect(sut.DATABASE_URL).toBeUndefined();
      expect(sut.REDIS_URL).toBeUndefined();
      expect(sut.JWT_SECRET).toBeUndefined();
      expect(sut.ADMIN_EMAIL).toBeUndefined();
      expect(sut.ADMIN_PASSWORD).toBeUndefined();
    });

    it('should read numbers and booleans from their text', () => {
      const sut = validateEnvironment({ PORT: ' 8080 ', WS_RATE_LIMIT: '5', DATABASE_PREPARED_STATEMENTS: 'no' });
      expect(sut.PORT).toBe(8080);
      expect(sut.WS_RATE_LIMIT).toBe(5);
      expect(sut.DATABASE_PREPARED_STATEMENTS).toBe(false);
    });

    it('should treat empty optional values as unset', () => {
      const sut = validateEnvironment({ DATABASE_URL: '', REDIS_URL: ' ', JWT_SECRET: '', ADMIN_EMAIL: '' });
      expect(sut.DATABASE_URL).toBeUndefined();
      expect(sut.REDIS_URL).toBeUndefined();
      expect(sut.JWT_SECRET).toBeUndefined();
      expect(sut.ADMIN_EMAIL).toBeUndefined();
    });

    it('should ignore variables it does not know', () => {
      expect(() => validateEnvironment({ PATH: '/bin', SOMETHING_ELSE: '!!' })).not.toThrow();
    });
  });

  describe('a bad value', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', '3000abc'],
      ['NODE_ENV', 'staging'],
      ['DATABASE_POOL_SIZE', '1'],
      ['DATABASE_PREPARED_STATEMENTS', 'sometimes'],
      ['REDIS_PREFIX', 'has spaces'],
      ['REDIS_ADAPTER', 'cluster'],
      ['JWT_EXPIRES_IN', '1 hour'],
      ['JWT_EXPIRES_IN', '1w'],
      ['JWT_SESSION_MAX_AGE', 'forever'],
      ['ADMIN_EMAIL', 'not-an-email'],
      ['LOG_LEVEL', 'loud'],
      ['TRUST_PROXY', 'maybe'],
      ['TRUST_PROXY', 'true'],
      ['TRUST_PROXY', '11'],
      ['TRUST_PROXY', '10.0.0.0/33'],
      ['TRUST_PROXY', '10.0.0.1,not-an-address'],
      ['REGISTER_RATE_LIMIT', '0'],
      ['MESSAGING_MAX_MEMBERS', '1'],
      ['JOB_MAX_EVENTS', 'many'],
      ['WS_MAX_SOCKETS_PER_USER', '0'],
      ['WS_RATE_LIMIT', '0'],
      ['WS_RATE_LIMIT', 'fast'],
      ['PRESENCE_GRACE_MS', '-1'],
      ['PRESENCE_TTL_SECONDS', '1'],
      ['TYPING_TIMEOUT_MS', '1.5'],
      ['KIOSK_WARNING_SECONDS', '300;60'],
      ['JOB_STALL_SECONDS', '0'],
    ])('should stop the start with one line naming %s (given %j)', (name, value) => {
      const err = failure({ [name]: value });
      expect(err.message).toMatch(new RegExp(`^Invalid configuration: ${name} `));
      expect(err.message).not.toContain('\n');
      expect(err.message).toContain(`(got "${value}")`);
    });

    it('should name only the first bad variable when several are bad', () => {
      const err = failure({ PORT: 'abc', LOG_LEVEL: 'loud' });
      expect(err.message).not.toContain('\n');
      expect(err.message.match(/PORT|LOG_LEVEL/g)).toHaveLength(1);
    });

    it.each([
      ['JWT_SECRET', 'x9-q7-z3'],
      ['ADMIN_PASSWORD', 'p4ss'],
      ['DATABASE_URL', 'mysql://app:hunter2@db.internal/app'],
      ['REDIS_URL', 'http://:hunter2@cache.internal:6379'],
    ])('should name %s without echoing a value that may hold credentials', (name, value) => {
      const err = failure({ [name]: value });
      expect(err.message).toMatch(new RegExp(`^Invalid configuration: ${name} `));
      expect(err.message).not.toContain(value);
    });
  });

  describe('production', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db.internal/app', JWT_SECRET: SECRET_32 };

    it('should start with a database URL and a 32-character secret', () => {
      expect(validateEnvironment(production)).toMatchObject({ NODE_ENV: 'production', JWT_SECRET: SECRET_32 });
    });

    it('should refuse a missing JWT_SECRET', () => {
      const err = failure({ ...production, JWT_SECRET: undefined });
      expect(err.message).toBe(
        'Invalid configuration: JWT_SECRET must be set to at least 32 characters when NODE_ENV=production',
      );
    });

    it('should refuse a JWT_SECRET shorter than 32 characters', () => {
      const err = failure({ ...production, JWT_SECRET: 'b'.repeat(31) });
      expect(err.message).toMatch(/^Invalid configuration: JWT_SECRET /);
      expect(err.message).not.toContain('b'.repeat(31));
    });

    it('should refuse a missing DATABASE_URL', () => {
      expect(failure({ ...production, DATABASE_URL: undefined }).message).toBe(
        'Invalid configuration: DATABASE_URL must be set when NODE_ENV=production',
      );
      expect(failure({ ...production, DATABASE_URL: '' }).message).toMatch(/DATABASE_URL/);
    });

    it("should refuse a password hash cost below OWASP's baseline, and take one at or above it", () => {
      expect(failure({ ...production, PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' }).message).toBe(
        'Invalid configuration: PASSWORD_HASH_MEMORY_KIB × PASSWORD_HASH_PASSES must be at least 38912 (19 MiB × 2) when NODE_ENV=production',
      );
      expect(failure({ ...production, PASSWORD_HASH_PASSES: '1' }).message).toMatch(/PASSWORD_HASH_MEMORY_KIB/);
      expect(
        validateEnvironment({ ...production, PASSWORD_HASH_MEMORY_KIB: '47104', PASSWORD_HASH_PASSES: '1' }),
      ).toMatchObject({
        PASSWORD_HASH_MEMORY_KIB: 47104,
        PASSWORD_HASH_PASSES: 1,
      });
      expect(
        validateEnvironment({ NODE_ENV: 'test', PASSWORD_HASH_MEMORY_KIB: '1024', PASSWORD_HASH_PASSES: '1' }),
      ).toMatchObject({
        PASSWORD_HASH_MEMORY_KIB: 1024,
      });
      expect(failure({ PASSWORD_HASH_MEMORY_KIB: '8' }).message).toMatch(/PASSWORD_HASH_MEMORY_KIB/);
    });

    it('should allow a missing secret and database outside production', () => {
      expect(() => validateEnvironment({ NODE_ENV: 'development' })).not.toThrow();
      expect(() => validateEnvironment({ NODE_ENV: 'test', JWT_SECRET: 'c'.repeat(16) })).not.toThrow();
    });
  });
});

describe(durationToSeconds.name, () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['62s', 62],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
  ])('should read %s as %d seconds', (value, seconds) => {
    expect(durationToSeconds(value)).toBe(seconds);
  });

  it.each(['', '1w', '1.5h', '-5s', 'h'])('should refuse %j', (value) => {
    expect(() => durationToSeconds(value)).toThrow(`Not a duration: ${value}`);
  });
});

describe(parseTrustProxy.name, () => {
  it.each([
    ['false', false],
    ['0', false],
    ['', false],
    ['1', 1],
    ['10', 10],
    ['127.0.0.1', ['127.0.0.1']],
    [' 10.0.0.0/8, ::1 ,loopback', ['10.0.0.0/8', '::1', 'loopback']],
    ['fd00::/8', ['fd00::/8']],
  ])('should read %j as %j', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
  });

  it.each(['true', 'yes', '11', '-1', '10.0.0.0/33', '1.2.3', '10.0.0.1/8/1', 'proxy.example'])(
    'should refuse %j',
    (value) => {
      expect(parseTrustProxy(value)).toBeUndefined();
    },
  );
});

describe(AppConfig.name, () => {
  it('should type the defaults', () => {
    const sut = new AppConfig({});
    expect(sut.embedded).toBe(true);
    expect(sut.port).toBe(3000);
    expect(sut.jwt).toEqual({ secret: undefined, expiresInSeconds: 3600, sessionMaxAgeSeconds: 2_592_000 });
    expect(sut.ws).toEqual({ rateLimit: 50, rateBurst: 100 });
    expect(sut.presence).toEqual({ graceMs: 3000, ttlSeconds: 30 });
    expect(sut.corsOrigins).toBe('*');
    expect(sut.redis).toEqual({ url: undefined, prefix: 'rthub', adapter: 'classic' });
    expect(sut.kiosk.warningSeconds).toEqual([300, 60]);
    expect(sut.trustProxy).toBe(false);
    expect(sut.limits).toEqual({
      registrationsPerHour: 20,
      conversationMembers: 500,
      jobEvents: 100_000,
      socketsPerPrincipal: 20,
      channelsPerSocket: 1000,
    });
  });

  it('should allow bursts of twice the WS rate', () => {
    expect(new AppConfig({ WS_RATE_LIMIT: '5' }).ws).toEqual({ rateLimit: 5, rateBurst: 10 });
  });

  it('should turn JWT_EXPIRES_IN into seconds', () => {
    expect(new AppConfig({ JWT_EXPIRES_IN: '62s' }).jwt.expiresInSeconds).toBe(62);
    expect(new AppConfig({ JWT_EXPIRES_IN: '2d' }).jwt.expiresInSeconds).toBe(172_800);
  });

  it('should split CORS origins and treat a star anywhere as any origin', () => {
    expect(new AppConfig({ CORS_ORIGINS: 'https://a.example, https://b.example,' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
    expect(new AppConfig({ CORS_ORIGINS: 'https://a.example,*' }).corsOrigins).toBe('*');
  });

  it('should sort kiosk warnings from the longest and drop duplicates', () => {
    expect(new AppConfig({ KIOSK_WARNING_SECONDS: '60,300,60' }).kiosk.warningSeconds).toEqual([300, 60]);
  });

  it('should run on Postgres when DATABASE_URL is set', () => {
    const sut = new AppConfig({ DATABASE_URL: 'postgres://localhost/app', REDIS_URL: 'redis://localhost:6379' });
    expect(sut.embedded).toBe(false);
    expect(sut.database.url).toBe('postgres://localhost/app');
    expect(sut.redis.url).toBe('redis://localhost:6379');
  });

  it('should refuse a bad value with a ConfigValidationError', () => {
    expect(() => new AppConfig({ PORT: 'nope' })).toThrow(ConfigValidationError);
  });
});
