// Instructions per write of the stale cache behind the caller, under valgrind's callgrind (issue 47): per new
// URL, its record handed over to the memory store under its deadline, the view told, and every 125 copies a
// quarter of `maxEntries` evicted (the store listed, the least recent deleted in one operation) — the part of a
// never-seen URL's GET that instructions.mjs cannot isolate.
//
//   node bench/store-path.mjs [--ops 10000] [--baseline <git revision>] [--quick]
//
// `--baseline` also measures the src/ of a revision (`git archive`), side by side, with the same driver (which
// tells the view before the write is confirmed, as cache/copy.ts does since this bench was added).
//
// The driver (bench/store-path/driver.ts) is bundled from src/ with esbuild and runs after a warm-up of 20,000
// writes: the whole-client bench (instructions.mjs) warms up 3,000 calls, after which which functions V8 has
// optimized, and how much minor and incremental GC falls in its window, still move from one build to another
// by ±10k instructions per call, more than a change to this path; here the path is measured in its steady
// tier. Two figures: its work (GC and JIT compilation subtracted) and in all. Median of 3 runs (1 with --quick).
import { execSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { quick, writeResult } from './lib/args.mjs';
import { inclusiveOf, underCallgrind } from './lib/callgrind.mjs';
import { section, table } from './lib/table.mjs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--ops');
const ops = at === -1 ? (quick ? 2_000 : 10_000) : Number(argv[at + 1]);
const runs = quick ? 1 : 3;
if (spawnSync('valgrind', ['--version']).status !== 0) {
	console.log('store-path: valgrind is not installed (apt-get install -y valgrind); skipped.');
	writeResult({ skipped: 'no valgrind' });
	process.exit(0);
}

const out = fileURLToPath(new URL('tmp/store-path/', import.meta.url));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const source = fileURLToPath(new URL('store-path/driver.ts', import.meta.url));
const driver = join(out, 'driver.mjs');
await build({ entryPoints: [source], bundle: true, format: 'esm', platform: 'node', outfile: driver, logLevel: 'error' });
const revision = argv.includes('--baseline') ? argv[argv.indexOf('--baseline') + 1] : undefined;
const baselineDriver = join(out, 'baseline.mjs');
if (revision) {
	const tree = join(out, 'baseline');
	mkdirSync(join(tree, 'bench/store-path'), { recursive: true });
	execSync(`git archive ${revision} src | tar -x -C ${JSON.stringify(tree)}`);
	cpSync(source, join(tree, 'bench/store-path/driver.ts'));
	await build({ entryPoints: [join(tree, 'bench/store-path/driver.ts')], bundle: true, format: 'esm', platform: 'node', outfile: baselineDriver, logLevel: 'error' });
}

/** V8's entry points of GC (minor, major, and the incremental marking steps allocation makes) and JIT compilation: subtracted for "work". */
const unsteady = ['v8::internal::Heap::CollectGarbage(', 'v8::internal::IncrementalMarking::Observer::Step(', 'v8::internal::Compiler::CompileOptimized(', 'v8::internal::Runtime_CompileLazy(', 'v8::internal::Runtime_CompileBaseline('];

/** Instructions per write of one run of `file`: in all, and its work (GC and JIT compilation subtracted). */
const measure = async (file) => {
	const run = await underCallgrind(['--single-threaded', file, String(ops)]);
	try {
		if (Number.isNaN(run.total)) {
			throw new Error(`store-path ${file}: no callgrind total`);
		}

		return { all: run.total / ops, work: (run.total - inclusiveOf(run.file, unsteady)) / ops };
	} finally {
		rmSync(run.dir, { recursive: true, force: true });
	}
};

const median = (values) => Math.round([...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]);
const results = {};
for (const [name, file] of [['ours', driver], ...(revision ? [['baseline', baselineDriver]] : [])]) {
	const each = [];
	for (let run = 0; run < runs; run++) {
		each.push(await measure(file));
	}

	results[name] = { all: median(each.map(({ all }) => all)), work: median(each.map(({ work }) => work)) };
}

const row = (label, name) => [label, results[name].work, results[name].all];
section(`Instructions per write of the stale cache behind the caller, per new URL (callgrind, ${ops} writes after 20,000, 16 in flight, median of ${runs})`, table(['src/', 'work (GC and JIT compilation subtracted)', 'in all'], [
	row('this checkout', 'ours'),
	...(revision ? [row(revision, 'baseline')] : []),
]));
writeResult({ ops, runs, baseline: revision, perWrite: results });
