/**
 * The search field with autocomplete (the ARIA combobox pattern): suggestions from
 * GET /api/v1/search/suggest as one types, arrow keys to move, Enter to open one, Escape to close.
 */
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import { searchApi } from '../api/search';
import type { Suggestion } from '../api/types';
import { displayNameOf } from '../lib/format';
import { Avatar } from './Avatar';
import { SearchIcon } from './icons';

const DEBOUNCE_MS = 150;

function hrefFor(s: Suggestion): string {
  return s.type === 'user' ? `/u/${encodeURIComponent(s.username)}` : `/tags/${encodeURIComponent(s.tag)}`;
}

export function SearchBox({ initial = '', autoFocus = false }: { initial?: string; autoFocus?: boolean }) {
  const navigate = useNavigate();
  const id = useId();
  const listId = `${id}-suggestions`;
  const [text, setText] = useState(initial);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const typed = useRef(false);

  useEffect(() => setText(initial), [initial]);

  useEffect(() => {
    const q = text.trim();
    if (!typed.current || q.length === 0) {
      setSuggestions([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      searchApi.suggest(q, controller.signal).then(
        (items) => {
          setSuggestions(items.slice(0, 8));
          setActive(-1);
          setOpen(true);
        },
        () => undefined,
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text]);

  const go = (href: string) => {
    setOpen(false);
    typed.current = false;
    navigate(href);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const chosen = open ? suggestions[active] : undefined;
    if (chosen) return go(hrefFor(chosen));
    const q = text.trim();
    if (q) go(`/search?q=${encodeURIComponent(q)}`);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' && suggestions.length > 0) {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (i + 1) % suggestions.length);
    } else if (e.key === 'ArrowUp' && suggestions.length > 0) {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (i <= 0 ? suggestions.length - 1 : i - 1));
    } else if (e.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    }
  };

  const expanded = open && suggestions.length > 0;
  return (
    <form role="search" onSubmit={submit} className="relative">
      <label htmlFor={id} className="sr-only">
        Search people and hashtags
      </label>
      <SearchIcon className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-stone-500" width={18} height={18} />
      <input
        id={id}
        type="search"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
        autoComplete="off"
        autoFocus={autoFocus}
        placeholder="Search people, #hashtags, captions"
        value={text}
        onChange={(e) => {
          typed.current = true;
          setText(e.target.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onFocus={() => suggestions.length > 0 && setOpen(true)}
        className="w-full rounded-full border border-stone-300 bg-white py-2 pr-4 pl-10 text-base shadow-sm outline-none focus-visible:ring-2 focus-visible:ring-violet-500"
      />
      <ul
        id={listId}
        role="listbox"
        aria-label="Suggestions"
        hidden={!expanded}
        className="absolute inset-x-0 top-full z-30 mt-1 overflow-hidden rounded-xl border border-stone-200 bg-white py-1 shadow-lg"
      >
        {suggestions.map((s, i) => (
          <li
            key={`${s.type}:${s.type === 'user' ? s.id : s.tag}`}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            onMouseDown={(e) => {
              e.preventDefault();
              go(hrefFor(s));
            }}
            onMouseEnter={() => setActive(i)}
            className={`flex cursor-pointer items-center gap-3 px-3 py-2 text-sm ${i === active ? 'bg-violet-50' : ''}`}
          >
            {s.type === 'user' ? (
              <>
                <Avatar user={s} size="xs" />
                <span className="min-w-0 truncate">
                  <span className="font-semibold">{displayNameOf(s)}</span> <span className="text-stone-500">@{s.username}</span>
                </span>
              </>
            ) : (
              <>
                <span
                  className="flex h-7 w-7 items-center justify-center rounded-full bg-stone-100 font-semibold text-stone-600"
                  aria-hidden="true"
                >
                  #
                </span>
                <span className="min-w-0 truncate">
                  <span className="font-semibold">#{s.tag}</span>
                  {s.postCount !== undefined && <span className="text-stone-500"> · {s.postCount} posts</span>}
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
    </form>
  );
}
