// Size report: min+brotli of the built ESM bundle and its dependencies; `--check` enforces budgets.
import { build } from 'esbuild';
import { brotliCompressSync, constants } from 'node:zlib';

const budgets = {
	'steadfetch alone (ky, idb-keyval external)': 6_000,
	'everything (ky and idb-keyval included)': 13_500,
};

const measure = async (name, { external }) => {
	const result = await build({
		stdin: { contents: "export * from './dist/index.js';", resolveDir: process.cwd(), loader: 'js' },
		bundle: true, minify: true, format: 'esm', write: false, platform: 'neutral', external, target: 'es2022',
		mainFields: ['module', 'main'],
	});
	const bytes = result.outputFiles[0].contents;
	const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
	return { name, minified: bytes.length, brotli };
};

const rows = [
	await measure('steadfetch alone (ky, idb-keyval external)', { external: ['ky', 'idb-keyval'] }),
	await measure('everything (ky and idb-keyval included)', { external: [] }),
];
let failed = false;
for (const row of rows) {
	const budget = budgets[row.name];
	const over = budget !== undefined && row.brotli > budget;
	failed ||= over;
	console.log(`${row.name.padEnd(46)} ${String(row.minified).padStart(7)} B min  ${String(row.brotli).padStart(6)} B min+brotli  budget ${budget ?? '-'} ${over ? '✗ OVER' : '✓'}`);
}

if (process.argv.includes('--check') && failed) {
	console.error('Size budget exceeded.');
	process.exit(1);
}
