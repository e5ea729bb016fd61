export * from './accuracy';
export * from './gap';
export * from './mia';
