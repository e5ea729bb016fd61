/**
 * Draws one `shapes` image: a textured, coloured shape on a noisy dark background, plus an optional white
 * part (a corner mark, a frame, a bottom bar or a bar along the right edge). Nuisances, all drawn from the
 * Rng: background noise, colour and brightness jitter, the shape's size and its exact position (the
 * position attribute picks the left, centre or right third).
 */
import type { Rng } from '../../engine/random';
import { type ShapeAttributes, VALUES } from './vocabulary';

const COLOURS: Record<(typeof VALUES.colour)[number], [number, number, number]> = {
  red: [225, 45, 40],
  green: [40, 200, 60],
  blue: [45, 85, 235],
  yellow: [230, 215, 40],
  magenta: [215, 50, 215],
  cyan: [40, 210, 220],
};

/** Smallest side the generator supports (textures need a few pixels of period). */
export const MIN_SHAPES_SIZE = 16;

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Whether (x, y) (pixel centre, relative to the shape's centre, in units of its radius) is inside the shape. */
function inside(shape: string, dx: number, dy: number): boolean {
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= 1;
    case 'square':
      return Math.abs(dx) <= 0.82 && Math.abs(dy) <= 0.82;
    case 'triangle': {
      // Apex up, base at dy = 0.8: the half-width grows linearly from the apex at dy = -1.
      if (dy < -1 || dy > 0.8) return false;
      return Math.abs(dx) <= ((dy + 1) / 1.8) * 1.05;
    }
    case 'cross':
      return (Math.abs(dx) <= 1 && Math.abs(dy) <= 0.34) || (Math.abs(dy) <= 1 && Math.abs(dx) <= 0.34);
    default:
      throw new RangeError(`unknown shape '${shape}'`);
  }
}

/** The texture's multiplier (< 1 darkens, > 1 whitens) at image pixel (x, y), or 1 for no change. */
function textureAt(texture: string, x: number, y: number): number {
  switch (texture) {
    case 'plain':
      return 1;
    case 'stripes':
      return y % 4 < 2 ? 0.3 : 1;
    case 'checker':
      return ((x >> 1) + (y >> 1)) % 2 === 0 ? 0.3 : 1;
    case 'dots':
      return x % 4 === 1 && y % 4 === 1 ? 3 : 1;
    default:
      throw new RangeError(`unknown texture '${texture}'`);
  }
}

/** Renders one size x size RGB image (HWC bytes) with the given attributes. */
export function renderShapeImage(attrs: ShapeAttributes, size: number, rng: Rng): Uint8Array {
  if (!Number.isInteger(size) || size < MIN_SHAPES_SIZE) {
    throw new RangeError(`shapes images need an integer size of at least ${MIN_SHAPES_SIZE}, got ${size}`);
  }
  const s = size;
  const px = new Uint8Array(s * s * 3);
  // Background: dark noise with a slight random tint.
  const tint = [rng.next() * 20, rng.next() * 20, rng.next() * 20];
  for (let i = 0; i < s * s; i++) {
    for (let c = 0; c < 3; c++) px[i * 3 + c] = clampByte(15 + tint[c] + rng.next() * 35);
  }

  const shape = VALUES.shape[attrs.shape];
  const texture = VALUES.texture[attrs.texture];
  const position = VALUES.position[attrs.position];
  const part = VALUES.part[attrs.part];
  const base = COLOURS[VALUES.colour[attrs.colour]];
  const brightness = 0.85 + rng.next() * 0.2;
  const colour = base.map((v) => v * brightness + (rng.next() - 0.5) * 30);

  const r = s * (0.19 + rng.next() * 0.04);
  const column = position === 'left' ? 0.33 : position === 'right' ? 0.67 : 0.5;
  const cx = s * column + (rng.next() - 0.5) * s * 0.06;
  const cy = s * 0.52 + (rng.next() - 0.5) * s * 0.1;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      if (!inside(shape, (x + 0.5 - cx) / r, (y + 0.5 - cy) / r)) continue;
      const m = textureAt(texture, x, y);
      const o = (y * s + x) * 3;
      for (let c = 0; c < 3; c++) {
        px[o + c] = clampByte(m > 1 ? 255 - (255 - colour[c]) * 0.15 : colour[c] * m);
      }
    }
  }

  const white = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= s || y >= s) return;
    const o = (y * s + x) * 3;
    const v = 225 + rng.next() * 30;
    px[o] = clampByte(v);
    px[o + 1] = clampByte(v);
    px[o + 2] = clampByte(v);
  };
  const mark = Math.max(3, Math.round(s / 8));
  switch (part) {
    case 'none':
      break;
    case 'corner':
      for (let y = 1; y < 1 + mark; y++) for (let x = 1; x < 1 + mark; x++) white(x, y);
      break;
    case 'frame':
      for (let i = 0; i < s; i++) {
        white(i, 0);
        white(i, s - 1);
        white(0, i);
        white(s - 1, i);
      }
      break;
    case 'bar': {
      const y0 = s - 3;
      for (let y = y0; y < y0 + 2; y++)
        for (let x = Math.round(s * 0.2); x < Math.round(s * 0.8); x++) white(x, y);
      break;
    }
    case 'side': {
      const x0 = s - 3;
      for (let x = x0; x < x0 + 2; x++)
        for (let y = Math.round(s * 0.2); y < Math.round(s * 0.8); y++) white(x, y);
      break;
    }
    default:
      throw new RangeError(`unknown part '${part}'`);
  }
  return px;
}
