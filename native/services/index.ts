/**
 * The app's service layer over a project (see ./service.ts), shared by the Electron main process and the
 * local bridge (native/bridge/). ./api.ts is the contract both transports validate against.
 */
export * from './api';
export { ARCH_DESCRIPTIONS, methodCatalog, verdictFor } from './guide';
export { JobManager, type ProcessChannel, type Spawner, defaultTrainWorkerPath, nodeSpawner } from './jobs';
export { StudioService, type StudioServiceOptions, exportsDir, toWireError } from './service';
