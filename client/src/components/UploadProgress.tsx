import { statusText, type UploadState } from '../lib/uploadPhoto';

/** The per-file progress bar: bytes sent while uploading, full (pulsing) while processing. */
export function UploadProgress({ state, name }: { state: UploadState; name: string }) {
  const percent = Math.round(state.progress * 100);
  return (
    <div
      role="progressbar"
      aria-label={`Upload of ${name}`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={statusText(state)}
      className="h-1.5 w-full overflow-hidden rounded-full bg-stone-200"
    >
      <div
        className={`h-full rounded-full transition-[width] duration-200 ${state.status === 'ready' ? 'bg-emerald-500' : 'bg-violet-600'} ${
          state.status === 'processing' ? 'animate-pulse' : ''
        }`}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
}
