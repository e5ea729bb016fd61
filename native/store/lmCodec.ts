/**
 * GptModel + tokenizer ↔ language-model checkpoint bytes (./lmCheckpoints.ts). Building a model loads the
 * engine; reading the bytes does not.
 */
import { gptFromSafetensors, gptToSafetensors } from '../llm/checkpoint/gptSafetensors';
import type { GptModel } from '../llm/model/gpt';
import { Gpt2Tokenizer } from '../llm/tokenizer/gpt2Tokenizer';
import { type CheckpointRow, getCheckpoint } from './checkpoints';
import type { Db } from './db';
import { type LmArtifacts, loadLmArtifacts } from './lmCheckpoints';

/** The bytes of a model and its tokenizer. */
export function lmToArtifacts(model: GptModel, tokenizer: Gpt2Tokenizer): LmArtifacts {
  return {
    config: { ...model.config },
    safetensors: gptToSafetensors(model),
    vocabJson: tokenizer.toVocabJson(),
    mergesTxt: tokenizer.toMergesTxt(),
  };
}

export interface LoadedLm {
  model: GptModel;
  tokenizer: Gpt2Tokenizer;
  checkpoint: CheckpointRow;
}

/** A stored language model as a GptModel and its tokenizer (hashes checked); the caller disposes the model. */
export function loadCheckpointLm(db: Db, id: number): LoadedLm {
  const checkpoint = getCheckpoint(db, id);
  const a = loadLmArtifacts(db, id);
  const tokenizer = Gpt2Tokenizer.fromFiles(a.vocabJson, a.mergesTxt);
  const model = gptFromSafetensors(a.safetensors, a.config, `the weights of checkpoint ${id}`);
  return { model, tokenizer, checkpoint };
}
