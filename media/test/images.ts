/** Real images for the tests, made here with sharp, and a few things that only look like images. */
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const RED = { r: 220, g: 20, b: 30 };
export const BLUE = { r: 20, g: 40, b: 220 };

function solid(width: number, height: number, colour: { r: number; g: number; b: number }): sharp.Sharp {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

/**
 * A 600×400 JPEG stored sideways: its left half red, its right half blue, with EXIF orientation 6
 * ("rotate 90° clockwise to show"), so upright it is 400×600 with red on top and blue below. It
 * also carries GPS coordinates, a camera make, an ICC profile and XMP.
 */
export async function sidewaysJpegWithGps(): Promise<Buffer> {
  const right = await solid(300, 400, BLUE).png().toBuffer();
  return solid(600, 400, RED)
    .composite([{ input: right, left: 300, top: 0 }])
    .jpeg({ quality: 90 })
    .withIccProfile('p3')
    .withExif({
      IFD0: { Make: 'LuminaCam', Model: 'Test 1', Orientation: '6' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2981/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4021/100' },
    })
    .withMetadata({ orientation: 6 })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="someone"/></rdf:RDF></x:xmpmeta>',
    )
    .toBuffer();
}

/** Does this EXIF block hold a GPS IFD pointer (tag 0x8825, either byte order)? */
export function exifHasGps(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  return exif.includes(Buffer.from([0x88, 0x25, 0x00, 0x04])) || exif.includes(Buffer.from([0x25, 0x88, 0x04, 0x00]));
}

export async function png(width = 200, height = 120, colour = RED): Promise<Buffer> {
  return solid(width, height, colour).png().toBuffer();
}

export async function gif(width = 90, height = 60): Promise<Buffer> {
  return solid(width, height, BLUE).gif().toBuffer();
}

export async function webp(width = 90, height = 60): Promise<Buffer> {
  return solid(width, height, BLUE).webp().toBuffer();
}

export async function avif(width = 90, height = 60): Promise<Buffer> {
  return solid(width, height, RED).avif().toBuffer();
}

/** Random pixels compress badly, so this JPEG is big enough to cut in half with its header intact. */
export async function noisyJpeg(width = 800, height = 600): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A JPEG cut off in the middle of its pixel data: the header reads, the pixels do not. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await noisyJpeg();
  return full.subarray(0, Math.floor(full.length / 2));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/**
 * A "pixel bomb": a valid PNG of a few hundred bytes whose IHDR (with a correct CRC) declares
 * width × height pixels of 8-bit RGB. Decoding 100000×100000 would need 30 GB.
 */
export function pixelBombPng(width = 100_000, height = 100_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression, filter and interlace methods: 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const svg = Buffer.from(
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script><rect width="100" height="100"/></svg>',
);
export const html = Buffer.from('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>');
export const pdf = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(200)]);
/** JPEG magic bytes followed by nothing a decoder can read. */
export const fakeJpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(300)]);
