/**
 * tfjs's own wasm kernels that `registerWasmKernels` (register.ts) replaced, remembered at replacement
 * time: some of our kernels delegate to them (BatchMatMul calls the original without transposes), and
 * benchmarks put them back to measure the "before" state.
 */
import type { tf } from '../tf';

const originals = new Map<string, tf.KernelConfig>();

/** Records `config` as the original wasm kernel of its name (the first one recorded wins). */
export function rememberOriginal(config: tf.KernelConfig): void {
  if (!originals.has(config.kernelName)) originals.set(config.kernelName, config);
}

/** The wasm backend's own kernel `name` as registered before ours replaced it (undefined if never). */
export function originalWasmKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name);
}

/** Every remembered original, by name. */
export function rememberedOriginals(): ReadonlyMap<string, tf.KernelConfig> {
  return originals;
}
