/** Perplexity: exp of the mean negative log-likelihood per token. */

/** exp(sum of token NLLs / token count); throws without tokens. */
export function perplexity(totalNll: number, tokens: number): number {
  if (!(tokens > 0)) throw new RangeError('perplexity needs at least one token');
  return Math.exp(totalNll / tokens);
}
