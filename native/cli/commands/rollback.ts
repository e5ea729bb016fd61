/**
 * `unlearn rollback P --checkpoint ID`: makes an earlier checkpoint current. Deletes nothing; logs an
 * event, and warns when the target still contains classes that honoured deletion requests removed.
 */
import { UserError } from '../../errors';
import {
  currentCheckpointId,
  getCheckpoint,
  getRun,
  lineage,
  listRequests,
  setCurrentCheckpoint,
  withProject,
  write,
} from '../../store';
import { parseCommand, requiredInt, say } from './args';

export const ROLLBACK_USAGE = 'rollback P --checkpoint ID [--reason TEXT]';

export async function rollbackCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    { checkpoint: { type: 'string' }, reason: { type: 'string' } },
    ROLLBACK_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const id = requiredInt(values.checkpoint, 'checkpoint');
  await withProject(file, ({ db }) => {
    const { from, unhonoured } = write(db, () => {
      const target = getCheckpoint(db, id);
      const from = currentCheckpointId(db);
      if (from === id) throw new UserError(`checkpoint ${id} is already the current checkpoint`);
      // Honoured requests whose unlearned checkpoint is not in the target's lineage: the target model
      // was never made to forget those classes.
      const ancestors = new Set(lineage(db, id).map((c) => c.id));
      const unhonoured = listRequests(db).filter((r) => {
        if (r.status !== 'honoured' || r.honouredByRunId === null) return false;
        const output = getRun(db, r.honouredByRunId).outputCheckpointId;
        return output === null || !ancestors.has(output);
      });
      setCurrentCheckpoint(db, target.id, 'checkpoint.rollback', {
        reason: values.reason ?? null,
        undoesRequests: unhonoured.map((r) => r.id),
      });
      return { from, unhonoured };
    });
    say(`current checkpoint: ${from ?? 'none'} → ${id} (nothing deleted)`);
    for (const r of unhonoured) {
      say(
        `warning: checkpoint ${id} was not unlearned for deletion request ${r.id} (class '${r.className}'): the served model may know that class again`,
      );
    }
  });
}
