/** Images of a split as PNG data URLs (encoded by sharp), for the app's previews and class cards. */
import sharp from 'sharp';
import type { ImageSplit } from './types';

/** PNG bytes as a data URL. */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

/** One image of a split as a PNG data URL. */
export async function thumbnail(
  split: ImageSplit,
  index: number,
  shape: [number, number, number],
): Promise<string> {
  const [height, width, channels] = shape;
  const bytes = height * width * channels;
  const raw = Buffer.from(split.pixels.buffer, split.pixels.byteOffset + index * bytes, bytes);
  let image = sharp(raw, { raw: { width, height, channels: channels as 1 | 3 } });
  // Grey stays one channel (sharp would write sRGB).
  if (channels === 1) image = image.toColourspace('b-w');
  return pngDataUrl(await image.png().toBuffer());
}

/** The first `n` indices of each class in a split. */
export function firstOfEachClass(split: ImageSplit, numClasses: number, n: number): number[][] {
  const out: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < split.size; i++) {
    const l = split.labels[i];
    if (l >= 0 && l < numClasses && out[l].length < n) out[l].push(i);
  }
  return out;
}
