export * from './factsCorpus';
export * from './jsonl';
export * from './types';
export * from './forgetClass';
