import { useEffect, useState } from 'react';
import type { ClassList, UnlearnClient } from '../../../native/services/api';
import { useAction } from './ui';

/** The model in service's per-class accuracy (classes.list, computed in a worker). */
export function useClasses(client: UnlearnClient, checkpointId: number | undefined) {
  const [classes, setClasses] = useState<ClassList | null>(null);
  const load = useAction();
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload only when the model in service changes
  useEffect(() => {
    if (checkpointId === undefined) return;
    void load.run(async () => setClasses(await client.call('classes.list', {})));
  }, [client, checkpointId]);
  return { classes, busy: load.busy, error: load.error };
}
