/**
 * What a worker does for one task (protocol.ts): open the project, compute the task's value, close it.
 * A task reads the project; the `concepts` task may also store the concept bank it built.
 */
import { openProject } from '../store';
import type { ExecuteHooks } from './execute';
import type { Task, TaskOutput } from './protocol';
import { classList } from './tasks/classList';
import { conceptInspection } from './tasks/conceptInspection';
import { verifyReport } from './tasks/verifyReport';

export async function executeTask(
  projectPath: string,
  task: Task,
  signal: AbortSignal,
  hooks: ExecuteHooks,
): Promise<TaskOutput> {
  const project = openProject(projectPath);
  try {
    const { db } = project;
    switch (task.kind) {
      case 'classes':
        return { kind: 'classes', value: await classList(db, task.checkpointId) };
      case 'verify':
        return {
          kind: 'verify',
          value: await verifyReport(db, { checkpointId: task.checkpointId, forgetClass: task.forgetClass }),
        };
      case 'concepts':
        return { kind: 'concepts', value: await conceptInspection(db, task, signal, hooks) };
    }
  } finally {
    project.close();
  }
}
