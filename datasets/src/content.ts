/**
 * Generated content: photos (sharp renders an SVG scene, then JPEG with an EXIF orientation on
 * some, so media's rotate-and-strip has work to do) and captions with hashtags and words that
 * search, suggestions and explore can find. Deterministic by seed.
 */
import sharp from 'sharp';
import { pick, seededRandom } from './util/pool';

export interface PhotoOptions {
  width: number;
  height: number;
  /** EXIF orientation written into the JPEG (1: upright; 6: rotate 90° clockwise to show). */
  orientation?: number;
  quality?: number;
}

function hsl(h: number, s: number, l: number): string {
  return `hsl(${Math.round(h)},${Math.round(s)}%,${Math.round(l)}%)`;
}

/** An SVG scene: a sky-like gradient, a horizon, a few soft shapes; distinct for every seed. */
function scene(seed: number, width: number, height: number): string {
  const random = seededRandom(seed);
  const hue = random() * 360;
  const shapes: string[] = [];
  for (let i = 0; i < 12; i += 1) {
    const r = (0.03 + random() * 0.12) * Math.min(width, height);
    shapes.push(
      `<circle cx="${(random() * width).toFixed(0)}" cy="${(random() * height).toFixed(0)}" r="${r.toFixed(0)}" fill="${hsl(hue + random() * 120, 60, 35 + random() * 40)}" fill-opacity="${(0.3 + random() * 0.6).toFixed(2)}"/>`,
    );
  }
  const horizon = (0.45 + random() * 0.3) * height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${hsl(hue, 70, 70)}"/><stop offset="1" stop-color="${hsl(hue + 40, 60, 45)}"/>
    </linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <rect y="${horizon.toFixed(0)}" width="100%" height="${(height - horizon).toFixed(0)}" fill="${hsl(hue + 180, 35, 30)}"/>
    ${shapes.join('')}
  </svg>`;
}

/**
 * A JPEG photo. Light grain over the scene gives the encoder (and media's decoder) realistic work;
 * a flat scene would compress to almost nothing.
 */
export async function generatePhoto(seed: number, options: PhotoOptions): Promise<Buffer> {
  const { width, height } = options;
  const grain = await sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 18 } },
  })
    .png()
    .toBuffer();
  let image = sharp(Buffer.from(scene(seed, width, height)))
    .composite([{ input: grain, blend: 'overlay' }])
    .jpeg({ quality: options.quality ?? 85 });
  if (options.orientation && options.orientation !== 1) image = image.withMetadata({ orientation: options.orientation });
  return image.toBuffer();
}

const PLACES = [
  'harbour',
  'mountain',
  'forest',
  'library',
  'campus',
  'river',
  'market',
  'garden',
  'bridge',
  'lighthouse',
  'desert',
  'meadow',
  'café',
  'rooftop',
  'station',
];
const MOODS = ['golden', 'misty', 'quiet', 'bright', 'stormy', 'lazy', 'crisp', 'gentle', 'electric', 'blue'];
const TIMES = ['morning', 'afternoon', 'evening', 'sunset', 'night', 'sunrise', 'weekend'];
const TAGS = [
  'goldenhour',
  'reedcollege',
  'portland',
  'streetphoto',
  'nature',
  'travel',
  'coffee',
  'books',
  'friends',
  'sunset',
  'architecture',
  'hiking',
  'rain',
  'dogsofreed',
  'foodie',
  'analog',
  'bw',
  'latergram',
  'campuslife',
  'oregon',
];

export const CAPTION_WORDS = { places: PLACES, moods: MOODS, times: TIMES, tags: TAGS };

/** A caption like "Misty morning at the harbour #nature #portland". */
export function generateCaption(seed: number): string {
  const random = seededRandom(seed * 31 + 7);
  const mood = pick(MOODS, random);
  const words = `${mood.charAt(0).toUpperCase()}${mood.slice(1)} ${pick(TIMES, random)} at the ${pick(PLACES, random)}`;
  const tagCount = 1 + Math.floor(random() * 3);
  const tags = new Set<string>();
  while (tags.size < tagCount) tags.add(pick(TAGS, random));
  return `${words} ${[...tags].map((t) => `#${t}`).join(' ')}`;
}
