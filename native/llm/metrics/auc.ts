/**
 * Area under the ROC curve by the Mann-Whitney U statistic: the probability that a positive scores higher
 * than a negative, ties counting one half, computed from mid-ranks in O(n log n).
 */
export function mannWhitneyAuc(positives: readonly number[], negatives: readonly number[]): number {
  const p = positives.length;
  const n = negatives.length;
  if (p === 0 || n === 0) throw new RangeError('the AUC needs at least one positive and one negative score');
  const all = [...positives.map((v) => ({ v, pos: true })), ...negatives.map((v) => ({ v, pos: false }))];
  for (const x of all) if (Number.isNaN(x.v)) throw new RangeError('the AUC got a NaN score');
  all.sort((a, b) => a.v - b.v);
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const midRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (all[k].pos) rankSumPos += midRank;
    i = j + 1;
  }
  const u = rankSumPos - (p * (p + 1)) / 2;
  return u / (p * n);
}

/**
 * The loss-based membership-inference AUC: how well "lower loss means trained on" separates the `members`
 * (e.g. the forget class's training samples) from the `nonMembers` (held-out paraphrases). 0.5: no
 * separation, what a model that never saw either gives; 1: every member has a lower loss.
 */
export function lossMiaAuc(memberLosses: readonly number[], nonMemberLosses: readonly number[]): number {
  return mannWhitneyAuc(
    memberLosses.map((l) => -l),
    nonMemberLosses.map((l) => -l),
  );
}
