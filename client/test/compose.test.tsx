import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { resetMediaLimitsCache } from '../src/api/media';
import { alice, jpegFile, makePost, pngFile } from './support/fixtures';
import { FakeApi, FakeXhr, installNetwork } from './support/network';
import { renderApp } from './support/render';

const LIMITS = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  types: ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif'],
};

let api: FakeApi;
beforeEach(() => {
  resetMediaLimitsCache();
  api = installNetwork();
  api.on('GET', '/api/v1/media/limits', { body: LIMITS });
  api.on('GET', '/api/v1/timeline', { body: { items: [], nextCursor: null } });
  api.on('GET', '/api/v1/timeline/notifications', { body: { items: [], nextCursor: null, unread: 0 } });
});

const rows = () => screen.getAllByTestId('compose-photo');
const rowFor = (name: string) => rows().find((r) => within(r).queryByText(name))!;
const xhrFor = async (name: string) => {
  await waitFor(() => expect(FakeXhr.instances.find((x) => x.file?.name === name)).toBeDefined());
  return FakeXhr.instances.find((x) => x.file?.name === name)!;
};

async function openCompose() {
  const user = userEvent.setup({ applyAccept: false });
  renderApp('/compose', alice);
  const input = await screen.findByLabelText('Choose photos');
  return { user, input };
}

it('uploads each photo with its own progress bar, waits for processing, then posts with alt text and caption', async () => {
  let polls = 0;
  api.on('GET', '/api/v1/media/m-1', () => ({
    body: { media: { id: 'm-1', ownerId: alice.id, status: ++polls < 2 ? 'processing' : 'ready' } },
  }));
  api.on('GET', '/api/v1/media/m-2', { body: { media: { id: 'm-2', ownerId: alice.id, status: 'ready' } } });
  const created = makePost({ id: 'new-post', author: alice, caption: 'Kites over the hill #sky' });
  api.on('POST', '/api/v1/posts', { status: 201, body: { post: created } });
  const { user, input } = await openCompose();

  await user.upload(input, [pngFile('kite.png', 4096), jpegFile('hill.jpg', 2048)]);

  const kite = await xhrFor('kite.png');
  const hill = await xhrFor('hill.jpg');
  expect(kite.method).toBe('POST');
  expect(kite.url).toBe('/api/v1/media');
  kite.progress(1024, 4096);
  hill.progress(1536, 2048);
  await waitFor(() => expect(within(rowFor('kite.png')).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '25'));
  expect(within(rowFor('hill.jpg')).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '75');
  expect(within(rowFor('kite.png')).getByText('Uploading 25%')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Uploading…' })).toBeDisabled();

  kite.respond(202, { media: { id: 'm-1', ownerId: alice.id, status: 'processing' } });
  await waitFor(() => expect(within(rowFor('kite.png')).getByText('Processing…')).toBeInTheDocument());
  expect(within(rowFor('kite.png')).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  hill.respond(202, { media: { id: 'm-2', ownerId: alice.id, status: 'processing' } });

  // Polled until the variants are made.
  await waitFor(() => expect(within(rowFor('kite.png')).getByText('Ready')).toBeInTheDocument(), { timeout: 5000 });
  await waitFor(() => expect(within(rowFor('hill.jpg')).getByText('Ready')).toBeInTheDocument(), { timeout: 5000 });
  expect(polls).toBe(2);

  await user.type(screen.getByLabelText('Alt text for photo 1'), 'A red kite against a grey sky');
  await user.type(screen.getByLabelText('Caption'), 'Kites over the hill #sky');
  await user.click(screen.getByRole('button', { name: 'Post' }));

  await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/));
  expect(api.callsTo('POST', '/api/v1/posts').map((c) => c.body)).toEqual([
    { caption: 'Kites over the hill #sky', media: [{ id: 'm-1', alt: 'A red kite against a grey sky' }, { id: 'm-2' }] },
  ]);
  // The new post is at the top of the feed at once, before fan-out reaches the timeline.
  expect(await screen.findByText('Kites over the hill')).toBeInTheDocument();
});

it('rejects a file that is not an image and one over the size limit before uploading them', async () => {
  api.on('GET', '/api/v1/media/limits', { body: { ...LIMITS, maxBytes: 8192 } });
  const { user, input } = await openCompose();
  const notes = new File(['just some text, not an image at all'], 'notes.png', { type: 'image/png' });

  await user.upload(input, [notes, jpegFile('huge.jpg', 9000), pngFile('fine.png', 1000)]);

  expect(await within(rowFor('notes.png')).findByRole('alert')).toHaveTextContent(
    'notes.png is not a supported image. Use JPEG, PNG, WebP, AVIF or GIF.',
  );
  expect(await within(rowFor('huge.jpg')).findByRole('alert')).toHaveTextContent('huge.jpg is too large (9 KB). The limit is 8 KB.');
  await xhrFor('fine.png');
  // Only the good one went out; the failed ones show no progress bar.
  expect(FakeXhr.instances.map((x) => x.file.name)).toEqual(['fine.png']);
  expect(within(rowFor('notes.png')).queryByRole('progressbar')).toBeNull();
});

