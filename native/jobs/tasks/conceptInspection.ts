/**
 * The `concepts` task: the concept stage of a forget class on a checkpoint, for the app's wizard. It uses
 * the checkpoint's stored concept bank (the latest; native/store/conceptBanks.ts) or, when there is none
 * (or a rebuild is asked for), discovers one by NMF on training images half of which are of the forget
 * class, measures it (PCBM, importance, confusion: concepts/bankAnalysis.ts) and stores it with its NMF
 * factors in the project file. Then it ranks the class's concepts, selects, picks the donor
 * (concepts/inspection.ts) and draws each concept's maps and patches (concepts/conceptExamples.ts).
 */
import { analyseBank, pcbmFromStored } from '../../concepts/bankAnalysis';
import { type ConceptBank, conceptBankFromJson, conceptBankToJson } from '../../concepts/conceptBank';
import { conceptExamples } from '../../concepts/conceptExamples';
import { inspectConcepts } from '../../concepts/inspection';
import { type NmfFactors, discoverConcepts } from '../../concepts/nmfDiscovery';
import { nmfFactorsFromJson, nmfFactorsToJson } from '../../concepts/nmfFactors';
import { selectWhere } from '../../data/splits';
import { pngDataUrl } from '../../data/thumbnails';
import { describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import type { ConceptInspection } from '../../services/api';
import {
  type ConceptBankJson,
  type ConceptBankRow,
  type Db,
  getCheckpoint,
  latestConceptBank,
  loadConceptBank,
  loadDataset,
  saveConceptBank,
} from '../../store';
import { loadCheckpointClassifier } from '../../store/modelCodec';
import { CONCEPT_POISONING_DEFAULTS, discoveryImages } from '../../unlearning/methods/conceptPoisoning';
import { checkpointCancel } from '../cancelPoint';
import type { ExecuteHooks } from '../execute';
import type { Task } from '../protocol';

export type ConceptsTask = Extract<Task, { kind: 'concepts' }>;

/** Training images NMF factorises when the task builds a bank (as `unlearn concepts --discover`). */
export const DISCOVERY_IMAGES = 200;
/** Share of them from the forget class (the demo's: half). */
export const DISCOVERY_FOCUS = 0.5;
/** Forget-class training images searched for each concept's strongest examples. */
const EXAMPLE_POOL = 200;

const round = (v: number) => Number(v.toPrecision(6));

export async function conceptInspection(
  db: Db,
  t: ConceptsTask,
  signal: AbortSignal,
  hooks: ExecuteHooks,
): Promise<ConceptInspection> {
  const t0 = performance.now();
  hooks.progress('load', 0);
  const checkpoint = getCheckpoint(db, t.checkpointId);
  const backend = await initBackend();
  hooks.log('info', describeBackend(backend));
  const dataset = loadDataset(db, checkpoint.datasetId);
  const k = dataset.classNames.length;
  if (t.forgetClass >= k) throw new UserError(`class ${t.forgetClass} is out of range (${k} classes)`);
  const { classifier } = await loadCheckpointClassifier(db, checkpoint.id);
  try {
    let row: ConceptBankRow | undefined = t.rebuild ? undefined : latestConceptBank(db, checkpoint.id);
    let bank: ConceptBank;
    let factors: NmfFactors | undefined;
    const reused = row !== undefined;
    if (row) {
      const stored = loadConceptBank(db, row.id);
      bank = conceptBankFromJson(stored.bank);
      factors = nmfFactorsFromJson(stored.bank.nmf);
      hooks.log('info', `using concept bank ${row.id} of checkpoint ${checkpoint.id}`);
    } else {
      hooks.progress('discover', 0);
      const images = discoveryImages(
        dataset.train,
        k,
        t.forgetClass,
        DISCOVERY_IMAGES,
        DISCOVERY_FOCUS,
        t.seed + 103,
      );
      const discovery = await discoverConcepts(classifier, images, {
        concepts: t.nmfConcepts,
        maxImages: images.size,
        seed: t.seed,
        cav: { seed: t.seed },
      });
      await checkpointCancel(signal);
      bank = discovery.bank;
      factors = discovery;
      hooks.progress('discover', 0.6);
      const analysis = analyseBank(classifier, dataset, bank, t.seed, (f) =>
        hooks.progress('discover', 0.6 + 0.4 * f),
      );
      await checkpointCancel(signal);
      row = saveConceptBank(db, {
        checkpointId: checkpoint.id,
        source: 'nmf-discovery',
        parameters: {
          k: t.nmfConcepts,
          layer: discovery.layer,
          images: discovery.images.length,
          focusClass: t.forgetClass,
          focusShare: DISCOVERY_FOCUS,
          nmfError: discovery.errors[discovery.errors.length - 1] ?? null,
          seed: t.seed,
          builtBy: 'app',
        },
        bank: { ...(conceptBankToJson(bank) as ConceptBankJson), nmf: nmfFactorsToJson(discovery) },
        analysis,
      });
      hooks.log(
        'info',
        `concept bank ${row.id} stored: ${row.numConcepts} concepts, ${row.numDropped} dropped`,
      );
    }
    if (bank.concepts.length === 0) {
      throw new UserError(
        `concept bank ${row.id} has no usable concept (every CAV was near chance): rebuild it or add concept folders`,
      );
    }
    hooks.progress('analyse', 0);
    const d = CONCEPT_POISONING_DEFAULTS;
    const rule = { sharedRatio: d.shared_ratio, minShare: d.min_share, minRelative: d.min_relative };
    const storedPcbm = row.analysis?.pcbm;
    const core = inspectConcepts(
      classifier,
      dataset,
      bank,
      storedPcbm ? pcbmFromStored(storedPcbm) : null,
      t.forgetClass,
      { rule, seed: t.seed },
    );
    await checkpointCancel(signal);
    hooks.progress('examples', 0);
    const own = selectWhere(dataset.train, (l) => l === t.forgetClass);
    const pool = own.size > EXAMPLE_POOL ? selectWhere(own, (_l, i) => i < EXAMPLE_POOL) : own;
    const { examples, mapsBy } = await conceptExamples(classifier, bank, factors, pool, {
      signal,
      onProgress: (f) => hooks.progress('examples', f),
    });
    const names = dataset.classNames;
    const heldout = new Map(bank.concepts.map((c) => [c.name, c.cav.heldoutAccuracy]));
    const order = bank.concepts.map((c) => c.name);
    const n = order.length;
    const ranked = core.rows.map((r) => r.concept);
    const at = (c: number, name: string) => core.importance.importance[c * n + order.indexOf(name)];
    const byK = Array.from({ length: n }, (_, i) => core.ordered.slice(0, i + 1));
    const sims = core.donor.similarities;
    const focus = row.parameters.focusClass;
    const value: ConceptInspection = {
      checkpointId: checkpoint.id,
      datasetId: checkpoint.datasetId,
      forgetClass: t.forgetClass,
      classNames: names,
      bank: {
        id: row.id,
        source: row.source,
        createdAt: row.createdAt,
        reused,
        embeddingLayer: row.embeddingLayer,
        concepts: row.numConcepts,
        dropped: row.numDropped,
        focusClass: typeof focus === 'number' && Number.isInteger(focus) && focus >= 0 ? focus : null,
        mapsBy,
      },
      pcbm: {
        accuracy: core.pcbmReport.accuracy,
        modelAccuracy: core.pcbmReport.modelAccuracy,
        fidelity: core.pcbmReport.fidelity,
        images: core.pcbmReport.images,
      },
      concepts: core.rows.map((r, i) => {
        const ex = examples.find((e) => e.concept === r.concept);
        return {
          name: r.concept,
          rank: i + 1,
          importance: round(r.importance),
          specificity: round(r.specificity),
          shared: r.shared,
          sharedWith: r.sharedWith.map((s) => ({
            index: s.index,
            name: names[s.index],
            importance: round(s.importance),
          })),
          heldoutAccuracy: heldout.get(r.concept) ?? 0,
          pcbmWeight: Number.isFinite(r.pcbmWeight) ? round(r.pcbmWeight) : null,
          examples: {
            maps: (ex?.maps ?? []).map(pngDataUrl),
            patches: (ex?.patches ?? []).map(pngDataUrl),
          },
        };
      }),
      heatmap: {
        concepts: ranked,
        values: names.map((_, c) => ranked.map((name) => round(at(c, name)))),
      },
      selection: {
        defaultK: Math.min(d.k, n),
        byK,
        fallback: core.fallback,
        ...rule,
      },
      donor:
        core.donor.class >= 0
          ? {
              index: core.donor.class,
              name: names[core.donor.class],
              similarity: round(core.donor.similarity),
              tieBrokenByConfusion: core.donor.tieBrokenByConfusion,
            }
          : null,
      similarities: sims
        .map((s, c) => ({ index: c, name: names[c], similarity: s }))
        .filter((x) => x.index !== t.forgetClass && Number.isFinite(x.similarity))
        .map((x) => ({ ...x, similarity: round(x.similarity) }))
        .sort((a, b) => b.similarity - a.similarity),
      seconds: (performance.now() - t0) / 1000,
    };
    hooks.progress('done', 1);
    return value;
  } finally {
    classifier.dispose();
  }
}
