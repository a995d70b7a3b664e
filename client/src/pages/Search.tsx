import { Link, useSearchParams } from 'react-router';
import { searchApi } from '../api/search';
import { PageTitle } from '../components/Layout';
import { PostGrid } from '../components/PostGrid';
import { SearchBox } from '../components/SearchBox';
import { EmptyState, ErrorState, Spinner } from '../components/status';
import { UserRow } from '../components/users';
import { useResource } from '../lib/useResource';

/** Search results: the best few people, hashtags and posts for a query. */
export default function Search() {
  const [params] = useSearchParams();
  const q = (params.get('q') ?? '').trim();
  return (
    <div className="px-4 md:px-0">
      <PageTitle title={q ? `Search: ${q}` : 'Search'} inset={false}>
        Search
      </PageTitle>
      <SearchBox initial={q} autoFocus={!q} />
      <div className="mt-4">
        {q ? (
          <Results key={q} q={q} />
        ) : (
          <p className="text-sm text-stone-600">
            Find people by name, posts by caption or alt text, and #hashtags. Or browse{' '}
            <Link to="/explore" className="font-semibold text-violet-700 hover:underline">
              Explore
            </Link>
            .
          </p>
        )}
      </div>
    </div>
  );
}

function Results({ q }: { q: string }) {
  const results = useResource((signal) => searchApi.all(q, signal), q);
  if (results.loading) return <Spinner label="Searching" />;
  if (!results.data) return <ErrorState message={results.error ?? 'Search failed.'} onRetry={results.reload} />;
  const { users, hashtags, posts } = results.data;
  if (users.length + hashtags.length + posts.length === 0)
    return <EmptyState title={`Nothing found for “${q}”`}>Try another word.</EmptyState>;
  return (
    <div className="flex flex-col gap-6">
      {users.length > 0 && (
        <section aria-labelledby="people-heading">
          <h2 id="people-heading" className="mb-1 text-sm font-semibold text-stone-600 uppercase">
            People
          </h2>
          <ul className="divide-y divide-stone-100">
            {users.map((u) => (
              <UserRow key={u.id} user={u} />
            ))}
          </ul>
        </section>
      )}
      {hashtags.length > 0 && (
        <section aria-labelledby="tags-heading">
          <h2 id="tags-heading" className="mb-2 text-sm font-semibold text-stone-600 uppercase">
            Hashtags
          </h2>
          <ul className="flex flex-wrap gap-2">
            {hashtags.map((h) => (
              <li key={h.tag}>
                <Link
                  to={`/tags/${encodeURIComponent(h.tag)}`}
                  className="inline-block rounded-full bg-violet-50 px-3 py-1 text-sm font-medium text-violet-800 hover:bg-violet-100"
                >
                  #{h.tag}
                  {h.postCount !== undefined && <span className="text-violet-600"> · {h.postCount}</span>}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      {posts.length > 0 && (
        <section aria-labelledby="posts-heading">
          <h2 id="posts-heading" className="mb-2 text-sm font-semibold text-stone-600 uppercase">
            Posts
          </h2>
          <PostGrid posts={posts} label={`Posts matching ${q}`} />
        </section>
      )}
    </div>
  );
}
