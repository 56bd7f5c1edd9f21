// Plain-text and Markdown tables for the benchmark output.

const cell = (value) => (value === undefined || value === null ? '' : typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '-') : String(value));

/** A Markdown table (readable as plain text too): `columns` are header strings, `rows` arrays of cells. */
export const table = (columns, rows) => {
	const text = rows.map((row) => row.map(cell));
	const widths = columns.map((name, index) => Math.max(name.length, ...text.map((row) => row[index]?.length ?? 0)));
	const numeric = columns.map((_, index) => rows.every((row) => typeof row[index] === 'number' || row[index] === undefined || /^[\d.,×x%+-]+\s?\S*$/.test(cell(row[index]))));
	const line = (cells) => `| ${cells.map((value, index) => (numeric[index] ? value.padStart(widths[index]) : value.padEnd(widths[index]))).join(' | ')} |`;
	return [
		line(columns),
		`|${widths.map((width, index) => (numeric[index] ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`,
		...text.map(line),
	].join('\n');
};

/** Print a titled section to stdout. */
export const section = (title, body, notes = []) => {
	console.log(`\n### ${title}\n`);
	console.log(body);
	for (const note of notes) {
		console.log(`\n${note}`);
	}
};
