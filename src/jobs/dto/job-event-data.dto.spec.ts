import { DomainException } from '../../common/domain.exception.js';
import { hasUnstorableText, parseEventData } from './job-event-data.dto.js';

function refusal(fn: () => unknown): DomainException {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainException) return err;
    throw err;
  }
  throw new Error('Expected a DomainException');
}

const fields = (err: DomainException) => (err.details as { field: string }[]).map((d) => d.field).sort();

describe(parseEventData.name, () => {
  it('should accept job_started with or without totalPages, and drop unknown fields', () => {
    expect(parseEventData('job_started', undefined)).toEqual({ type: 'job_started', data: {} });
    expect(parseEventData('job_started', { totalPages: 3, extra: true })).toEqual({
      type: 'job_started',
      data: { totalPages: 3 },
    });
  });

  it('should accept non-negative integer progress fields', () => {
    expect(parseEventData('job_progress', { itemsScraped: 0, pagesScraped: 2, currentPage: 3, totalPages: 9 })).toEqual(
      { type: 'job_progress', data: { itemsScraped: 0, pagesScraped: 2, currentPage: 3, totalPages: 9 } },
    );
  });

  it('should refuse negative, fractional and non-numeric progress with data.<field> details', () => {
    const err = refusal(() =>
      parseEventData('job_progress', { itemsScraped: -1, pagesScraped: 1.5, currentPage: '3', totalPages: 2 ** 31 }),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(fields(err)).toEqual(['data.currentPage', 'data.itemsScraped', 'data.pagesScraped', 'data.totalPages']);
  });

  it('should require item_scraped to carry an object item, kept whole', () => {
    const item = { title: 'A', nested: { price: 3, tags: ['x'] } };
    expect(parseEventData('item_scraped', { item })).toEqual({ type: 'item_scraped', data: { item } });
    for (const bad of [{}, { item: 'text' }, { item: [1, 2] }, { item: null }]) {
      expect(fields(refusal(() => parseEventData('item_scraped', bad)))).toEqual(['data.item']);
    }
  });

  it('should refuse a null progress field rather than publish a null the job does not apply', () => {
    const err = refusal(() => parseEventData('job_progress', { currentPage: null, itemsScraped: 4 }));
    expect(fields(err)).toEqual(['data.currentPage']);
    expect(fields(refusal(() => parseEventData('job_started', { totalPages: null })))).toEqual(['data.totalPages']);
  });

  it('should keep keys named like methods of Object in an item and a summary, at any depth', () => {
    const item = JSON.parse('{"driver":"Hamilton","constructor":"Mercedes","list":[{"toString":"y","valueOf":1}]}');
    expect(parseEventData('item_scraped', { item })).toEqual({ type: 'item_scraped', data: { item } });
    const summary = JSON.parse('{"hasOwnProperty":true,"items":[{"constructor":"x"}]}');
    expect(parseEventData('job_completed', { summary }).data).toEqual({ summary });
  });

  it('should accept job_completed with any summary or none', () => {
    expect(parseEventData('job_completed', {})).toEqual({ type: 'job_completed', data: {} });
    expect(parseEventData('job_completed', { summary: ['a', 1] })).toEqual({
      type: 'job_completed',
      data: { summary: ['a', 1] },
    });
  });

  it('should require job_failed to carry an error of 1..2000 characters', () => {
    expect(parseEventData('job_failed', { error: 'timeout' })).toEqual({
      type: 'job_failed',
      data: { error: 'timeout' },
    });
    for (const bad of [{}, { error: '' }, { error: 42 }, { error: 'x'.repeat(2001) }]) {
      expect(fields(refusal(() => parseEventData('job_failed', bad)))).toEqual(['data.error']);
    }
  });

  it('should refuse text Postgres cannot store', () => {
    expect(refusal(() => parseEventData('job_failed', { error: 'a\u0000b' })).code).toBe('VALIDATION_FAILED');
    expect(refusal(() => parseEventData('item_scraped', { item: { t: '\ud800' } })).code).toBe('VALIDATION_FAILED');
  });
});

describe(hasUnstorableText.name, () => {
  it('should find NUL characters and unpaired surrogates, in keys too', () => {
    expect(hasUnstorableText('a\u0000')).toBe(true);
    expect(hasUnstorableText({ ['k\u0000']: 1 })).toBe(true);
    expect(hasUnstorableText({ a: ['\udc00'] })).toBe(true);
  });

  it('should let through escaped look-alikes, paired surrogates and ordinary text', () => {
    expect(hasUnstorableText({ a: '\\u0000', b: '\\\\ud800' })).toBe(false);
    expect(hasUnstorableText({ emoji: '😀', text: 'plain', n: 1 })).toBe(false);
    expect(hasUnstorableText(undefined)).toBe(false);
  });
});
