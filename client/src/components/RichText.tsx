import { Fragment } from 'react';
import { Link } from 'react-router';

// #hashtags (Unicode letters, digits, _) and @mentions (username characters), as posts parses them.
const TOKEN = /(#[\p{L}\p{N}_]+)|(@[a-zA-Z0-9_.]{3,30})/gu;

/** Text with its hashtags and mentions as links. */
export function RichText({ text }: { text: string }) {
  const parts: Array<string | { kind: 'tag' | 'user'; value: string }> = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(text.slice(last, index));
    const token = match[0];
    parts.push({ kind: token.startsWith('#') ? 'tag' : 'user', value: token.slice(1).replace(/\.+$/, '') });
    const consumed = 1 + token.slice(1).replace(/\.+$/, '').length;
    if (consumed < token.length) parts.push(token.slice(consumed));
    last = index + token.length;
  }
  if (last < text.length) parts.push(text.slice(last));

  return (
    <>
      {parts.map((part, i) =>
        typeof part === 'string' ? (
          <Fragment key={i}>{part}</Fragment>
        ) : part.kind === 'tag' ? (
          <Link key={i} to={`/tags/${encodeURIComponent(part.value.toLowerCase())}`} className="text-violet-700 hover:underline">
            #{part.value}
          </Link>
        ) : (
          <Link key={i} to={`/u/${encodeURIComponent(part.value.toLowerCase())}`} className="text-violet-700 hover:underline">
            @{part.value}
          </Link>
        ),
      )}
    </>
  );
}
