/**
 * A reader in its own process (test (c) of the job runner): opens the project read-only and, until the
 * run succeeds, checks in each read transaction that the file shows either the state before the run's
 * result or the state after it, never a mix, and that every blob it reads matches its hash. Prints a
 * line `ready` after its first read, then a JSON summary. Does nothing when started without arguments (the test runner may load it).
 */
import {
  currentCheckpointId,
  getRequest,
  getRun,
  listCheckpoints,
  loadArtifacts,
  openProject,
  read,
  verifyEventChain,
} from '../../native/store';

interface Summary {
  iterations: number;
  sawBefore: boolean;
  sawAfter: boolean;
  errors: string[];
}

async function check(file: string, runId: number, deadline: number): Promise<Summary> {
  const s: Summary = { iterations: 0, sawBefore: false, sawAfter: false, errors: [] };
  const project = openProject(file, { readonly: true });
  const { db } = project;
  try {
    while (Date.now() < deadline && !s.sawAfter) {
      s.iterations++;
      try {
        read(db, () => {
          const run = getRun(db, runId);
          const request = getRequest(db, run.requestId);
          const checkpoints = listCheckpoints(db);
          for (const c of checkpoints) loadArtifacts(db, c.id);
          const current = currentCheckpointId(db);
          if (!verifyEventChain(db).ok) throw new Error('event chain broken');
          if (run.status === 'succeeded') {
            const ok =
              run.outputCheckpointId !== null &&
              checkpoints.some((c) => c.id === run.outputCheckpointId && c.runId === runId) &&
              request.status === 'honoured' &&
              request.honouredByRunId === runId &&
              current === run.outputCheckpointId &&
              run.metrics !== null;
            if (!ok)
              throw new Error(
                `inconsistent state after the result: ${JSON.stringify({ run, request, current })}`,
              );
            s.sawAfter = true;
          } else {
            const ok =
              run.outputCheckpointId === null &&
              checkpoints.length === 1 &&
              request.status === 'open' &&
              current === run.inputCheckpointId;
            if (!ok)
              throw new Error(
                `inconsistent state before the result: ${JSON.stringify({ run, request, current })}`,
              );
            s.sawBefore = true;
          }
        });
      } catch (e) {
        const err = e as Error & { code?: string };
        s.errors.push(`${err.code ?? err.name}: ${err.message}`);
        if (s.errors.length > 20) break;
      }
      if (s.iterations === 1) process.stdout.write('ready\n');
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
  } finally {
    project.close();
  }
  return s;
}

if (require.main === module && process.argv[2] !== undefined) {
  const [file, runId, timeoutMs] = process.argv.slice(2);
  check(file, Number(runId), Date.now() + Number(timeoutMs ?? 60000)).then((summary) =>
    process.stdout.write(`${JSON.stringify(summary)}\n`),
  );
}
