/** Live jobs: snapshots pushed by the engine, with their chart points accumulated. */
import { useCallback, useEffect, useState } from 'react';
import type { JobKind, JobSnapshot, UnlearnClient } from '../../native/services/api';

export type JobMap = Record<string, JobSnapshot>;

export function useJobs(client: UnlearnClient) {
  const [jobs, setJobs] = useState<JobMap>({});
  useEffect(() => {
    const off = client.onEvent((e) => {
      if (e.type !== 'job') return;
      setJobs((prev) => {
        const points = prev[e.job.id]?.points ?? [];
        return { ...prev, [e.job.id]: { ...e.job, points: e.point ? [...points, e.point] : points } };
      });
    });
    client.call('jobs.list', {}).then(
      (list) =>
        setJobs((prev) => {
          const next = { ...prev };
          for (const j of list) if (!next[j.id]) next[j.id] = j;
          return next;
        }),
      () => undefined,
    );
    return off;
  }, [client]);
  /** Adds a job just started (events may have come first: they are newer). */
  const register = useCallback((job: JobSnapshot) => {
    setJobs((prev) => (prev[job.id] ? prev : { ...prev, [job.id]: job }));
  }, []);
  return { jobs, register };
}

export function latestJob(jobs: JobMap, kind: JobKind): JobSnapshot | undefined {
  return Object.values(jobs)
    .filter((j) => j.kind === kind)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .at(-1);
}
