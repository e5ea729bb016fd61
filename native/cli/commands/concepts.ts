/**
 * `unlearn concepts P (--folder DIR | --discover) …`: builds a concept bank on a checkpoint's embedding layer
 * (from concept example folders, or by NMF discovery on the project's training images), fits a post-hoc
 * concept bottleneck (PCBM) and measures the class-to-concept importance, stores all of it in the project
 * (`concept_banks`, one transaction with its event), and prints the CAVs' held-out accuracies, the PCBM's
 * accuracy and fidelity and, with --class, the class's concept table and donor class.
 * `unlearn concepts P --show …` prints a stored bank again, from the file alone (no model is run).
 */
import * as path from 'node:path';
import { analyseBank } from '../../concepts/bankAnalysis';
import {
  type ConceptBank,
  buildConceptBank,
  conceptBankToJson,
  sampleImages,
} from '../../concepts/conceptBank';
import { loadConceptFolders } from '../../concepts/conceptFolders';
import type { ConceptImportance } from '../../concepts/conceptImportance';
import { selectConcepts } from '../../concepts/conceptSelection';
import { discoverConcepts } from '../../concepts/nmfDiscovery';
import { selectIndices } from '../../data/splits';
import type { ImageDataset } from '../../data/types';
import { describeBackend, initBackend } from '../../engine/backend/select';
import { UserError } from '../../errors';
import {
  type CheckpointRow,
  type ConceptAnalysis,
  type ConceptBankJson,
  type ConceptBankRow,
  type ConceptBankSource,
  type DatasetRow,
  getCheckpoint,
  getDataset,
  latestConceptBank,
  loadConceptBank,
  loadDataset,
  requireCurrentCheckpoint,
  requireImageModel,
  saveConceptBank,
  withProject,
} from '../../store';
import { loadCheckpointClassifier } from '../../store/modelCodec';
import { resolveClass } from '../../unlearning/task';
import { ProgressLine } from '../progress';
import { integer, json, out, parseCommand, pct, positiveInt } from './args';

export const CONCEPTS_USAGE =
  'concepts P [--checkpoint ID] (--folder DIR | --discover [--k N] [--images DIR]) [--class NAME_OR_INDEX] [--top K] [--seed S] [--json]';
export const CONCEPTS_SHOW_USAGE =
  'concepts P --show [--bank ID | --checkpoint ID] [--class NAME_OR_INDEX] [--top K] [--json]';

/** Concepts NMF discovers by default. */
export const DEFAULT_DISCOVERED = 8;
/** Training images NMF factorises (a seeded sample). */
const DISCOVERY_IMAGES = 200;
/** Training images drawn as the random negatives of folder concepts. */
const RANDOM_NEGATIVES = 300;
/** Class-specific concepts selected by default (--top). */
export const DEFAULT_TOP = 5;

/** One row of a class's concept table. */
export interface ConceptTableRow {
  rank: number;
  concept: string;
  importance: number;
  specificity: number;
  shared: boolean;
  selected: boolean;
  /** The PCBM's weight of the concept for the class (standardised units); null without a PCBM. */
  pcbmWeight: number | null;
}

export interface ClassConcepts {
  index: number;
  name: string;
  /** Test images of the class the importance was measured on. */
  images: number;
  /** Every kept concept, by decreasing importance to the class. */
  concepts: ConceptTableRow[];
  /** At most `top` class-specific concepts (not shared, specificity above the noise floor), most specific first. */
  selected: string[];
  top: number;
  /** The retained class whose concept profile is closest (cosine); null when there is none. */
  donor: { index: number; name: string; similarity: number; tieBrokenByConfusion: boolean } | null;
}

