/**
 * From per-image evidence maps of concepts to per-image regions (binary masks at image resolution).
 *
 * For every image and every concept, the map is brought to the image's size (bilinear, when it is coarser,
 * e.g. an NMF map of a conv layer), and the region is the `topFraction` of the image's pixels with the
 * largest positive evidence (only pixels with positive evidence count, so an image without evidence gets
 * no region). The concepts' regions are united, then dilated by `dilate` pixels (square neighbourhood),
 * so that the edges of a stroke or part are covered too.
 */
import { UserError } from '../errors';

/** One concept's evidence over a set of images: n maps of mapHeight x mapWidth, row-major. */
export interface EvidenceMap {
  concept: string;
  /** n * height * width values; positive = evidence for the concept. */
  values: Float32Array;
  /** [height, width] of each map (the image's or a coarser grid covering the whole image). */
  shape: [number, number];
}

export interface RegionOptions {
  /** Share of an image's pixels taken per concept, those with the most positive evidence (default 0.1). */
  topFraction?: number;
  /** Dilation radius in pixels of the united region (default 1; 0 = none). */
  dilate?: number;
}

export const DEFAULT_TOP_FRACTION = 0.1;
export const DEFAULT_DILATE = 1;

/** One binary mask per image. */
export interface Regions {
  n: number;
  height: number;
  width: number;
  /** n * height * width, 1 inside the region. */
  masks: Uint8Array;
}

export interface RegionStats {
  images: number;
  /** Share of an image's pixels inside its region: mean, smallest and largest over the images. */
  meanArea: number;
  minArea: number;
  maxArea: number;
  /** Images whose region is empty (no positive evidence for any concept). */
  emptyImages: number;
  /**
   * Share of the positive evidence (over all concepts and images, at image resolution) that lies inside
   * the regions: how much of what the concepts' maps point at is covered.
   */
  evidenceShare: number;
}

/** Bilinear resize of one map (align-corners false, edges clamped); a copy when the size matches. */
export function resizeMap(
  map: ArrayLike<number>,
  from: [number, number],
  to: [number, number],
): Float32Array {
  const [fh, fw] = from;
  const [th, tw] = to;
  const out = new Float32Array(th * tw);
  if (fh === th && fw === tw) {
    for (let i = 0; i < out.length; i++) out[i] = map[i];
    return out;
  }
  for (let y = 0; y < th; y++) {
    const sy = Math.min(fh - 1, Math.max(0, ((y + 0.5) * fh) / th - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(fh - 1, y0 + 1);
    const ay = sy - y0;
    for (let x = 0; x < tw; x++) {
      const sx = Math.min(fw - 1, Math.max(0, ((x + 0.5) * fw) / tw - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(fw - 1, x0 + 1);
      const ax = sx - x0;
      const top = map[y0 * fw + x0] * (1 - ax) + map[y0 * fw + x1] * ax;
      const bottom = map[y1 * fw + x0] * (1 - ax) + map[y1 * fw + x1] * ax;
      out[y * tw + x] = top * (1 - ay) + bottom * ay;
    }
  }
  return out;
}

/**
 * Marks (sets to 1 in `mask`) the `count` pixels of `map` with the largest positive values (ties: the lower
 * pixel index first). The `count`-th largest value is found with a native numeric sort of the positive
 * values, then the pixels above it and the first ones equal to it are marked.
 */
export function markTop(map: Float32Array, count: number, mask: Uint8Array): void {
  if (count <= 0) return;
  let n = 0;
  for (let p = 0; p < map.length; p++) if (map[p] > 0) n++;
  if (n === 0) return;
  if (n <= count) {
    for (let p = 0; p < map.length; p++) if (map[p] > 0) mask[p] = 1;
    return;
  }
  const values = new Float32Array(n);
  let k = 0;
  for (let p = 0; p < map.length; p++) if (map[p] > 0) values[k++] = map[p];
  values.sort();
  const threshold = values[n - count];
  let above = 0;
  for (let i = n - count; i < n; i++) if (values[i] > threshold) above++;
  let ties = count - above;
  for (let p = 0; p < map.length; p++) {
    if (map[p] > threshold) mask[p] = 1;
    else if (map[p] === threshold && ties > 0) {
      mask[p] = 1;
      ties--;
    }
  }
}

/** Dilation of one h x w binary mask by a (2r+1)^2 square. */
export function dilateMask(mask: Uint8Array, h: number, w: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const rows = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let dx = Math.max(0, x - r); dx <= Math.min(w - 1, x + r) && !v; dx++) v = mask[y * w + dx];
      rows[y * w + x] = v;
    }
  }
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let dy = Math.max(0, y - r); dy <= Math.min(h - 1, y + r) && !v; dy++) v = rows[dy * w + x];
      out[y * w + x] = v;
    }
  }
  return out;
}

/**
 * The regions of `n` images of size `imageShape` ([height, width]) from the maps of one or more concepts
 * (see the module comment), with their statistics.
 */
export function conceptRegions(
  maps: readonly EvidenceMap[],
  n: number,
  imageShape: [number, number],
  opts: RegionOptions = {},
): { regions: Regions; stats: RegionStats } {
  const topFraction = opts.topFraction ?? DEFAULT_TOP_FRACTION;
  const dilate = opts.dilate ?? DEFAULT_DILATE;
  if (!(topFraction >= 0 && topFraction <= 1)) {
    throw new UserError(`the region's top fraction must be between 0 and 1, got ${topFraction}`);
  }
  if (!Number.isInteger(dilate) || dilate < 0) {
    throw new UserError(`the dilation must be a whole number of pixels (0 or more), got ${dilate}`);
  }
  const [h, w] = imageShape;
  const pixels = h * w;
  for (const m of maps) {
    if (m.values.length !== n * m.shape[0] * m.shape[1]) {
      throw new RangeError(
        `map of '${m.concept}' has ${m.values.length} values for ${n} images of ${m.shape.join('x')}`,
      );
    }
  }
  const count = Math.round(topFraction * pixels);
  const masks = new Uint8Array(n * pixels);
  let areaSum = 0;
  let minArea = n > 0 ? 1 : 0;
  let maxArea = 0;
  let empty = 0;
  let evidenceIn = 0;
  let evidenceAll = 0;
  for (let i = 0; i < n; i++) {
    const union = new Uint8Array(pixels);
    const resized = maps.map((m) => {
      const per = m.shape[0] * m.shape[1];
      return resizeMap(m.values.subarray(i * per, (i + 1) * per), m.shape, [h, w]);
    });
    for (const r of resized) markTop(r, count, union);
    const mask = dilateMask(union, h, w, dilate);
    masks.set(mask, i * pixels);
    let area = 0;
    for (let p = 0; p < pixels; p++) area += mask[p];
    for (const r of resized) {
      for (let p = 0; p < pixels; p++) {
        if (r[p] > 0) {
          evidenceAll += r[p];
          if (mask[p]) evidenceIn += r[p];
        }
      }
    }
    const share = area / pixels;
    areaSum += share;
    minArea = Math.min(minArea, share);
    maxArea = Math.max(maxArea, share);
    if (area === 0) empty++;
  }
  return {
    regions: { n, height: h, width: w, masks },
    stats: {
      images: n,
      meanArea: n > 0 ? areaSum / n : 0,
      minArea,
      maxArea,
      emptyImages: empty,
      evidenceShare: evidenceAll > 0 ? evidenceIn / evidenceAll : 0,
    },
  };
}
