// A benchmark process under valgrind's callgrind, counted around its measured part only (instructions.mjs,
// attribute.mjs, store-path.mjs). The process prints READY when its warm-up is done and DONE (optionally
// followed by figures of its own) when its measured work is; after each it waits for a line on its stdin, so
// that instrumentation is switched (`callgrind_control -i`) before it goes on.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Run `node ...nodeArgs` under callgrind (`--smc-check=all-non-file`: V8 writes machine code at run time),
 * counting from READY to DONE. Resolves once the process exits with the output `file` (in `dir`, a new
 * temporary folder the caller removes), the process's `pid`, callgrind's `total` instructions (NaN without
 * one), what followed DONE on its line (`done`), the exit `code` and `stderr`.
 */
export const underCallgrind = (nodeArgs) => new Promise((resolve) => {
	const dir = mkdtempSync(join(tmpdir(), 'steadfetch-callgrind-'));
	const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'out.%p')}`, process.execPath, ...nodeArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (chunk) => {
		stderr += chunk;
	});
	let done = '';
	createInterface({ input: child.stdout }).on('line', (line) => {
		const ready = line === 'READY';
		if (ready || line.startsWith('DONE')) {
			spawnSync('callgrind_control', ['-i', ready ? 'on' : 'off', String(child.pid)]);
			done = ready ? done : line.slice('DONE'.length).trim();
			child.stdin.write(ready ? 'go\n' : 'exit\n');
		}
	});
	child.on('exit', (code) => {
		const file = readdirSync(dir).map((name) => join(dir, name)).find((name) => /out\.\d+$/.test(name));
		const total = Number(/^totals:\s*(\d+)/m.exec(file ? readFileSync(file, 'utf8') : '')?.[1]);
		resolve({ dir, file, pid: /out\.(\d+)$/.exec(file ?? '')?.[1], total: total > 0 ? total : Number.NaN, done, code, stderr });
	});
});

/** The inclusive instructions of V8's entry points `names` (each a prefix of a C++ name, `v8::internal::Heap::MarkCompact(`) in a callgrind output, summed. */
export const inclusiveOf = (file, names) => {
	const { stdout } = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
	const lines = stdout.split('\n');
	return names.reduce((sum, name) => sum + Number(lines.find((line) => line.includes(`:${name}`))?.trim().split(' ')[0].replaceAll(',', '') ?? 0), 0);
};
