// Summary statistics for the benchmarks: nearest-rank percentiles over raw samples.

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export const percentile = (samples, p) => {
	if (samples.length === 0) {
		return Number.NaN;
	}

	const sorted = [...samples].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
};

export const median = (samples) => {
	if (samples.length === 0) {
		return Number.NaN;
	}

	const sorted = [...samples].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** `{ n, median, p99, min, max }` of samples (same unit as the samples). */
export const summarize = (samples) => ({
	n: samples.length,
	median: median(samples),
	p99: percentile(samples, 99),
	min: samples.length ? Math.min(...samples) : Number.NaN,
	max: samples.length ? Math.max(...samples) : Number.NaN,
});

/** Round for JSON and tables: 3 significant-ish decimals below 10, 1 below 1000, integers above. */
export const round = (value) => {
	if (!Number.isFinite(value)) {
		return value;
	}

	const abs = Math.abs(value);
	return abs >= 1000 ? Math.round(value) : abs >= 10 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000;
};
