/**
 * `unlearn run P --request ID [--method M] [--set key=value ...]`: runs an unlearning method for a
 * deletion request in a worker process (progress on stderr), prints the run id. The method must be of the
 * request's dataset's kind (an image method for an image dataset, a language-model one for a text dataset).
 */
import { UserError } from '../../errors';
import { startRun } from '../../jobs/runner';
import { createRun, getDataset, getRequest, getRun, withProject } from '../../store';
import { Options } from '../../unlearning/options';
import { allMethods } from '../../unlearning/registry';
import type { MethodOptions } from '../../unlearning/types';
import { ProgressLine } from '../progress';
import { integer, json, out, parseCommand, pct, positiveInt, withInterrupt } from './args';
import { DEFAULT_IMAGE_METHOD, checkMethodName, methodForDataset } from './methodForDataset';

export const RUN_USAGE =
  'run P --request ID [--method NAME] [--set key=value ...] [--seed S] [--json]  |  run P --retry RUN_ID';

export const DEFAULT_METHOD = DEFAULT_IMAGE_METHOD;

/** `key=value` pairs: numbers and true/false are typed, anything else is a string. */
export function parseSets(sets: readonly string[]): MethodOptions {
  const out: MethodOptions = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UserError(`--set expects key=value, got '${s}'`);
    const key = s.slice(0, eq).trim();
    const raw = s.slice(eq + 1).trim();
    if (raw === 'true' || raw === 'false') out[key] = raw === 'true';
    else if (raw !== '' && Number.isFinite(Number(raw))) out[key] = Number(raw);
    else out[key] = raw;
  }
  return out;
}

export async function runCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    {
      request: { type: 'string' },
      method: { type: 'string' },
      set: { type: 'string', multiple: true },
      seed: { type: 'string' },
      retry: { type: 'string' },
      json: { type: 'boolean' },
    },
    RUN_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const retry = positiveInt(values.retry, 'retry');
  let runId: number;
  if (retry !== undefined) {
    if (values.request !== undefined || values.method !== undefined || values.set !== undefined) {
      throw new UserError('--retry starts an existing run again: it takes no --request, --method or --set');
    }
    runId = await withProject(file, ({ db }) => getRun(db, retry).id);
  } else {
    const requestId = positiveInt(values.request, 'request');
    if (requestId === undefined)
      throw new UserError(`--request ID is required (usage: unlearn ${RUN_USAGE})`);
    checkMethodName(values.method);
    const seed = integer(values.seed, 'seed', 1);
    const sets = parseSets(values.set ?? []);
    runId = await withProject(file, ({ db }) => {
      const request = getRequest(db, requestId);
      const method = methodForDataset(getDataset(db, request.datasetId), values.method);
      const parameters = new Options(method.name, method.defaults, sets).all();
      return createRun(db, { requestId, method: method.name, parameters, seed }).id;
    });
  }
  if (!values.json) out(String(runId));

  const progress = new ProgressLine();
  const outcome = await withInterrupt(async (_signal, onInterrupt) => {
    const handle = startRun({ projectPath: file, runId });
    onInterrupt(() => handle.cancel());
    handle.events.on('progress', (p) => {
      const loss = p.metrics?.loss;
      progress.update(p.stage, p.fraction, loss === undefined ? '' : `loss ${loss.toFixed(4)}`);
    });
    handle.events.on('log', (m) => {
      if (m.level !== 'debug' || process.env.UNLEARN_DEBUG)
        progress.log(m.level === 'info' ? m.message : `${m.level}: ${m.message}`);
    });
    return handle.promise;
  });
  const { run } = outcome;
  if (values.json) {
    const request = await withProject(file, ({ db }) => getRequest(db, run.requestId));
    json({ ...run, requestStatus: request.status, applied: request.honouredByRunId === run.id });
  }
  if (outcome.status !== 'succeeded') {
    throw new UserError(`run ${runId} ${outcome.status}: ${outcome.error ?? 'no reason recorded'}`);
  }
  const applied = await withProject(
    file,
    ({ db }) => getRequest(db, run.requestId).honouredByRunId === run.id,
  );
  const where = `checkpoint ${run.outputCheckpointId}${applied ? ` is now current and honours request ${run.requestId}` : ' stored (not made current: request already honoured or the model changed meanwhile)'}`;
  const lm = run.lmMetrics;
  if (lm !== null) {
    const was = run.lmBaselineMetrics;
    const num = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(3) : 'n/a');
    progress.done(
      `run ${runId} succeeded in ${lm.seconds.toFixed(1)} s: ${where}; forget term rate ${pct(lm.forget_term_rate)} (was ${pct(was?.forget_term_rate)}), forget ROUGE-L ${num(lm.forget_answer_rouge_l)} (was ${num(was?.forget_answer_rouge_l)}), retain ROUGE-L ${num(lm.retain_answer_rouge_l)} (was ${num(was?.retain_answer_rouge_l)}), held-out perplexity ${num(lm.heldout_perplexity)} (was ${num(was?.heldout_perplexity)}), MIA AUC ${num(lm.mia_auc)}`,
    );
    return;
  }
  progress.done(
    `run ${runId} succeeded in ${run.metrics?.seconds.toFixed(1)} s: ${where}; forget-test ${pct(run.metrics?.forget_test_acc)} (was ${pct(run.baselineMetrics?.forget_test_acc)}), retain-test ${pct(run.metrics?.retain_test_acc)} (was ${pct(run.baselineMetrics?.retain_test_acc)})`,
  );
}

export function methodNames(): string {
  return allMethods()
    .map((m) => m.name)
    .join(', ');
}
