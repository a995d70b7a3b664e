/** Edit display name, bio and avatar (uploaded like any photo, then named by its media id). */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../api/http';
import { usersApi } from '../api/users';
import type { User } from '../api/types';
import { Avatar } from '../components/Avatar';
import { ErrorSummary, TextArea, TextField, buttonClass } from '../components/forms';
import { PageTitle } from '../components/Layout';
import { ErrorState, Spinner } from '../components/status';
import { UploadProgress } from '../components/UploadProgress';
import { useResource } from '../lib/useResource';
import { checkBio, checkDisplayName, focusFirstInvalid, hasErrors, type Errors } from '../lib/validation';
import { statusText, uploadPhoto, type UploadState } from '../lib/uploadPhoto';
import { useSession, useViewer } from '../session';

type Field = 'displayName' | 'bio' | 'avatarMediaId';

/** Starts from the stored profile (the session's copy may lack the bio), then edits it. */
export default function EditProfile() {
  const viewer = useViewer();
  const profile = useResource((signal) => usersApi.profile(viewer.username, signal), viewer.id);
  if (profile.loading) return <Spinner label="Loading profile" />;
  if (!profile.data) return <ErrorState message={profile.error ?? 'Could not load your profile.'} onRetry={profile.reload} />;
  return <EditProfileForm current={profile.data} />;
}

function EditProfileForm({ current }: { current: User }) {
  const viewer = useViewer();
  const { setUser } = useSession();
  const navigate = useNavigate();
  const form = useRef<HTMLFormElement>(null);
  const fileId = useId();
  const [displayName, setDisplayName] = useState(current.displayName ?? '');
  const [bio, setBio] = useState(current.bio ?? '');
  const [avatarFile, setAvatarFile] = useState<{ file: File; preview: string | null } | null>(null);
  const [upload, setUpload] = useState<UploadState | null>(null);
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const controller = useRef<AbortController | null>(null);

  useEffect(
    () => () => {
      controller.current?.abort();
    },
    [],
  );
  useEffect(
    () => () => {
      if (avatarFile?.preview) URL.revokeObjectURL(avatarFile.preview);
    },
    [avatarFile],
  );

  const pickAvatar = (file: File | undefined) => {
    if (!file) return;
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setAvatarFile({ file, preview: typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : null });
    setUpload({ status: 'checking', progress: 0 });
    setErrors((e) => ({ ...e, avatarMediaId: undefined }));
    void uploadPhoto(file, (changes) => setUpload((s) => ({ ...(s ?? { status: 'checking', progress: 0 }), ...changes })), c.signal);
  };

  const uploading = upload !== null && upload.status !== 'ready' && upload.status !== 'failed';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setGeneral([]);
    const found: Errors<Field> = { displayName: checkDisplayName(displayName), bio: checkBio(bio) };
    setErrors(found);
    if (hasErrors(found)) {
      requestAnimationFrame(() => focusFirstInvalid(form.current));
      return;
    }
    if (uploading) {
      setGeneral(['Wait for the photo to finish uploading.']);
      return;
    }
    setSaving(true);
    try {
      // Only what changed is sent: a field left alone is never overwritten by a stale copy.
      const changes: { displayName?: string; bio?: string; avatarMediaId?: string } = {};
      if (displayName.trim() !== (current.displayName ?? '')) changes.displayName = displayName.trim();
      if (bio !== (current.bio ?? '')) changes.bio = bio;
      if (upload?.status === 'ready' && upload.media) changes.avatarMediaId = upload.media.id;
      if (Object.keys(changes).length === 0) {
        navigate(`/u/${viewer.username}`);
        return;
      }
      const user = await usersApi.updateMe(changes);
      setUser({ ...viewer, ...user });
      navigate(`/u/${user.username}`);
    } catch (err) {
      setSaving(false);
      if (err instanceof ApiError) {
        setErrors({
          displayName: err.fieldMessage('displayName'),
          bio: err.fieldMessage('bio'),
          avatarMediaId: err.fieldMessage('avatarMediaId'),
        });
        setGeneral(err.generalMessages(['displayName', 'bio', 'avatarMediaId']));
      } else setGeneral(['Could not save. Try again.']);
    }
  };

  const previewUser =
    avatarFile?.preview && upload?.status !== 'failed'
      ? { ...viewer, avatar: { mediaId: '', url: avatarFile.preview, blurhash: '' } }
      : viewer;

  return (
    <div className="px-4 md:px-0">
      <PageTitle inset={false}>Edit profile</PageTitle>
      <form ref={form} onSubmit={submit} noValidate className="flex flex-col gap-5" aria-label="Edit profile">
        <ErrorSummary messages={general} />
        <fieldset className="flex items-center gap-4">
          <legend className="sr-only">Profile photo</legend>
          <Avatar user={previewUser} size="lg" labelled />
          <div className="flex min-w-0 flex-1 flex-col gap-2">
            <input
              id={fileId}
              type="file"
              accept="image/jpeg,image/png,image/webp,image/avif,image/gif"
              className="peer sr-only"
              onChange={(e) => {
                pickAvatar(e.target.files?.[0]);
                e.target.value = '';
              }}
              aria-invalid={errors.avatarMediaId || upload?.status === 'failed' ? true : undefined}
            />
            <label
              htmlFor={fileId}
              className={`${buttonClass('secondary')} w-fit cursor-pointer peer-focus-visible:ring-2 peer-focus-visible:ring-violet-500`}
            >
              Change profile photo
            </label>
            {upload && avatarFile && (
              <>
                <p className="text-xs text-stone-600">
                  {avatarFile.file.name} · {statusText(upload)}
                </p>
                {upload.status !== 'failed' && <UploadProgress state={upload} name={avatarFile.file.name} />}
              </>
            )}
            {(upload?.status === 'failed' && upload.error) || errors.avatarMediaId ? (
              <p role="alert" className="text-sm text-rose-700">
                {errors.avatarMediaId ?? upload?.error}
              </p>
            ) : null}
          </div>
        </fieldset>
        <TextField
          label="Display name"
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          error={errors.displayName}
          autoComplete="name"
          hint={`${displayName.trim().length}/50`}
        />
        <TextArea label="Bio" value={bio} onChange={(e) => setBio(e.target.value)} error={errors.bio} rows={3} hint={`${bio.length}/160`} />
        <div className="flex justify-end gap-3">
          <button type="button" className={buttonClass('secondary')} onClick={() => navigate(-1)}>
            Cancel
          </button>
          <button type="submit" className={buttonClass('primary')} disabled={saving || uploading}>
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </div>
  );
}
