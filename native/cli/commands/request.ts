/** `unlearn request P --class NAME_OR_INDEX [--requester TEXT]`: records a deletion request. */
import type { ImageDataset } from '../../data/types';
import { UserError } from '../../errors';
import {
  createRequest,
  currentCheckpointId,
  getCheckpoint,
  getDataset,
  latestDataset,
  withProject,
} from '../../store';
import { actor } from '../../store/events';
import { resolveClass } from '../../unlearning/task';
import { json, out, parseCommand, say } from './args';
import { resolveTextClass } from './textClass';

export const REQUEST_USAGE = 'request P --class NAME_OR_INDEX [--requester TEXT] [--json]';

export async function requestCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { class: { type: 'string' }, requester: { type: 'string' }, json: { type: 'boolean' } },
    REQUEST_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const cls = values.class;
  if (cls === undefined || cls.trim() === '') throw new UserError('--class NAME_OR_INDEX is required');
  const requester = values.requester?.trim() || actor();
  const request = await withProject(file, ({ db }) => {
    // The class is one of the dataset the current model serves (else the latest dataset).
    const current = currentCheckpointId(db);
    const dataset =
      current !== null ? getDataset(db, getCheckpoint(db, current).datasetId) : latestDataset(db);
    if (!dataset) throw new UserError('this project has no dataset yet: run `import-dataset` first');
    // resolveClass reads only the name and class names of the dataset.
    const index =
      dataset.kind === 'text'
        ? resolveTextClass(db, dataset, cls)
        : resolveClass({ name: dataset.name, classNames: dataset.classNames } as ImageDataset, cls);
    return createRequest(db, {
      requester,
      datasetId: dataset.id,
      classIndex: index,
      className: dataset.classNames[index],
    });
  });
  say(
    `deletion request ${request.id}: forget class '${request.className}' (index ${request.classIndex}), requested by ${request.requester}`,
  );
  if (values.json) json(request);
  else out(String(request.id));
}
