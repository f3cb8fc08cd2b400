// Renders the Markdown subset of FAQ answers as DOM nodes (never an HTML string).
import { Fragment, h, type ComponentChildren } from 'preact';
import { parseMarkdown, type Inline } from '../markdown.js';

function renderInline(nodes: Inline[]): ComponentChildren {
  return nodes.map((n, i) => {
    if (typeof n === 'string') return n;
    if ('br' in n) return <br key={i} />;
    if ('b' in n) return <strong key={i}>{renderInline(n.b)}</strong>;
    if ('i' in n) return <em key={i}>{renderInline(n.i)}</em>;
    return (
      <a key={i} href={n.a} target="_blank" rel="noopener noreferrer">
        {renderInline(n.c)}
      </a>
    );
  });
}

export function Rich({ text }: { text: string }) {
  return (
    <>
      {parseMarkdown(text).map((b, i) =>
        'p' in b ? (
          <p key={i}>{renderInline(b.p)}</p>
        ) : 'ul' in b ? (
          <ul key={i}>
            {b.ul.map((item, j) => (
              <li key={j}>{renderInline(item)}</li>
            ))}
          </ul>
        ) : (
          <ol key={i}>
            {b.ol.map((item, j) => (
              <li key={j}>{renderInline(item)}</li>
            ))}
          </ol>
        ),
      )}
    </>
  );
}
