// `/asyncapi`: the AsyncAPI document as one static HTML page for people (no script, nothing fetched from elsewhere).

interface Channel {
  address: string | null;
  description: string;
  messages: Record<string, { $ref: string }>;
}

interface Message {
  name: string;
  payload: unknown;
}

interface Document {
  asyncapi: string;
  info: { title: string; description: string };
  channels: Record<string, Channel>;
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Follows a local `#/a/b` reference. */
function resolve(document: object, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}

export function renderAsyncApiPage(input: Record<string, unknown>): string {
  const document = input as unknown as Document;
  const sections: string[] = [];
  for (const [key, channel] of Object.entries(document.channels)) {
    const rows = Object.values(channel.messages).map((entry) => {
      const message = resolve(document, entry.$ref) as Message;
      const schema = JSON.stringify(message.payload, null, 2);
      return `<tr><td><code>${escape(message.name)}</code></td><td><details><summary>payload</summary><pre>${escape(schema)}</pre></details></td></tr>`;
    });
    sections.push(
      `<section id="${escape(key)}"><h2>${escape(channel.address ?? 'socket')}</h2><p>${escape(channel.description)}</p>` +
        `<table><thead><tr><th>event</th><th>payload</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`,
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(document.info.title)}: sockets</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}pre{font-size:.8rem;overflow:auto}</style>
</head><body><h1>${escape(document.info.title)}</h1><p>${escape(document.info.description)}</p>
<p>AsyncAPI ${escape(document.asyncapi)} document: <a href="/asyncapi.json">/asyncapi.json</a>. REST: <a href="/docs">/docs</a>.</p>
${sections.join('\n')}
</body></html>
`;
}