it("shows the media service's own errors (413, 415, 422) under the file they belong to", async () => {
  const { user, input } = await openCompose();

  await user.upload(input, [pngFile('big.png'), pngFile('odd.png'), pngFile('broken.png'), pngFile('good.png')]);
  (await xhrFor('big.png')).respond(413, { errors: [{ message: 'The file is larger than 20 MB' }] });
  (await xhrFor('odd.png')).respond(415, { errors: [{ message: 'Only JPEG, PNG, WebP, AVIF and GIF images', field: 'file' }] });
  (await xhrFor('broken.png')).respond(422, { errors: [{ message: 'The image could not be decoded' }] });
  api.on('GET', '/api/v1/media/m-good', { body: { media: { id: 'm-good', ownerId: alice.id, status: 'ready' } } });
  (await xhrFor('good.png')).respond(202, { media: { id: 'm-good', ownerId: alice.id, status: 'processing' } });

  expect(await within(rowFor('big.png')).findByRole('alert')).toHaveTextContent('The file is larger than 20 MB');
  expect(await within(rowFor('odd.png')).findByRole('alert')).toHaveTextContent('Only JPEG, PNG, WebP, AVIF and GIF images');
  expect(await within(rowFor('broken.png')).findByRole('alert')).toHaveTextContent('The image could not be decoded');
  await waitFor(() => expect(within(rowFor('good.png')).getByText('Ready')).toBeInTheDocument(), { timeout: 5000 });
  expect(screen.getByText('Photos that failed are left out of the post.')).toBeInTheDocument();

  // A proxy's 413 page without the JSON shape still gets a clear message.
  await user.upload(input, [pngFile('proxy.png')]);
  (await xhrFor('proxy.png')).respond(413, '<html>413 Request Entity Too Large</html>');
  expect(await within(rowFor('proxy.png')).findByRole('alert')).toHaveTextContent('That file is too large.');

  await user.click(screen.getByRole('button', { name: 'Post' }));
  await waitFor(() => expect(api.callsTo('POST', '/api/v1/posts')).toHaveLength(1));
  expect(api.callsTo('POST', '/api/v1/posts')[0]!.body).toEqual({ caption: '', media: [{ id: 'm-good' }] });
});

it('reports a photo whose processing failed, and lets it be removed', async () => {
  api.on('GET', '/api/v1/media/m-bad', {
    body: { media: { id: 'm-bad', ownerId: alice.id, status: 'failed', error: 'The image has more than 40 megapixels' } },
  });
  const { user, input } = await openCompose();

  await user.upload(input, [pngFile('panorama.png')]);
  (await xhrFor('panorama.png')).respond(202, { media: { id: 'm-bad', ownerId: alice.id, status: 'processing' } });

  expect(await within(rowFor('panorama.png')).findByRole('alert', {}, { timeout: 5000 })).toHaveTextContent(
    'The image has more than 40 megapixels',
  );
  expect(screen.getByRole('button', { name: 'Post' })).toBeDisabled();

  await user.click(screen.getByRole('button', { name: 'Remove panorama.png' }));
  expect(screen.queryAllByTestId('compose-photo')).toHaveLength(0);
});

it('keeps a caption error from the API next to the caption', async () => {
  api.on('GET', '/api/v1/media/m-1', { body: { media: { id: 'm-1', ownerId: alice.id, status: 'ready' } } });
  api.on('POST', '/api/v1/posts', { status: 400, body: { errors: [{ message: 'Caption is too long', field: 'caption' }] } });
  const { user, input } = await openCompose();
  await user.upload(input, [pngFile('a.png')]);
  (await xhrFor('a.png')).respond(202, { media: { id: 'm-1', ownerId: alice.id, status: 'processing' } });
  await waitFor(() => expect(within(rowFor('a.png')).getByText('Ready')).toBeInTheDocument(), { timeout: 5000 });

  await user.type(screen.getByLabelText('Caption'), 'hello');
  await user.click(screen.getByRole('button', { name: 'Post' }));

  await waitFor(() => expect(screen.getByLabelText('Caption')).toHaveAttribute('aria-invalid', 'true'));
  expect(screen.getByLabelText('Caption')).toHaveAccessibleDescription(/Caption is too long/);
  expect(screen.getByTestId('location')).toHaveTextContent('/compose');
});

it('retries an upload once after a quiet session refresh when the access token has expired', async () => {
  api.on('POST', '/api/v1/users/refresh', { body: { user: alice } });
  const { user, input } = await openCompose();
  await user.upload(input, [pngFile('late.png')]);

  (await xhrFor('late.png')).respond(401, { errors: [{ message: 'Not signed in' }] });
  await waitFor(() => expect(FakeXhr.instances.filter((x) => x.file?.name === 'late.png')).toHaveLength(2));

  expect(api.callsTo('POST', '/api/v1/users/refresh')).toHaveLength(1);
  expect(within(rowFor('late.png')).queryByRole('alert')).toBeNull();
});
