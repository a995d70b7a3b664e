/**
 * Compose: pick up to ten photos; each is checked here (type by its bytes, size, pixels),
 * uploaded with its own progress bar, then polled until the media service has made its
 * variants. Each keeps its own error. Alt text per photo and a caption, then post.
 */
import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../api/http';
import { mediaApi } from '../api/media';
import { postsApi } from '../api/posts';
import type { MediaLimits } from '../api/types';
import { ErrorSummary, TextArea, TextField, buttonClass } from '../components/forms';
import { CloseIcon, ImageIcon } from '../components/icons';
import { PageTitle } from '../components/Layout';
import { formatBytes } from '../lib/format';
import { describeTypes } from '../lib/image-file';
import { statusText, uploadPhoto, type UploadState } from '../lib/uploadPhoto';
import { UploadProgress } from '../components/UploadProgress';

export const MAX_PHOTOS = 10;
export const MAX_CAPTION = 2200;
const DEFAULT_ACCEPT = 'image/jpeg,image/png,image/webp,image/avif,image/gif';

interface Item extends UploadState {
  key: string;
  file: File;
  preview: string | null;
  alt: string;
}

let nextKey = 0;

function acceptFor(limits: MediaLimits | null): string {
  if (!limits) return DEFAULT_ACCEPT;
  return limits.types.map((t) => (t.includes('/') ? t : `image/${t === 'jpg' ? 'jpeg' : t}`)).join(',');
}

export default function Compose() {
  const navigate = useNavigate();
  const inputId = useId();
  const [items, setItems] = useState<Item[]>([]);
  const [caption, setCaption] = useState('');
  const [captionError, setCaptionError] = useState<string>();
  const [general, setGeneral] = useState<string[]>([]);
  const [limits, setLimits] = useState<MediaLimits | null>(null);
  const [posting, setPosting] = useState(false);
  const [dragging, setDragging] = useState(false);
  const controllers = useRef(new Map<string, AbortController>());
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  });

  useEffect(() => {
    mediaApi.limits().then(setLimits, () => undefined);
  }, []);

  // Leaving the screen cancels uploads still running and frees the previews.
  useEffect(
    () => () => {
      for (const c of controllers.current.values()) c.abort();
      for (const item of itemsRef.current) if (item.preview) URL.revokeObjectURL(item.preview);
    },
    [],
  );

  const update = (key: string, changes: Partial<Item>) =>
    setItems((prev) => prev.map((item) => (item.key === key ? { ...item, ...changes } : item)));

  const process = async (key: string, file: File) => {
    const controller = new AbortController();
    controllers.current.set(key, controller);
    await uploadPhoto(file, (changes) => update(key, changes), controller.signal);
    controllers.current.delete(key);
  };

  const addFiles = (files: FileList | File[]) => {
    const list = Array.from(files);
    if (list.length === 0) return;
    const room = MAX_PHOTOS - itemsRef.current.length;
    setGeneral(list.length > room ? [`A post has at most ${MAX_PHOTOS} photos; ${list.length - Math.max(0, room)} not added.`] : []);
    const added = list.slice(0, Math.max(0, room)).map<Item>((file) => ({
      key: `photo-${++nextKey}`,
      file,
      preview: typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null,
      alt: '',
      status: 'checking',
      progress: 0,
    }));
    setItems((prev) => [...prev, ...added]);
    for (const item of added) void process(item.key, item.file);
  };

  const remove = (key: string) => {
    controllers.current.get(key)?.abort();
    const item = itemsRef.current.find((i) => i.key === key);
    if (item?.preview) URL.revokeObjectURL(item.preview);
    // An uploaded photo that will not be posted is released at once (best effort).
    if (item?.media && item.media.status !== 'failed') void mediaApi.remove(item.media.id).catch(() => undefined);
    setItems((prev) => prev.filter((i) => i.key !== key));
  };

  const ready = items.filter((i) => i.status === 'ready' && i.media);
  const busy = items.some((i) => i.status === 'checking' || i.status === 'uploading' || i.status === 'processing');
  const failedCount = items.filter((i) => i.status === 'failed').length;
  const canPost = ready.length > 0 && !busy && !posting && caption.length <= MAX_CAPTION;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setGeneral([]);
    setCaptionError(undefined);
    if (caption.length > MAX_CAPTION) {
      setCaptionError(`A caption has at most ${MAX_CAPTION} characters.`);
      return;
    }
    if (ready.length === 0) {
      setGeneral(['Add at least one photo.']);
      return;
    }
    if (busy) {
      setGeneral(['Wait for every photo to finish uploading.']);
      return;
    }
    setPosting(true);
    try {
      const post = await postsApi.create(
        caption.trim(),
        ready.map((i) => (i.alt.trim() ? { id: i.media!.id, alt: i.alt.trim() } : { id: i.media!.id })),
      );
      setItems([]);
      navigate('/', { state: { justPosted: post } });
    } catch (err) {
      setPosting(false);
      if (err instanceof ApiError) {
        setCaptionError(err.fieldMessage('caption'));
        setGeneral(err.generalMessages(['caption']));
      } else {
        setGeneral(['Could not post. Try again.']);
      }
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    addFiles(e.dataTransfer.files);
  };

  return (
    <div className="px-4 md:px-0">
      <PageTitle inset={false}>New post</PageTitle>
      <form onSubmit={submit} noValidate className="flex flex-col gap-5" aria-label="New post">
        <ErrorSummary messages={general} />

        <div
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          className={`rounded-xl border-2 border-dashed p-6 text-center ${dragging ? 'border-violet-500 bg-violet-50' : 'border-stone-300 bg-white'}`}
        >
          <ImageIcon className="mx-auto mb-2 text-stone-500" width={32} height={32} />
          <input
            id={inputId}
            type="file"
            accept={acceptFor(limits)}
            multiple
            className="peer sr-only"
            disabled={items.length >= MAX_PHOTOS}
            onChange={(e) => {
              if (e.target.files) addFiles(e.target.files);
              e.target.value = '';
            }}
            aria-describedby={`${inputId}-rules`}
          />
          <label
            htmlFor={inputId}
            className={`${buttonClass('primary')} cursor-pointer peer-focus-visible:ring-2 peer-focus-visible:ring-violet-500 peer-focus-visible:ring-offset-2 peer-disabled:cursor-not-allowed peer-disabled:bg-violet-300`}
          >
            {items.length === 0 ? 'Choose photos' : 'Add more photos'}
          </label>
          <p id={`${inputId}-rules`} className="mt-2 text-xs text-stone-600">
            Up to {MAX_PHOTOS} photos
            {limits ? `: ${describeTypes(limits.types)}, each up to ${formatBytes(limits.maxBytes)}` : ''}. Or drop them here.
          </p>
        </div>

        {items.length > 0 && (
          <ol className="flex flex-col gap-4" aria-label="Photos">
            {items.map((item, index) => (
              <PhotoRow
                key={item.key}
                item={item}
                index={index}
                onAlt={(alt) => update(item.key, { alt })}
                onRemove={() => remove(item.key)}
              />
            ))}
          </ol>
        )}

        <TextArea
          label="Caption"
          value={caption}
          onChange={(e) => setCaption(e.target.value)}
          error={captionError}
          rows={4}
          hint={`${caption.length}/${MAX_CAPTION}. Use #hashtags and @mentions.`}
        />

        {failedCount > 0 && ready.length > 0 && !busy && (
          <p className="text-sm text-stone-600">Photos that failed are left out of the post.</p>
        )}
        <div className="flex justify-end gap-3 pb-4">
          <button type="button" className={buttonClass('secondary')} onClick={() => navigate(-1)}>
            Cancel
          </button>
          <button type="submit" className={buttonClass('primary', 'min-w-24')} disabled={!canPost}>
            {posting ? 'Posting…' : busy ? 'Uploading…' : 'Post'}
          </button>
        </div>
      </form>
    </div>
  );
}

