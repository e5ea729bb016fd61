/**
 * Concept example sets from folders: `dir/<concept>/*.{png,jpg,jpeg}`, one sub-folder per concept holding
 * images that show it. Images are decoded as the image-folder import does (sharp: auto-orient, drop alpha,
 * resize to the model's input size with fit 'cover' by default, grey or sRGB), so that they look to the
 * model like its training data. Hidden entries and other files are ignored.
 */
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors';
import type { ConceptExampleSet } from './conceptBank';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const CONCURRENCY = 4;

export interface ConceptFolderOptions {
  /** [height, width, channels] of the model's input. */
  shape: [number, number, number];
  /** Default 'cover' (keep the aspect ratio, crop the centre); 'fill' stretches. */
  fit?: 'cover' | 'fill';
  /** Fewest images a concept needs (default 2). */
  minImages?: number;
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`concept folder not found: ${dir}`);
    if (code === 'ENOTDIR') throw new UserError(`not a folder: ${dir}`);
    throw new UserError(`cannot read folder: ${dir} (${(err as Error).message.split('\n')[0]})`);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Decodes one image to raw HWC bytes of the given shape. */
export async function decodeImage(
  file: string,
  shape: [number, number, number],
  fit: 'cover' | 'fill',
): Promise<Buffer> {
  const [height, width, channels] = shape;
  try {
    let img = sharp(file).autoOrient().removeAlpha().resize({ width, height, fit, position: 'centre' });
    img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== channels) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}`);
    }
    return data;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new UserError(`corrupt image: ${file} (${msg.trim().replace(/\s*\n\s*/g, '; ')})`);
  }
}

/**
 * Reads every concept folder of `dir` (sorted by name). Throws a UserError when `dir` has no concept folder,
 * when a concept folder has no image, or when it has fewer than `minImages` images.
 */
export async function loadConceptFolders(
  dir: string,
  opts: ConceptFolderOptions,
): Promise<ConceptExampleSet[]> {
  const [h, w, c] = opts.shape;
  if (c !== 1 && c !== 3) throw new UserError(`concept images need 1 or 3 channels, got ${c}`);
  const minImages = opts.minImages ?? 2;
  const concepts = entries(dir)
    .filter((d) => d.isDirectory() || (d.isSymbolicLink() && isDir(join(dir, d.name))))
    .map((d) => d.name)
    .sort();
  if (concepts.length === 0)
    throw new UserError(`no concept sub-folders in ${dir} (expected ${dir}/<concept>/*.png)`);
  const out: ConceptExampleSet[] = [];
  for (const name of concepts) {
    const folder = join(dir, name);
    const files = entries(folder)
      .filter((d) => d.isFile() || d.isSymbolicLink())
      .map((d) => d.name)
      .filter((n) => IMAGE_EXTENSIONS.some((ext) => n.toLowerCase().endsWith(ext)))
      .sort()
      .map((n) => join(folder, n));
    if (files.length === 0) {
      throw new UserError(`no images in concept folder: ${folder} (expected .png, .jpg or .jpeg files)`);
    }
    if (files.length < minImages) {
      throw new UserError(
        `concept '${name}' has only ${files.length} image${files.length === 1 ? '' : 's'} in ${folder}: at least ${minImages} are needed`,
      );
    }
    const stride = h * w * c;
    const pixels = new Uint8Array(files.length * stride);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        pixels.set(await decodeImage(files[i], opts.shape, opts.fit ?? 'cover'), i * stride);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
    out.push({
      name,
      positives: { pixels, labels: new Int32Array(files.length), size: files.length },
      source: 'examples',
    });
  }
  return out;
}
