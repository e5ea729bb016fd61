/** The project commands of the `unlearn` command line, by name, with their usage lines. */
import { CERTIFICATE_USAGE, certificateCommand } from './certificate';
import { CONCEPTS_SHOW_USAGE, CONCEPTS_USAGE, conceptsCommand } from './concepts';
import { HISTORY_USAGE, historyCommand } from './history';
import { IMPORT_DATASET_USAGE, importDatasetCommand } from './importDataset';
import { INIT_USAGE, initCommand } from './init';
import { EXPORT_MODEL_USAGE, IMPORT_MODEL_USAGE, exportModelCommand, importModelCommand } from './models';
import { REQUEST_USAGE, requestCommand } from './request';
import { ROLLBACK_USAGE, rollbackCommand } from './rollback';
import { RUN_USAGE, runCommand } from './run';
import { TRAIN_USAGE, trainCommand } from './train';
import { VERIFY_USAGE, verifyCommand } from './verify';

export type Command = (argv: string[]) => Promise<void>;

export const PROJECT_COMMANDS: Readonly<Record<string, Command>> = {
  init: initCommand,
  'import-dataset': importDatasetCommand,
  train: trainCommand,
  'import-model': importModelCommand,
  'export-model': exportModelCommand,
  request: requestCommand,
  run: runCommand,
  history: historyCommand,
  verify: verifyCommand,
  rollback: rollbackCommand,
  certificate: certificateCommand,
  concepts: conceptsCommand,
};

export function isProjectCommand(name: string): boolean {
  return Object.hasOwn(PROJECT_COMMANDS, name);
}

export const PROJECT_USAGE = `project commands (P is a project file, created by init):
  ${INIT_USAGE}
       create an empty project file
  ${IMPORT_DATASET_USAGE}
       store a dataset (train, test and held-out splits); --limit N keeps N training images (and N/5 test and
       N/5 held-out); --jsonl FILE or --builtin facts store a text dataset (training samples, held-out
       paraphrases and generic text) for a language model; prints the dataset id
  ${TRAIN_USAGE}
       train the original model from scratch on the latest dataset (a GPT and its BPE tokenizer on a text
       dataset); it becomes the current checkpoint
  ${IMPORT_MODEL_USAGE}
       store a TensorFlow.js Layers model (DIR/model.json), or a GPT-2 checkpoint folder for a text dataset, as
       the current checkpoint
  ${EXPORT_MODEL_USAGE}
       write a checkpoint (default: the current one) as DIR/model.json + DIR/weights.bin (a language model as a
       GPT-2 folder: config.json, model.safetensors, vocab.json, merges.txt)
  ${REQUEST_USAGE}
       record a deletion request for a class of the current model's dataset; prints the request id
  ${RUN_USAGE}
       unlearn the request's class in a worker process (progress on stderr; default method random_label, idk
       on a text dataset; the method must be of the dataset's kind); prints the run id. --retry starts an interrupted, cancelled or failed run again
  ${HISTORY_USAGE}
       datasets, checkpoints (* = current), concept banks, requests, runs and the audit trail
  ${VERIFY_USAGE}
       check the file and the hashes, recompute a checkpoint's metrics and compare them with the stored ones
  ${ROLLBACK_USAGE}
       make an earlier checkpoint current (deletes nothing; logged)
  ${CERTIFICATE_USAGE}
       write a printable certificate of a succeeded run (FILE.html) and its data (FILE.json)
  ${CONCEPTS_USAGE}
  ${CONCEPTS_SHOW_USAGE}
       build a concept bank on a checkpoint's embedding layer (default: the current checkpoint) from concept
       example folders (DIR/<concept>/*.png, at least 2 images each) or by NMF discovery of N concepts
       (default 8) in the training images (--images DIR writes their maps and patches as PNGs); store it and
       print each concept's CAV held-out accuracy and the PCBM's test accuracy and fidelity. --class adds the
       class's concepts ranked by importance (specificity, shared, PCBM weight, the K most specific selected,
       default 5) and its donor class. --show prints a stored bank again (default: the checkpoint's latest)`;