function PhotoRow({ item, index, onAlt, onRemove }: { item: Item; index: number; onAlt: (alt: string) => void; onRemove: () => void }) {
  const failed = item.status === 'failed';
  return (
    <li className="flex gap-3 rounded-xl border border-stone-200 bg-white p-3" data-testid="compose-photo" data-status={item.status}>
      <div className="h-20 w-20 shrink-0 overflow-hidden rounded-lg bg-stone-200">
        {item.preview && !failed && (
          <img src={item.preview} alt={item.alt || `Preview of ${item.file.name}`} className="h-full w-full object-cover" />
        )}
      </div>
      <div className="flex min-w-0 flex-1 flex-col gap-2">
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <p className="truncate text-sm font-medium text-stone-900">{item.file.name}</p>
            <p className="text-xs text-stone-600">
              {formatBytes(item.file.size)} ·{' '}
              <span className={failed ? 'text-rose-700' : item.status === 'ready' ? 'text-emerald-700' : ''}>{statusText(item)}</span>
            </p>
          </div>
          <button
            type="button"
            onClick={onRemove}
            className="rounded-full p-1 text-stone-600 outline-none hover:bg-stone-100 focus-visible:ring-2 focus-visible:ring-violet-500"
            aria-label={`Remove ${item.file.name}`}
          >
            <CloseIcon width={18} height={18} />
          </button>
        </div>
        {!failed && <UploadProgress state={item} name={item.file.name} />}
        {failed && item.error && (
          <p role="alert" className="text-sm text-rose-700">
            {item.error}
          </p>
        )}
        {!failed && (
          <TextField
            label={`Alt text for photo ${index + 1}`}
            value={item.alt}
            onChange={(e) => onAlt(e.target.value)}
            maxLength={1000}
            placeholder="Describe the photo for people who can't see it"
          />
        )}
      </div>
    </li>
  );
}
