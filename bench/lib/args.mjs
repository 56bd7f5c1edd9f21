// `--out <file>` (where a bench writes its JSON result) and `--quick` (fewer iterations, for a smoke run).
import { writeFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--out');

export const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** Write the bench's result as JSON where run.mjs asked (nothing when run alone). */
export const writeResult = (result) => {
	if (at !== -1 && argv[at + 1]) {
		writeFileSync(argv[at + 1], JSON.stringify(result, null, '\t'));
	}
};
