export * from './auc';
export * from './perplexity';
export * from './rougeL';
export * from './sensitiveWords';
export * from './termRate';
export * from './words';
