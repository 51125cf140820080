import { createValidationPipe } from './validation.js';
import { IsUuid } from './uuid-param.js';

class OneId {
  @IsUuid()
  id: string;
}

class ManyIds {
  @IsUuid({ each: true })
  ids: string[];
}

const ID = '8F2C1D3E-4B5A-4C6D-8E7F-9A0B1C2D3E4F';

describe('IsUuid', () => {
  const pipe = createValidationPipe();
  const body = (metatype: new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype });

  it('should lower-case a UUID, alone or in an array, as Postgres writes it', async () => {
    expect(await body(OneId, { id: ID })).toEqual({ id: ID.toLowerCase() });
    expect(await body(ManyIds, { ids: [ID, ID.toLowerCase()] })).toEqual({ ids: [ID.toLowerCase(), ID.toLowerCase()] });
  });

  it('should refuse anything but a UUID with VALIDATION_FAILED', async () => {
    for (const value of [{ id: 'not-a-uuid' }, { id: 7 }, { id: null }, {}]) {
      await expect(body(OneId, value)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    await expect(body(ManyIds, { ids: [ID, 'x'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
