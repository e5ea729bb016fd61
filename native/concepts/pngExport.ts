/**
 * Small PNG encoders and writers for concept inspection: an image patch scaled up, and an image with a heat
 * map over it (red where the map is high), as PNG bytes (for the app) or files (for the demo and the CLI).
 * Pixels are 8-bit HWC with 1 or 3 channels; maps are float, any range.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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

function rgbPng(rgb: Uint8Array, h: number, w: number, target: number): Promise<Buffer> {
  const f = upscale(h, w, target);
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), {
    raw: { width: w, height: h, channels: 3 },
  })
    .resize({ width: w * f, height: h * f, kernel: 'nearest' })
    .png()
    .toBuffer();
}

async function writePng(png: Promise<Buffer>, path: string): Promise<void> {
  const bytes = await png;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** The crop [y0, y0 + size) x [x0, x0 + size) of one HWC image (clamped inside it), as PNG bytes. */
export function patchPng(
  image: Uint8Array,
  shape: [number, number, number],
  y0: number,
  x0: number,
  size: number,
  target = 64,
): Promise<Buffer> {
  const [h, w, c] = shape;
  const sh = Math.min(size, h);
  const sw = Math.min(size, w);
  const top = Math.max(0, Math.min(h - sh, y0));
  const left = Math.max(0, Math.min(w - sw, x0));
  const crop = new Uint8Array(sh * sw * c);
  for (let y = 0; y < sh; y++) {
    crop.set(image.subarray(((top + y) * w + left) * c, ((top + y) * w + left + sw) * c), y * sw * c);
  }
  return rgbPng(toRgb(crop, sh, sw, c), sh, sw, target);
}

/** patchPng written to `path`. */
export function savePatch(
  image: Uint8Array,
  shape: [number, number, number],
  y0: number,
  x0: number,
  size: number,
  path: string,
  target = 64,
): Promise<void> {
  return writePng(patchPng(image, shape, y0, x0, size, target), path);
}

/**
 * The image (dimmed) with `map` (mh x mw, nearest-upsampled to the image) in red over it, as PNG bytes.
 * Values are scaled by `max` (default the map's own maximum); negative values show in blue.
 */
export function heatmapPng(
  image: Uint8Array,
  shape: [number, number, number],
  map: ArrayLike<number>,
  mapShape: [number, number],
  max?: number,
  target = 128,
): Promise<Buffer> {
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
  return rgbPng(out, h, w, target);
}

/** heatmapPng written to `path`. */
export function saveHeatmap(
  image: Uint8Array,
  shape: [number, number, number],
  map: ArrayLike<number>,
  mapShape: [number, number],
  path: string,
  max?: number,
  target = 128,
): Promise<void> {
  return writePng(heatmapPng(image, shape, map, mapShape, max, target), path);
}
