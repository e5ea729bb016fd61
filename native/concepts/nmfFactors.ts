/**
 * The NMF factors of a discovery as JSON, kept next to the concept bank they produced (the `nmf` field of
 * a stored bank's JSON): with them the concepts' spatial maps can be computed on any image later (concept
 * maps in the app, cheap localisation when poisoning), without running the discovery again.
 */
import { UserError } from '../errors';
import type { NmfFactors } from './nmfDiscovery';

export interface NmfFactorsJson {
  layer: string;
  mapShape: [number, number];
  channels: number;
  /** Concept names in factor order (dropped concepts included: they keep their factor). */
  concepts: string[];
  /** concepts.length * channels, row-major. */
  factors: number[];
}

export function nmfFactorsToJson(d: NmfFactors): NmfFactorsJson {
  return {
    layer: d.layer,
    mapShape: [d.mapShape[0], d.mapShape[1]],
    channels: d.channels,
    concepts: d.concepts.map((c) => c.name),
    factors: Array.from(d.factors),
  };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** The factors of a stored bank's `nmf` field; undefined when it has none, a UserError when it is damaged. */
export function nmfFactorsFromJson(json: unknown): NmfFactors | undefined {
  if (json === undefined || json === null) return undefined;
  const j = json as Partial<NmfFactorsJson>;
  const ok =
    typeof j.layer === 'string' &&
    Array.isArray(j.mapShape) &&
    j.mapShape.length === 2 &&
    j.mapShape.every(isCount) &&
    isCount(j.channels) &&
    Array.isArray(j.concepts) &&
    j.concepts.length > 0 &&
    j.concepts.every((c) => typeof c === 'string') &&
    Array.isArray(j.factors) &&
    j.factors.length === j.concepts.length * j.channels &&
    j.factors.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
  if (!ok)
    throw new UserError('corrupt concept bank: its NMF factors do not match their concepts and channels');
  const f = j as NmfFactorsJson;
  return {
    layer: f.layer,
    mapShape: [f.mapShape[0], f.mapShape[1]],
    channels: f.channels,
    concepts: f.concepts.map((name) => ({ name })),
    factors: Float32Array.from(f.factors),
  };
}
