import type { FetchLike, Layer } from './types.js';

/** Compose layers once: the first layer is the outermost. */
export const composeLayers = (layers: readonly Layer[], base: FetchLike): FetchLike =>
	layers.reduceRight<FetchLike>((next, layer) => layer(next), base);
