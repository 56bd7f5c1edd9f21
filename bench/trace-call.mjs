// Files and switches for one preset GET: the preset bundled from the sources with esbuild, every
// function body of src/ starting with a call that records its file; one GET (after a warm-up GET of
// the same URL) to a loopback server, recorded from the call until its `.json()` resolves.
// Prints the distinct src files entered, the switches (consecutive recorded entries in different
// files) and how many times core/call.ts is entered (a switch into it, or the first entry).
//
//   node bench/trace-call.mjs [--src <a src/ folder, e.g. of another commit>] [--list] [--sequence]
//
// `--src` measures another version of the sources (`git archive main src | tar -x -C /tmp/main`,
// then `--src /tmp/main/src`); the packages come from this checkout's node_modules. `--list` also
// prints the recorded files in order of first entry, and each file's entries; `--sequence` the
// files in the order they were entered (consecutive entries of one file as one, with their count).
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

const argv = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const at = argv.indexOf('--src');
const src = resolve(at === -1 ? join(root, 'src') : argv[at + 1]);

/** Where to insert the recording call in one TypeScript file: after each function body's `{`, around each arrow's expression body. */
const instrument = (text, file) => {
	const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
	const name = JSON.stringify(relative(src, file));
	const record = `globalThis.__traceCall(${name})`;
	const edits = [];
	const visit = (node) => {
		if (ts.isFunctionLike(node) && node.body) {
			const { body } = node;
			if (ts.isBlock(body)) {
				edits.push([body.getStart(source) + 1, `${record};`]);
			} else {
				edits.push([body.getStart(source), `(${record}, `], [body.getEnd(), ')']);
			}
		} else if (ts.isClassStaticBlockDeclaration(node)) {
			edits.push([node.body.getStart(source) + 1, `${record};`]);
		}

		ts.forEachChild(node, visit);
	};

	visit(source);
	edits.sort((a, b) => b[0] - a[0]);
	let out = text;
	for (const [position, insert] of edits) {
		out = out.slice(0, position) + insert + out.slice(position);
	}

	return out;
};

const dir = mkdtempSync(join(tmpdir(), 'trace-call-'));
const outfile = join(dir, 'preset.mjs');
await build({
	entryPoints: [join(src, 'entries/index.ts')],
	bundle: true,
	format: 'esm',
	platform: 'node',
	target: 'es2022',
	outfile,
	nodePaths: [join(root, 'node_modules')],
	logLevel: 'error',
	plugins: [{
		name: 'trace-call',
		setup(context) {
			context.onLoad({ filter: /\.ts$/ }, (args) => {
				if (!args.path.startsWith(src)) {
					return undefined;
				}

				return { contents: instrument(readFileSync(args.path, 'utf8'), args.path), loader: 'ts' };
			});
		},
	}],
});

let recording = false;
const entries = [];
globalThis.__traceCall = (file) => {
	if (recording) {
		entries.push(file);
	}
};

const server = createServer((_request, response) => {
	response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=0' });
	response.end('{"ok":true}');
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const url = `http://127.0.0.1:${server.address().port}/item`;

try {
	const { createClient } = await import(pathToFileURL(outfile).href);
	const api = createClient({});
	await api.get(url).json();
	recording = true;
	await api.get(url).json();
	recording = false;
	api.close();
} finally {
	server.close();
	rmSync(dir, { recursive: true, force: true });
}

const files = new Map();
let switches = 0;
let intoCall = 0;
entries.forEach((file, index) => {
	files.set(file, (files.get(file) ?? 0) + 1);
	const changed = index > 0 && entries[index - 1] !== file;
	switches += changed ? 1 : 0;
	if (file === 'core/call.ts' && (index === 0 || changed)) {
		intoCall++;
	}
});

console.log(`sources: ${relative(process.cwd(), src) || '.'}`);
console.log(`files entered: ${files.size}`);
console.log(`switches: ${switches}`);
console.log(`entries into core/call.ts: ${intoCall}`);
console.log(`functions entered: ${entries.length}`);
if (argv.includes('--list')) {
	for (const [file, count] of files) {
		console.log(`  ${file} ${count}`);
	}
}

if (argv.includes('--sequence')) {
	const runs = [];
	for (const file of entries) {
		const last = runs.at(-1);
		if (last?.[0] === file) {
			last[1]++;
		} else {
			runs.push([file, 1]);
		}
	}

	console.log(runs.map(([file, count]) => (count > 1 ? `${file}×${count}` : file)).join(' → '));
}