/** What the command prints (the JSON of --json). */
export interface ConceptsReport {
  bankId: number;
  checkpointId: number;
  datasetId: number;
  source: ConceptBankSource;
  embeddingLayer: string;
  createdAt: string;
  contentHash: string;
  parameters: Record<string, unknown>;
  minAccuracy: number;
  /** Kept concepts with their CAV's held-out accuracy. */
  concepts: {
    name: string;
    heldoutAccuracy: number;
    trainAccuracy: number | null;
    examples: number | null;
  }[];
  /** Concepts whose CAV's held-out accuracy was below minAccuracy. */
  dropped: { name: string; heldoutAccuracy: number }[];
  pcbm: {
    split: 'test';
    images: number;
    accuracy: number;
    modelAccuracy: number;
    fidelity: number;
    nonZero: number;
    sparsity: number;
  } | null;
  /** PNGs written by --images. */
  files?: string[];
  class?: ClassConcepts;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A class's concept table, from a stored analysis alone (no model). */
export function classConcepts(
  analysis: ConceptAnalysis | null,
  classIndex: number,
  classNames: readonly string[],
  top: number,
): ClassConcepts {
  const base = { index: classIndex, name: classNames[classIndex] ?? String(classIndex), top };
  const imp = analysis?.importance;
  if (!analysis || !imp || imp.concepts.length === 0) {
    return { ...base, images: 0, concepts: [], selected: [], donor: null };
  }
  const importance: ConceptImportance = {
    numClasses: imp.numClasses,
    concepts: imp.concepts,
    importance: Float64Array.from(imp.importance, (v) => v ?? 0),
    counts: imp.counts,
    maxRelativeGap: imp.maxRelativeGap,
    baseline: imp.baseline,
  };
  const confusion =
    analysis.confusion.length === imp.numClasses * imp.numClasses ? analysis.confusion : undefined;
  const sel = selectConcepts(importance, classIndex, { k: top, confusion });
  const pcbm = analysis.pcbm;
  const concepts = sel.byImportance.map((r, i): ConceptTableRow => {
    const j = imp.concepts.indexOf(r.concept);
    return {
      rank: i + 1,
      concept: r.concept,
      importance: r.importance,
      specificity: r.specificity,
      shared: r.shared,
      selected: sel.selected.includes(r.concept),
      pcbmWeight: pcbm ? num(pcbm.weights[j * pcbm.numClasses + classIndex]) : null,
    };
  });
  const d = sel.donor;
  return {
    ...base,
    images: imp.counts[classIndex] ?? 0,
    concepts,
    selected: sel.selected,
    donor:
      d.class < 0
        ? null
        : {
            index: d.class,
            name: classNames[d.class] ?? String(d.class),
            similarity: d.similarity,
            tieBrokenByConfusion: d.tieBrokenByConfusion,
          },
  };
}

/** The report of a stored bank (and, with a class, its concept table). */
export function conceptsReport(
  row: ConceptBankRow,
  bank: ConceptBankJson,
  classNames: readonly string[],
  cls: number | undefined,
  top: number,
): ConceptsReport {
  const r = row.analysis?.pcbmReport;
  return {
    bankId: row.id,
    checkpointId: row.checkpointId,
    datasetId: row.datasetId,
    source: row.source,
    embeddingLayer: row.embeddingLayer,
    createdAt: row.createdAt,
    contentHash: row.contentHash,
    parameters: row.parameters,
    minAccuracy: bank.minAccuracy,
    concepts: bank.concepts.map((c) => ({
      name: c.name,
      heldoutAccuracy: c.heldoutAccuracy,
      trainAccuracy: num(c.trainAccuracy),
      examples:
        num(c.numPositives) !== null && num(c.numNegatives) !== null
          ? (c.numPositives as number) + (c.numNegatives as number)
          : null,
    })),
    dropped: bank.dropped.map((c) => ({ name: c.name, heldoutAccuracy: c.heldoutAccuracy })),
    pcbm: r
      ? {
          split: 'test',
          images: r.images,
          accuracy: r.accuracy,
          modelAccuracy: r.modelAccuracy,
          fidelity: r.fidelity,
          nonZero: r.nonZero,
          sparsity: r.sparsity,
        }
      : null,
    ...(cls !== undefined ? { class: classConcepts(row.analysis, cls, classNames, top) } : {}),
  };
}

const SOURCE_WORDS: Record<ConceptBankSource, string> = {
  folders: 'from concept folders',
  'nmf-discovery': 'by NMF discovery',
  'ground-truth': 'from the ground truth',
};

function table(header: string[], rows: string[][], right: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) =>
    `  ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}`.trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

const fixed = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

/** The report for people. */
export function formatConceptsReport(r: ConceptsReport): string {
  const lines: string[] = [];
  lines.push(
    `concept bank ${r.bankId}: ${r.concepts.length} concept${r.concepts.length === 1 ? '' : 's'} ${SOURCE_WORDS[r.source]} on checkpoint ${r.checkpointId} (embedding layer '${r.embeddingLayer}'), ${r.dropped.length} dropped (CAV held-out accuracy < ${r.minAccuracy.toFixed(2)})`,
  );
  const cavRows = [
    ...r.concepts.map((c) => [c.name, c.heldoutAccuracy.toFixed(3), '']),
    ...r.dropped.map((c) => [c.name, c.heldoutAccuracy.toFixed(3), 'dropped']),
  ];
  lines.push(...table(['concept', 'CAV held-out accuracy', ''], cavRows, [false, true, false]));
  if (r.pcbm) {
    const p = r.pcbm;
    lines.push(
      `PCBM on the test split (${p.images} images): accuracy ${pct(p.accuracy)} (model ${pct(p.modelAccuracy)}), fidelity ${pct(p.fidelity)}, ${p.nonZero} non-zero weights (sparsity ${pct(p.sparsity)})`,
    );
  } else {
    lines.push('PCBM: none (no concept kept)');
  }
  const c = r.class;
  if (c) {
    lines.push('', `class '${c.name}' (index ${c.index}), ${c.images} test images: concepts by importance`);
    if (c.concepts.length === 0) {
      lines.push('  no concept kept: nothing to rank');
    } else {
      lines.push(
        ...table(
          ['rank', 'concept', 'importance', 'specificity', 'shared', 'PCBM weight', 'selected'],
          c.concepts.map((t) => [
            String(t.rank),
            t.concept,
            t.importance.toFixed(5),
            t.specificity.toFixed(5),
            t.shared ? 'shared' : '-',
            fixed(t.pcbmWeight, 4),
            t.selected ? '*' : '',
          ]),
          [true, false, true, true, false, true, false],
        ),
      );
    }
    lines.push(
      `selected (at most ${c.top} class-specific concepts): ${c.selected.length ? c.selected.join(', ') : 'none'}`,
    );
    lines.push(
      c.donor
        ? `donor class: '${c.donor.name}' (index ${c.donor.index}), concept-profile cosine ${c.donor.similarity.toFixed(3)}${c.donor.tieBrokenByConfusion ? ' (near tie, chosen by confusion)' : ''}`
        : 'donor class: none',
    );
  }
  if (r.files?.length) lines.push('', `${r.files.length} PNGs (concept maps and patches) written`);
  return lines.join('\n');
}

function classOf(dataset: DatasetRow, cls: string | undefined): number | undefined {
  if (cls === undefined) return undefined;
  if (cls.trim() === '') throw new UserError('--class needs a class name or index');
  return resolveClass({ name: dataset.name, classNames: dataset.classNames } as ImageDataset, cls);
}

export async function conceptsCommand(argv: string[]): Promise<void> {
  const { values, file, rest } = parseCommand(
    argv,
    {
      checkpoint: { type: 'string' },
      folder: { type: 'string' },
      discover: { type: 'boolean' },
      k: { type: 'string' },
      images: { type: 'string' },
      class: { type: 'string' },
      top: { type: 'string' },
      seed: { type: 'string' },
      show: { type: 'boolean' },
      bank: { type: 'string' },
      json: { type: 'boolean' },
    },
    CONCEPTS_USAGE,
  );
  if (rest.length > 0) throw new UserError(`unexpected argument '${rest[0]}'`);
  const modes = [values.folder !== undefined, values.discover === true, values.show === true];
  if (modes.filter(Boolean).length !== 1) {
    throw new UserError(
      `give exactly one of --folder DIR, --discover or --show (usage: unlearn ${CONCEPTS_USAGE} | ${CONCEPTS_SHOW_USAGE})`,
    );
  }
  if (values.k !== undefined && !values.discover) throw new UserError('--k applies to --discover only');
  if (values.images !== undefined && !values.discover)
    throw new UserError('--images applies to --discover only');
  if (values.bank !== undefined && !values.show) throw new UserError('--bank applies to --show only');
  if (values.show && values.seed !== undefined) throw new UserError('--seed applies to a new bank only');
  if (values.top !== undefined && values.class === undefined) throw new UserError('--top needs --class');
  if (values.bank !== undefined && values.checkpoint !== undefined) {
    throw new UserError('give --bank ID or --checkpoint ID, not both');
  }
  const checkpointId = positiveInt(values.checkpoint, 'checkpoint');
  const top = positiveInt(values.top, 'top') ?? DEFAULT_TOP;
  if (values.show) {
    await show(file, {
      bankId: positiveInt(values.bank, 'bank'),
      checkpointId,
      cls: values.class,
      top,
      json: values.json === true,
    });
    return;
  }
  if (values.folder !== undefined && values.folder.trim() === '')
    throw new UserError('--folder needs a folder');
  if (values.images !== undefined && values.images.trim() === '')
    throw new UserError('--images needs a folder');
  await build(file, {
    checkpointId,
    folder: values.folder,
    k: positiveInt(values.k, 'k') ?? DEFAULT_DISCOVERED,
    images: values.images,
    cls: values.class,
    top,
    seed: integer(values.seed, 'seed', 1),
    json: values.json === true,
  });
}

interface ShowOptions {
  bankId?: number;
  checkpointId?: number;
  cls?: string;
  top: number;
  json: boolean;
}

async function show(file: string, o: ShowOptions): Promise<void> {
  const report = await withProject(file, ({ db }) => {
    let bankId = o.bankId;
    if (bankId === undefined) {
      const checkpoint =
        o.checkpointId !== undefined ? getCheckpoint(db, o.checkpointId) : requireCurrentCheckpoint(db);
      const latest = latestConceptBank(db, checkpoint.id);
      if (!latest) {
        throw new UserError(
          `checkpoint ${checkpoint.id} has no concept bank yet: build one with \`concepts ${file} --discover\` or \`--folder DIR\``,
        );
      }
      bankId = latest.id;
    }
    const { row, bank } = loadConceptBank(db, bankId);
    const dataset = getDataset(db, row.datasetId);
    return conceptsReport(row, bank, dataset.classNames, classOf(dataset, o.cls), o.top);
  });
  if (o.json) json(report);
  else out(formatConceptsReport(report));
}

interface BuildOptions {
  checkpointId?: number;
  folder?: string;
  k: number;
  images?: string;
  cls?: string;
  top: number;
  seed: number;
  json: boolean;
}

async function build(file: string, o: BuildOptions): Promise<void> {
  const report = await withProject(file, async ({ db }) => {
    // Everything that can be refused without a model is checked first.
    const checkpoint: CheckpointRow = requireImageModel(
      o.checkpointId !== undefined ? getCheckpoint(db, o.checkpointId) : requireCurrentCheckpoint(db),
      '`concepts`',
    );
    const datasetRow = getDataset(db, checkpoint.datasetId);
    const cls = classOf(datasetRow, o.cls);
    const progress = new ProgressLine();
    const sets =
      o.folder !== undefined ? await loadConceptFolders(o.folder, { shape: datasetRow.shape }) : undefined;
    const backend = await initBackend();
    progress.log(describeBackend(backend));
    const dataset = loadDataset(db, datasetRow.id);
    const { classifier } = await loadCheckpointClassifier(db, checkpoint.id);
    try {
      let bank: ConceptBank;
      let source: ConceptBankSource;
      let parameters: Record<string, unknown>;
      const files: string[] = [];
      if (sets) {
        source = 'folders';
        progress.update('concepts', 0, `CAVs of ${sets.length} concept folders`);
        const picked = sampleImages(dataset.train, RANDOM_NEGATIVES, o.seed + 5);
        bank = buildConceptBank(classifier, sets, {
          negatives: 'random',
          randomImages: selectIndices(dataset.train, picked),
          cav: { seed: o.seed },
        });
        parameters = {
          folder: path.resolve(o.folder as string),
          examples: Object.fromEntries(sets.map((s) => [s.name, s.positives.size])),
          negatives: 'random training images',
          randomImages: picked.length,
          seed: o.seed,
        };
      } else {
        source = 'nmf-discovery';
        progress.update('concepts', 0, `NMF discovery of ${o.k} concepts`);
        const outDir = o.images !== undefined ? path.resolve(o.images) : undefined;
        const discovery = await discoverConcepts(classifier, dataset.train, {
          concepts: o.k,
          maxImages: DISCOVERY_IMAGES,
          seed: o.seed,
          outDir,
          cav: { seed: o.seed },
        });
        bank = discovery.bank;
        for (const c of discovery.concepts) files.push(...c.files.patches, ...c.files.maps);
        parameters = {
          k: o.k,
          layer: discovery.layer,
          images: discovery.images.length,
          nmfError: discovery.errors[discovery.errors.length - 1] ?? null,
          seed: o.seed,
          outDir: outDir ?? null,
        };
      }
      const analysis = analyseBank(classifier, dataset, bank, o.seed, (f, detail) =>
        progress.update('concepts', f, detail),
      );
      const row = saveConceptBank(db, {
        checkpointId: checkpoint.id,
        source,
        parameters,
        bank: conceptBankToJson(bank) as ConceptBankJson,
        analysis,
      });
      progress.done(
        `concept bank ${row.id} stored: ${row.numConcepts} concepts kept, ${row.numDropped} dropped${analysis.pcbmReport ? `, PCBM fidelity ${pct(analysis.pcbmReport.fidelity)}` : ''}`,
      );
      const { bank: stored } = loadConceptBank(db, row.id);
      const report = conceptsReport(row, stored, dataset.classNames, cls, o.top);
      return files.length ? { ...report, files } : report;
    } finally {
      classifier.dispose();
    }
  });
  if (o.json) json(report);
  else out(formatConceptsReport(report));
}
