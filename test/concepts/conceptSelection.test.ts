import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConceptImportance } from '../../native/concepts/conceptImportance';
import { confusionCounts, precisionAtK, selectConcepts } from '../../native/concepts/conceptSelection';
import { UserError } from '../../native/errors';

function importance(rows: number[][]): ConceptImportance {
  return {
    numClasses: rows.length,
    concepts: rows[0].map((_, j) => `c${j}`),
    importance: Float64Array.from(rows.flat()),
    counts: rows.map(() => 10),
    maxRelativeGap: 0,
    baseline: 'mean',
  };
}

describe('concept selection', () => {
  it('ranks by importance and specificity, flags shared concepts, keeps the class-specific top-k', () => {
    const imp = importance([
      [5, 3, 0.1, -1, 1.2],
      [0, 2.5, 0, 0, 0.1],
      [0.2, 0, 0.01, 0, 0.3],
    ]);
    const s = selectConcepts(imp, 0);
    assert.deepEqual(
      s.byImportance.map((r) => r.concept),
      ['c0', 'c1', 'c4', 'c2', 'c3'],
    );
    assert.deepEqual(
      s.bySpecificity.map((r) => r.concept),
      ['c0', 'c4', 'c1', 'c2', 'c3'],
    );
    const c1 = s.byImportance[1];
    assert.equal(c1.maxOtherClass, 1);
    assert.ok(Math.abs(c1.specificity - 0.5) < 1e-12);
    assert.deepEqual(s.shared, ['c1']);
    // c2's specificity (0.09) is below 5% of the class's positive importance (9.3): noise, not selected.
    assert.deepEqual(s.selected, ['c0', 'c4']);
    assert.deepEqual(selectConcepts(imp, 0, { k: 1 }).selected, ['c0']);
    assert.equal(precisionAtK(s.selected, ['c0', 'c2']), 0.5);
    assert.equal(precisionAtK([], ['c0']), 0);
  });

  it('picks the donor with the most similar concept profile, near-ties broken by confusion', () => {
    const imp = importance([
      [4, 1, 0, 0],
      [0, 0, 3, 1],
      [3.9, 1.1, 0, 0.1],
      [4, 1.05, 0, 0.05],
    ]);
    const plain = selectConcepts(imp, 0);
    assert.equal(plain.donor.class, 3);
    assert.ok(Number.isNaN(plain.donor.similarities[0]));
    assert.ok(plain.donor.similarities[1] < 0.1);
    // Classes 2 and 3 are within the tie tolerance; the model confuses 0 with 2 more often.
    const labels = [0, 0, 0, 0, 2, 3];
    const preds = [0, 2, 2, 3, 0, 3];
    const conf = confusionCounts(labels, preds, 4);
    assert.equal(conf[0 * 4 + 2], 2);
    const tie = selectConcepts(imp, 0, { confusion: conf });
    assert.equal(tie.donor.class, 2);
    assert.equal(tie.donor.tieBrokenByConfusion, true);
    assert.equal(selectConcepts(imp, 0, { confusion: conf, tieTolerance: 0 }).donor.class, 3);
    assert.throws(() => selectConcepts(imp, 4), UserError);
  });
});
