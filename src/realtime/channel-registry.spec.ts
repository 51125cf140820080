import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { ChannelRegistry, type ChannelDefinition } from './channel-registry.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const ID = '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER_ID = '9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f';

const principal: Principal = { id: ID, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 };

function definition(pattern: string, authorize: ChannelDefinition['authorize'] = async () => undefined) {
  return { pattern, authorize: jest.fn(authorize) };
}

function codeOf(run: () => unknown): ErrorCode | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof DomainException ? err.code : undefined;
  }
  return undefined;
}

describe(ChannelRegistry.name, () => {
  let sut: ChannelRegistry;

  beforeEach(() => {
    sut = new ChannelRegistry();
  });

  describe('resolve', () => {
    it('should resolve a pattern with one placeholder and give its parameter', () => {
      const resources = definition('resource:updates:{id}');
      sut.register(resources);
      expect(sut.resolve(`resource:updates:${ID}`)).toEqual({
        name: `resource:updates:${ID}`,
        definition: resources,
        params: { id: ID },
      });
    });

    it('should resolve a pattern with several placeholders', () => {
      const pair = definition('pair:{left}:{right}');
      sut.register(pair);
      expect(sut.resolve(`pair:${ID}:${OTHER_ID}`).params).toEqual({ left: ID, right: OTHER_ID });
    });

    it('should lower-case the UUIDs of the name and parameters', () => {
      sut.register(definition('user:{userId}'));
      const resolved = sut.resolve(`user:${ID.toUpperCase()}`);
      expect(resolved.name).toBe(`user:${ID}`);
      expect(resolved.params).toEqual({ userId: ID });
    });

    it('should resolve a literal channel only by its exact name', () => {
      const votes = definition('suggestions:votes');
      sut.register(votes);
      expect(sut.resolve('suggestions:votes')).toEqual({ name: 'suggestions:votes', definition: votes, params: {} });
      expect(codeOf(() => sut.resolve('suggestions:votes:x'))).toBe(ErrorCode.UNKNOWN_CHANNEL);
      expect(codeOf(() => sut.resolve('suggestions:vote'))).toBe(ErrorCode.UNKNOWN_CHANNEL);
    });

    it('should answer UNKNOWN_CHANNEL when no pattern claims the name', () => {
      sut.register(definition('user:{userId}'));
      expect(codeOf(() => sut.resolve('nothing:here'))).toBe(ErrorCode.UNKNOWN_CHANNEL);
      expect(codeOf(() => sut.resolve(`users:${ID}`))).toBe(ErrorCode.UNKNOWN_CHANNEL);
      expect(codeOf(() => sut.resolve(`USER:${ID}`))).toBe(ErrorCode.UNKNOWN_CHANNEL);
    });

    it('should answer FORBIDDEN for a server-owned principal room, so no client joins or leaves one', () => {
      sut.register(definition('user:{userId}'));
      expect(codeOf(() => sut.resolve(`principal:user:${ID}`))).toBe(ErrorCode.FORBIDDEN);
      expect(codeOf(() => sut.resolve(`PRINCIPAL:workstation:${ID}`))).toBe(ErrorCode.FORBIDDEN);
    });

    it('should answer UNKNOWN_CHANNEL with an empty registry', () => {
      expect(codeOf(() => sut.resolve('dashboard'))).toBe(ErrorCode.UNKNOWN_CHANNEL);
    });

    it('should answer VALIDATION_FAILED when a pattern claims the name but a parameter is not a UUID', () => {
      sut.register(definition('user:{userId}'));
      expect(codeOf(() => sut.resolve('user:not-a-uuid'))).toBe(ErrorCode.VALIDATION_FAILED);
      expect(codeOf(() => sut.resolve('user:'))).toBe(ErrorCode.VALIDATION_FAILED);
      expect(codeOf(() => sut.resolve(`user:${ID}:extra`))).toBe(ErrorCode.VALIDATION_FAILED);
    });

    it('should answer VALIDATION_FAILED with field details for a name that is not a non-empty string', () => {
      for (const name of [undefined, null, 42, {}, '', 'x'.repeat(201)]) {
        let error: unknown;
        try {
          sut.resolve(name);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(DomainException);
        expect((error as DomainException).code).toBe(ErrorCode.VALIDATION_FAILED);
        expect((error as DomainException).details).toEqual([{ field: 'channel', errors: [expect.any(String)] }]);
      }
    });

    it('should prefer the pattern with the longest literal prefix', () => {
      const short = definition('kiosk:{id}');
      const long = definition('kiosk:session:{id}');
      sut.register(short);
      sut.register(long);
      expect(sut.resolve(`kiosk:session:${ID}`).definition).toBe(long);
      expect(sut.resolve(`kiosk:${ID}`).definition).toBe(short);
    });

    it('should prefer the longest prefix whatever the registration order', () => {
      const long = definition('resource:updates:{id}');
      const short = definition('resource:{id}');
      sut.register(long);
      sut.register(short);
      expect(sut.resolve(`resource:updates:${ID}`).definition).toBe(long);
      expect(sut.resolve(`resource:${ID}`).definition).toBe(short);
      expect(codeOf(() => sut.resolve('resource:updates:nope'))).toBe(ErrorCode.VALIDATION_FAILED);
    });

    it('should keep a literal apart from a pattern sharing its beginning', () => {
      const sessions = definition('kiosk:sessions');
      const session = definition('kiosk:session:{id}');
      const workstation = definition('kiosk:workstation:{id}');
      sut.register(sessions);
      sut.register(session);
      sut.register(workstation);
      expect(sut.resolve('kiosk:sessions').definition).toBe(sessions);
      expect(sut.resolve(`kiosk:session:${ID}`).definition).toBe(session);
      expect(sut.resolve(`kiosk:workstation:${ID}`).definition).toBe(workstation);
      expect(codeOf(() => sut.resolve('kiosk:workstations'))).toBe(ErrorCode.UNKNOWN_CHANNEL);
    });

    it('should treat regex characters of a pattern literally', () => {
      sut.register(definition('a.b:{id}'));
      expect(codeOf(() => sut.resolve(`aXb:${ID}`))).toBe(ErrorCode.UNKNOWN_CHANNEL);
      expect(sut.resolve(`a.b:${ID}`).params).toEqual({ id: ID });
    });
  });

  describe('register', () => {
    it('should refuse a pattern registered twice', () => {
      sut.register(definition('dashboard'));
      expect(() => sut.register(definition('dashboard'))).toThrow('Channel pattern registered twice: dashboard');
    });
  });

  describe('mayJoin', () => {
    it('should answer true when authorize passes, calling it with the principal and parameters', async () => {
      const users = definition('user:{userId}');
      sut.register(users);
      await expect(sut.mayJoin(principal, sut.resolve(`user:${ID}`))).resolves.toBe(true);
      expect(users.authorize).toHaveBeenCalledWith(principal, { userId: ID });
    });

    it('should answer false when authorize throws FORBIDDEN or NOT_FOUND', async () => {
      sut.register(
        definition('user:{userId}', async () => {
          throw DomainException.forbidden();
        }),
      );
      sut.register(
        definition('job:{id}', async () => {
          throw DomainException.notFound('Job');
        }),
      );
      await expect(sut.mayJoin(principal, sut.resolve(`user:${OTHER_ID}`))).resolves.toBe(false);
      await expect(sut.mayJoin(principal, sut.resolve(`job:${ID}`))).resolves.toBe(false);
    });

    it('should answer false when authorize fails unexpectedly', async () => {
      sut.register(
        definition('user:{userId}', async () => {
          throw new Error('database down');
        }),
      );
      await expect(sut.mayJoin(principal, sut.resolve(`user:${ID}`))).resolves.toBe(false);
    });
  });
});
