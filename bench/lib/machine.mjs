// The machine a benchmark ran on, and how loaded it was.
import { cpus, loadavg, totalmem } from 'node:os';

export const machine = () => {
	const list = cpus();
	return {
		cpu: list[0]?.model.trim() ?? 'unknown',
		cores: list.length,
		memoryGiB: Math.round(totalmem() / 2 ** 30),
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
	};
};

/** 1-minute load average per core: above ~0.5 the figures are noisy. */
export const load = () => {
	const [one] = loadavg();
	return { loadavg1: Math.round(one * 100) / 100, perCore: Math.round((one / cpus().length) * 100) / 100 };
};
