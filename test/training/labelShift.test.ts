/** The logit offset of a mix's label shift, against counts worked out by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageSplit } from '../../native/data/types';
import { mixLogitOffset } from '../../native/training/labelShift';
import type { SampleSet } from '../../native/training/samples';

const split: ImageSplit = { pixels: new Uint8Array(0), labels: new Int32Array(0), size: 0 };
const set = (targets: number[], weight = 1): SampleSet => ({
  split,
  indices: Int32Array.from(targets, (_, i) => i),
  targets: Int32Array.from(targets),
  weight,
});

describe('mix logit offset', () => {
  it('is log(mix share / retained share) per class, scaled', () => {
    // Retained: classes 0, 1, 2 with 2, 1, 1 samples (class 3 forgotten). Poisoned: 4 samples labelled 1.
    const retain = set([0, 0, 1, 2]);
    const poisoned = set([1, 1, 1, 1]);
    const off = mixLogitOffset(poisoned, retain, 4, 1);
    // Mix: 2, 5, 1 of 8; retained: 2, 1, 1 of 4.
    const want = [Math.log(2 / 8 / (2 / 4)), Math.log(5 / 8 / (1 / 4)), Math.log(1 / 8 / (1 / 4)), 0];
    off.forEach((v, c) => assert.ok(Math.abs(v - want[c]) < 1e-12, `class ${c}: ${v} vs ${want[c]}`));
    // The donor is favoured in the loss, so the model need not learn the shift; the scale multiplies.
    assert.ok(off[1] > 0 && off[0] < 0);
    mixLogitOffset(poisoned, retain, 4, 0.5).forEach((v, c) => assert.ok(Math.abs(v - want[c] / 2) < 1e-12));
  });

  it('counts sample weights and is zero when the poisoned labels follow the retained prior', () => {
    const retain = set([0, 1, 2, 2]);
    // Poisoned labels in the retained proportions 1:1:2 leave every share as it was.
    mixLogitOffset(set([0, 1, 2, 2]), retain, 3, 1).forEach((v) => assert.ok(Math.abs(v) < 1e-12));
    // Weight 0.5: 2 poisoned samples of class 0 count as one.
    const off = mixLogitOffset(set([0, 0], 0.5), retain, 3, 1);
    assert.ok(Math.abs(off[0] - Math.log(2 / 5 / (1 / 4))) < 1e-12);
    assert.ok(Math.abs(off[2] - Math.log(2 / 5 / (2 / 4))) < 1e-12);
  });
});
