/**
 * `npm run serve [-- --port N] [--project FILE]`: the Unlearn Studio UI in a browser on this machine.
 * Serves dist/renderer (built by `npm run build:renderer`) and the service layer on 127.0.0.1 only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors';
import { StudioService } from '../services/service';
import { startBridge } from './server';

export const DEFAULT_PORT = 4477;

export function defaultStaticDir(): string {
  return path.join(__dirname, '..', '..', 'renderer');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      project: { type: 'string' },
      static: { type: 'string' },
    },
    strict: true,
  });
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  }
  const staticDir = path.resolve(values.static ?? defaultStaticDir());
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new UserError(`no built UI in ${staticDir}: run \`npm run build:renderer\` first`);
  }
  const service = new StudioService();
  if (values.project !== undefined) await service.call('project.open', { path: values.project });
  const bridge = await startBridge({
    service,
    staticDir,
    port,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`Unlearn Studio is served at ${bridge.url}\n`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    process.stderr.write('stopping: cancelling running jobs…\n');
    void service
      .dispose()
      .then(() => bridge.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`error: ${e instanceof UserError ? e.message : e instanceof Error ? e.stack : e}\n`);
    process.exit(1);
  });
}
