/** The committed GPT-2 fixture (made by scripts/gpt2_fixture.py with PyTorch) and small test helpers. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../native/engine/random';
import type { GptConfig } from '../../native/llm/model/config';
import { GptModel } from '../../native/llm/model/gpt';
import { gptWeightLayout } from '../../native/llm/model/weightLayout';

/** test/fixtures/gpt2-tiny, from dist/test/llm. */
export const FIXTURE_DIR = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'gpt2-tiny');

export interface FixtureExpectations {
  bpeCorpus: string[];
  bpeVocabSize: number;
  tokenizer: { text: string; ids: number[] }[];
  sequences: number[][];
  /** [sequence][position][token] */
  logits: number[][][];
  dtypes: Record<string, { shape: number[]; values: number[] }>;
}

export function fixtureText(name: string): string {
  return fs.readFileSync(path.join(FIXTURE_DIR, name), 'utf8');
}

export function fixtureBytes(name: string): Uint8Array {
  const b = fs.readFileSync(path.join(FIXTURE_DIR, name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function expectations(): FixtureExpectations {
  return JSON.parse(fixtureText('expected.json')) as FixtureExpectations;
}

/**
 * A model with random weights larger than GPT-2's initialisation (so that biases, LayerNorm gains and
 * attention all matter, and gradients are far from zero), deterministic from the seed.
 */
export function randomGpt(config: GptConfig, seed: number, scale = 0.3): GptModel {
  const rng = new Rng(seed);
  const values = new Map<string, Float32Array>();
  for (const spec of gptWeightLayout(config)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const gain = spec.init === 'ones';
    values.set(
      spec.name,
      Float32Array.from({ length: n }, () => (gain ? 1 : 0) + rng.normal() * (gain ? 0.1 : scale)),
    );
  }
  return GptModel.fromWeights(config, values);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
