import { from, take, toArray, firstValueFrom } from 'rxjs';
import { Stream } from './observable.js';

describe(Stream.name, () => {
  it('should be taken by RxJS from() through the Observable interop', async () => {
    let started = 0;
    let stopped = 0;
    const sut = new Stream<number>((stream) => {
      started += 1;
      queueMicrotask(() => [1, 2, 3].forEach((n) => stream.next(n)));
      return () => {
        stopped += 1;
      };
    });
    const values = await firstValueFrom(from(sut).pipe(take(3), toArray()));
    expect(values).toEqual([1, 2, 3]);
    expect([started, stopped]).toEqual([1, 1]);
  });

  it('should replay the current value to a late observer when asked to', () => {
    const sut = new Stream<string>(undefined, true);
    sut.next('online');
    const seen: string[] = [];
    sut.subscribe((v) => seen.push(v)).unsubscribe();
    expect(seen).toEqual(['online']);
  });
});
