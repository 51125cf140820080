import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { AttemptLimiter, type LimitRule } from './attempt-limiter.js';
import type { RedisService } from './redis.service.js';

const PER_EMAIL: LimitRule = { name: 'spec-email', points: 2, durationSeconds: 60 };
const PER_IP: LimitRule = { name: 'spec-ip', points: 3, durationSeconds: 60 };

async function refusal(promise: Promise<unknown>): Promise<DomainException> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainException) return err;
    throw err;
  }
  throw new Error('Expected a refusal');
}

describe(AttemptLimiter.name, () => {
  let sut: AttemptLimiter;

  beforeEach(() => {
    sut = new AttemptLimiter({ enabled: false } as RedisService);
  });

  it('should refuse the attempt after the points of a rule, with RATE_LIMITED and when to retry', async () => {
    await sut.reserve('no', [PER_EMAIL, 'a@x']);
    await sut.reserve('no', [PER_EMAIL, 'a@x']);
    const err = await refusal(sut.reserve('Too many', [PER_EMAIL, 'a@x']));
    expect(err.code).toBe(ErrorCode.RATE_LIMITED);
    expect(err.message).toBe('Too many');
    expect(err.details).toEqual({ retryAfterSeconds: expect.any(Number) });
    // Another key has its own count.
    await expect(sut.reserve('no', [PER_EMAIL, 'b@x'])).resolves.toBeDefined();
  });

  it('should count a burst as it arrives', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => sut.reserve('no', [PER_EMAIL, 'c@x'])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
  });

  it('should give back the points of a refunded attempt, once', async () => {
    const first = await sut.reserve('no', [PER_EMAIL, 'd@x']);
    await first.refund();
    await first.refund();
    await sut.reserve('no', [PER_EMAIL, 'd@x']);
    await sut.reserve('no', [PER_EMAIL, 'd@x']);
    await expect(sut.reserve('no', [PER_EMAIL, 'd@x'])).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
  });

  it('should give back the points of the other rules when one refuses', async () => {
    await sut.reserve('no', [PER_EMAIL, 'e@x'], [PER_IP, '10.0.0.1']);
    await sut.reserve('no', [PER_EMAIL, 'e@x'], [PER_IP, '10.0.0.1']);
    // The email is spent: this attempt must not cost the address a point.
    await expect(sut.reserve('no', [PER_EMAIL, 'e@x'], [PER_IP, '10.0.0.1'])).rejects.toMatchObject({
      code: ErrorCode.RATE_LIMITED,
    });
    await expect(sut.reserve('no', [PER_IP, '10.0.0.1'])).resolves.toBeDefined();
    await expect(sut.reserve('no', [PER_IP, '10.0.0.1'])).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED });
  });
});
