// A line a screen reader reads out, politely, and nobody sees.
import type { Key } from 'react';

/**
 * Says `text` each time `id` changes (a new message, a new item created), the same words twice included: a screen
 * reader reads what is added to a live region, and a text set to what it already was adds nothing, so each piece of
 * news gets a node of its own.
 */
export function Announcer({ id, text }: { id: Key | undefined; text: string | undefined }) {
  return (
    <p className="visually-hidden" role="status" data-announcer="">
      {text && <span key={id}>{text}</span>}
    </p>
  );
}
