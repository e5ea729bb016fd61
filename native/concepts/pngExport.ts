/**
 * Small PNG writers for concept inspection: an image patch scaled up, and an image with a heat map over it
 * (red where the map is high). Pixels are 8-bit HWC with 1 or 3 channels; maps are float, any range.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';

/** Nearest-neighbour upscaling factor so that the longer side reaches at least `target` pixels. */
function upscale(h: number, w: number, target: number): number {
  return Math.max(1, Math.ceil(target / Math.max(h, w)));
}

function toRgb(pixels: Uint8Array, h: number, w: number, c: number): Uint8Array {
  if (c === 3) return pixels;
  const out = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) out.fill(pixels[i * c], i * 3, i * 3 + 3);
  return out;
}

async function writeRgb(rgb: Uint8Array, h: number, w: number, path: string, target: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const f = upscale(h, w, target);
  await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), {
    raw: { width: w, height: h, channels: 3 },
  })
    .resize({ width: w * f, height: h * f, kernel: 'nearest' })
    .png()
    .toFile(path);
}

/** The crop [y0, y0 + size) x [x0, x0 + size) of one HWC image (clamped inside it), as a PNG. */
export async function savePatch(
  image: Uint8Array,
  shape: [number, number, number],
  y0: number,
  x0: number,
  size: number,
  path: string,
  target = 64,
): Promise<void> {
  const [h, w, c] = shape;
  const sh = Math.min(size, h);
  const sw = Math.min(size, w);
  const top = Math.max(0, Math.min(h - sh, y0));
  const left = Math.max(0, Math.min(w - sw, x0));
  const crop = new Uint8Array(sh * sw * c);
  for (let y = 0; y < sh; y++) {
    crop.set(image.subarray(((top + y) * w + left) * c, ((top + y) * w + left + sw) * c), y * sw * c);
  }
  await writeRgb(toRgb(crop, sh, sw, c), sh, sw, path, target);
}

/**
 * The image (dimmed) with `map` (mh x mw, nearest-upsampled to the image) in red over it. Values are scaled
 * by `max` (default the map's own maximum); negative values show in blue.
 */
export async function saveHeatmap(
  image: Uint8Array,
  shape: [number, number, number],
  map: ArrayLike<number>,
  mapShape: [number, number],
  path: string,
  max?: number,
  target = 128,
): Promise<void> {
  const [h, w, c] = shape;
  const [mh, mw] = mapShape;
  let m = max ?? 0;
  if (max === undefined) for (let i = 0; i < mh * mw; i++) m = Math.max(m, Math.abs(map[i]));
  if (!(m > 0)) m = 1;
  const rgb = toRgb(image, h, w, c);
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v =
        map[Math.min(mh - 1, Math.floor((y * mh) / h)) * mw + Math.min(mw - 1, Math.floor((x * mw) / w))] / m;
      const pos = Math.max(0, Math.min(1, v));
      const neg = Math.max(0, Math.min(1, -v));
      const o = (y * w + x) * 3;
      const grey = (rgb[o] + rgb[o + 1] + rgb[o + 2]) / 3;
      out[o] = Math.round(0.45 * grey + 255 * pos * 0.55);
      out[o + 1] = Math.round(0.45 * grey);
      out[o + 2] = Math.round(0.45 * grey + 255 * neg * 0.55);
    }
  }
  await writeRgb(out, h, w, path, target);
}
