// Instructions per call by JavaScript function, under valgrind's callgrind: what bench/instructions.mjs counts
// for one client and workload, attributed to the functions of our dist/ (issue 47). V8 writes where it put each
// function's machine code (`--perf-basic-prof`, /tmp/perf-<pid>.map); callgrind knows that code only by its
// address, so each address callgrind_annotate lists is looked up in the map (the newest entry that holds it: V8
// reuses code space). Prints the instructions per call executed in each part's own code ("self": ours, ky, undici,
// node, the rest being V8's builtins, runtime and GC, which the functions call), and our functions with what they
// and everything they call cost ("inclusive": an async function's resumptions are counted where they resume; a
// function compiled more than once shows its costliest copy). Not part of `npm run bench`; a diagnosis, as
// profile.mjs is: a change's effect is measured with instructions.mjs, side by side.
//
//   node bench/attribute.mjs [steadfetch|core|ky|…] [repeated|distinct] [--calls 2000] [--dist <another build's index.js>] [--top 40]
//
// Stop 60 of issue 47 found with it the cache key's digest memo (1.6k of the key's 7.8k per call) and the
// breaker's second scope per attempt.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { underCallgrind } from './lib/callgrind.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
	const at = argv.indexOf(name);
	return at === -1 ? fallback : argv[at + 1];
};

const [client = 'steadfetch', workload = 'repeated'] = argv.filter((arg, index) => !arg.startsWith('--') && !argv[index - 1]?.startsWith('--'));
const calls = Number(option('--calls', 2_000));
const top = Number(option('--top', 40));
const dist = option('--dist', '');
if (spawnSync('valgrind', ['--version']).status !== 0) {
	console.log('attribute: valgrind is not installed (apt-get install -y valgrind).');
	process.exit(0);
}

const instructions = fileURLToPath(new URL('instructions.mjs', import.meta.url));
const { dir, file, pid } = await underCallgrind(['--single-threaded', '--hash-seed=1', '--random-seed=1', '--perf-basic-prof', instructions, '--child', client, workload, String(calls), dist && resolve(dist)]);
const perfMap = `/tmp/perf-${pid}.map`;
/** V8's code ranges, in the order it wrote them: [start, end, name]. */
const ranges = readFileSync(perfMap, 'utf8').trim().split('\n').map((line) => {
	const [start, size, ...name] = line.split(' ');
	const from = Number.parseInt(start, 16);
	return [from, from + Number.parseInt(size, 16), name.join(' ')];
});
const nameAt = (address) => {
	for (let index = ranges.length - 1; index >= 0; index--) {
		const [from, to, name] = ranges[index];
		if (address >= from && address < to) {
			return name;
		}
	}

	return undefined;
};

/** Each callgrind function's instructions (`--inclusive`), its JIT code named by the perf map. */
const annotate = (inclusive) => {
	const { stdout } = spawnSync('callgrind_annotate', [`--inclusive=${inclusive ? 'yes' : 'no'}`, '--threshold=100', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
	const rows = [];
	let total = 0;
	for (const line of stdout.split('\n')) {
		const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
		if (!match) {
			continue;
		}

		const count = Number(match[1].replaceAll(',', ''));
		if (match[2].includes('PROGRAM TOTALS')) {
			total = count;
			continue;
		}

		const address = /^\?\?\?:0x([\da-f]+) \[\?\?\?\]$/.exec(match[2].trim());
		rows.push({ count, name: address ? nameAt(Number.parseInt(address[1], 16)) ?? '(JIT code not in the map)' : undefined });
	}

	return { rows, total };
};

const ours = (name) => /\/(dist|bench\/tmp\/[^/]+)\/[^/]*\.js/.test(name) && !name.includes('node_modules');
const short = (name) => name.replace(/^JS:[*+^~']*/, '').replace(/file:\/\/\/\S*\/(dist|bench\/tmp\/[^/]+)\//, '');
const part = (name) => name === undefined ? 'V8 builtins, runtime, GC' : ours(name) ? 'our dist/' : name.includes('/node_modules/ky/') ? 'ky' : name.includes('undici') ? 'undici' : name.includes('node:') ? 'node' : 'other JavaScript';
const self = annotate(false);
const parts = new Map();
for (const { count, name } of self.rows) {
	parts.set(part(name), (parts.get(part(name)) ?? 0) + count);
}

console.log(`${client}, ${workload} URLs, ${calls} calls: ${Math.round(self.total / calls).toLocaleString('en')} instructions per call in all`);
console.log('\nself, per call:');
for (const [name, count] of [...parts].sort((a, b) => b[1] - a[1])) {
	console.log(`${Math.round(count / calls).toLocaleString('en').padStart(9)}  ${name}`);
}

const inclusive = new Map();
for (const { count, name } of annotate(true).rows) {
	if (name !== undefined && ours(name)) {
		inclusive.set(short(name), Math.max(inclusive.get(short(name)) ?? 0, count));
	}
}

console.log(`\nour functions, inclusive, per call (the ${top} costliest):`);
for (const [name, count] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
	console.log(`${Math.round(count / calls).toLocaleString('en').padStart(9)}  ${name}`);
}

rmSync(dir, { recursive: true, force: true });
rmSync(perfMap, { force: true });
