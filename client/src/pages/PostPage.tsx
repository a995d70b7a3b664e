/** One post: its photos, likes, and the conversation under it. */
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/http';
import { postsApi } from '../api/posts';
import type { Comment, Post } from '../api/types';
import { Avatar } from '../components/Avatar';
import { ErrorSummary, TextArea, buttonClass } from '../components/forms';
import { useDocumentTitle } from '../components/Layout';
import { LikeButton, PostPhotos } from '../components/PostCard';
import { RichText } from '../components/RichText';
import { EmptyState, ErrorState, LoadMore, Spinner } from '../components/status';
import { displayNameOf, fullDate, timeAgo } from '../lib/format';
import { usePagedList } from '../lib/usePagedList';
import { useResource } from '../lib/useResource';
import { useViewer } from '../session';

export const MAX_COMMENT = 1000;

export default function PostPage() {
  const { id = '' } = useParams();
  const post = useResource((signal) => postsApi.get(id, signal), id);

  if (post.loading) return <Spinner label="Loading post" />;
  if (!post.data) {
    return post.status === 404 ? (
      <div className="p-4 md:p-0">
        <EmptyState title="This post is not here">It may have been deleted.</EmptyState>
      </div>
    ) : (
      <ErrorState message={post.error ?? 'Could not load the post.'} onRetry={post.reload} />
    );
  }
  return <PostView post={post.data} />;
}

function PostView({ post }: { post: Post }) {
  const viewer = useViewer();
  const navigate = useNavigate();
  const name = displayNameOf(post.author);
  const [commentCount, setCommentCount] = useState(post.commentCount);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  useDocumentTitle(`${name}: ${post.caption.slice(0, 40) || 'photo'}`);
  const comments = usePagedList<Comment>((cursor, signal) => postsApi.comments(post.id, cursor, signal), post.id);
  const isAuthor = viewer.id === post.author.id;

  const deletePost = async () => {
    if (!window.confirm('Delete this post? This cannot be undone.')) return;
    try {
      await postsApi.remove(post.id);
      navigate(`/u/${viewer.username}`, { replace: true });
    } catch (err) {
      setDeleteError(err instanceof Error ? err.message : 'Could not delete the post.');
    }
  };

  return (
    <article aria-labelledby="post-heading" className="bg-white md:overflow-hidden md:rounded-xl md:border md:border-stone-200">
      <header className="flex items-center gap-3 px-4 py-3">
        <Avatar user={post.author} size="sm" />
        <div className="min-w-0 flex-1 leading-tight">
          <h1 id="post-heading" className="truncate text-sm font-semibold">
            <Link to={`/u/${post.author.username}`} className="hover:underline">
              {name}
            </Link>
          </h1>
          <p className="text-xs text-stone-500">
            <time dateTime={post.createdAt}>{fullDate(post.createdAt)}</time>
          </p>
        </div>
        {isAuthor && (
          <button type="button" onClick={deletePost} className={buttonClass('danger', 'px-3 py-1.5 text-xs')}>
            Delete post
          </button>
        )}
      </header>
      {deleteError && (
        <p role="alert" className="px-4 pb-2 text-sm text-rose-700">
          {deleteError}
        </p>
      )}
      <PostPhotos post={post} eager />
      <div className="flex flex-col gap-3 px-4 py-3">
        <LikeButton post={post} />
        {post.caption && (
          <p className="text-sm break-words whitespace-pre-line">
            <Link to={`/u/${post.author.username}`} className="mr-1.5 font-semibold hover:underline">
              {post.author.username}
            </Link>
            <RichText text={post.caption} />
          </p>
        )}
      </div>

      <section aria-labelledby="comments-heading" className="border-t border-stone-200 px-4 py-3">
        <h2 id="comments-heading" className="mb-2 text-sm font-semibold">
          Comments {commentCount > 0 && <span className="font-normal text-stone-500">({commentCount})</span>}
        </h2>
        {comments.items.length === 0 && comments.done && !comments.error ? (
          <p className="py-2 text-sm text-stone-500">No comments yet. Start the conversation.</p>
        ) : (
          <ul className="flex flex-col gap-3">
            {comments.items.map((c) => (
              <CommentRow
                key={c.id}
                comment={c}
                canDelete={c.author.id === viewer.id || isAuthor}
                onDelete={async () => {
                  await postsApi.removeComment(post.id, c.id);
                  comments.setItems((items) => items.filter((i) => i.id !== c.id));
                  setCommentCount((n) => Math.max(0, n - 1));
                }}
              />
            ))}
          </ul>
        )}
        <LoadMore
          onLoadMore={comments.loadMore}
          loading={comments.loading}
          done={comments.done}
          error={comments.error}
          itemCount={comments.items.length}
        />
        <CommentForm
          postId={post.id}
          onAdded={(comment) => {
            // Comments are oldest first: a new one belongs at the end, once every page is in.
            comments.setItems((items) => [...items, comment]);
            setCommentCount((n) => n + 1);
          }}
        />
      </section>
    </article>
  );
}

function CommentRow({ comment, canDelete, onDelete }: { comment: Comment; canDelete: boolean; onDelete: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <li className="flex gap-2.5">
      <Avatar user={comment.author} size="xs" />
      <div className="min-w-0 flex-1 text-sm">
        <p className="break-words">
          <Link to={`/u/${comment.author.username}`} className="mr-1.5 font-semibold hover:underline">
            {comment.author.username}
          </Link>
          <RichText text={comment.body} />
        </p>
        <p className="mt-0.5 flex gap-3 text-xs text-stone-500">
          <time dateTime={comment.createdAt}>{timeAgo(comment.createdAt)}</time>
          {canDelete && (
            <button
              type="button"
              className="rounded hover:underline focus-visible:ring-2 focus-visible:ring-violet-500 focus-visible:outline-none"
              onClick={() => onDelete().catch((err: unknown) => setError(err instanceof Error ? err.message : 'Could not delete'))}
            >
              Delete<span className="sr-only"> comment by {comment.author.username}</span>
            </button>
          )}
        </p>
        {error && (
          <p role="alert" className="text-xs text-rose-700">
            {error}
          </p>
        )}
      </div>
    </li>
  );
}

function CommentForm({ postId, onAdded }: { postId: string; onAdded: (c: Comment) => void }) {
  const [body, setBody] = useState('');
  const [error, setError] = useState<string>();
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setGeneral([]);
    const text = body.trim();
    if (!text) return setError('Write something first.');
    if (text.length > MAX_COMMENT) return setError(`A comment has at most ${MAX_COMMENT} characters.`);
    setError(undefined);
    setBusy(true);
    try {
      onAdded(await postsApi.addComment(postId, text));
      setBody('');
    } catch (err) {
      if (err instanceof ApiError) {
        setError(err.fieldMessage('body'));
        setGeneral(err.generalMessages(['body']));
      } else setGeneral(['Could not add the comment.']);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="mt-3 flex flex-col gap-2">
      <ErrorSummary messages={general} />
      <div>
        <TextArea
          label="Add a comment"
          value={body}
          onChange={(e) => setBody(e.target.value)}
          error={error}
          rows={2}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
      </div>
      <div className="flex justify-end">
        <button type="submit" className={buttonClass('primary', 'px-3 py-1.5')} disabled={busy || !body.trim()}>
          {busy ? 'Posting…' : 'Post comment'}
        </button>
      </div>
    </form>
  );
}
