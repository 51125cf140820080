// The React hooks (@realtime-hub/client/react) at unit level, with react-test-renderer and plain Streams.
import { createElement } from 'react';
import { create, type ReactTestRenderer } from 'react-test-renderer';
import { Stream } from '../observable.js';
import { useStreamError, useStreamItems, useStreamValue } from './index.js';

// Updates come from streams, never inside act(): React schedules them as in a browser.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('React hooks', () => {
  it('should keep the items it shows when useStreamItems’ max grows, not drop them for good', async () => {
    // docs/clients.md: "`useStreamItems(stream, max)` for any stream's items"; the hook: "Every item of a stream so far
    // (the newest `max`)". A "show more" that raises max must not empty the list: a live stream does not replay.
    const stream = new Stream<number>();
    const rendered: number[][] = [];
    function Items({ max }: { max: number }) {
      const items = useStreamItems(stream, max);
      rendered.push(items);
      return createElement('p', null, items.join());
    }
    const renderer: ReactTestRenderer = create(createElement(Items, { max: 2 }));
    try {
      await settle();
      [1, 2, 3].forEach((n) => stream.next(n));
      await settle();
      expect(rendered.at(-1)).toEqual([2, 3]);
      renderer.update(createElement(Items, { max: 10 }));
      await settle();
      expect(rendered.at(-1)).toEqual([2, 3]);
    } finally {
      renderer.unmount();
    }
  });

  it('should tell the error a stream ended with, where the value and items hooks keep what they had', async () => {
    // docs/clients.md: useStreamValue and useStreamItems take a stream's values only; useStreamError says why no more
    // come, and nothing for another stream.
    const first = new Stream<number>();
    const second = new Stream<number>();
    const rendered: Array<{ value: number; items: number[]; error: unknown }> = [];
    function View({ stream }: { stream: Stream<number> }) {
      const shown = { value: useStreamValue(stream, 0), items: useStreamItems(stream), error: useStreamError(stream) };
      rendered.push(shown);
      return createElement('p', null, String(shown.value));
    }
    const renderer: ReactTestRenderer = create(createElement(View, { stream: first }));
    try {
      await settle();
      first.next(1);
      await settle();
      expect(rendered.at(-1)).toEqual({ value: 1, items: [1], error: undefined });
      const refused = new Error('FORBIDDEN');
      first.error(refused);
      await settle();
      expect(rendered.at(-1)).toEqual({ value: 1, items: [1], error: refused });
      renderer.update(createElement(View, { stream: second }));
      await settle();
      expect(rendered.at(-1)).toEqual({ value: 0, items: [], error: undefined });
    } finally {
      renderer.unmount();
    }
  });
});
