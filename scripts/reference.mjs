// The reference entry of a public function, class or client method, written from its declaration and
// TSDoc by scripts/readme.mjs: its signature; its doc comment; a table of its `options` parameter
// when that is an object of documented properties, or a link to the options table that already
// documents it; a table of a class's public fields; and a table of the members of the
// interface it returns when that interface is declared beside it (what a caller spreads or reads).
import ts from 'typescript';

/** The text of a doc comment or tag (plain text and inline tags alike). */
export const textOf = (comment) => (typeof comment === 'string' ? comment : (comment ?? []).map((part) => part.text ?? '').join(''));

/** A node's own doc comment (the last one written before it): `{ text, tags }`. */
export const docOf = (node) => {
	const doc = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1);
	return { text: textOf(doc?.comment).trim(), tags: doc?.tags ?? [] };
};

/** A `@tag`'s text, or '' without one. */
export const tagOf = (doc, name) => textOf(doc.tags.find((tag) => tag.tagName.text === name)?.comment).trim();

const printer = ts.createPrinter({ removeComments: true });

/** A type as written, on one line; one with comments in it (a type literal's documented members) reprinted without them. */
const typeText = (node, source) => {
	const text = node.getText(source);
	return (/\/[/*]/.test(text) ? printer.printNode(ts.EmitHint.Unspecified, node, source).replaceAll(/;\s*\n\s*\}/g, ' }') : text).replaceAll(/\s*\n\s*/g, ' ');
};

/** One line of markdown: newlines folded, pipes escaped. */
export const cell = (text) => text.replaceAll(/\s*\n\s*/g, ' ').replaceAll('|', '\\|').trim();

/** Abbreviations whose period never ends a sentence; "etc." ends one only before a capital. */
const abbreviation = /\b(?:e\.g|i\.e|vs|cf|etc)\.$/i;

/** Where the sentence starting at `from` ends (after its period), or the length of `text`. */
const sentenceEnd = (text, from) => {
	const ends = /[.!?](?=\s+([A-Z`(])|\s*$)/g;
	ends.lastIndex = from;
	for (let match = ends.exec(text); match; match = ends.exec(text)) {
		const upTo = text.slice(from, match.index + 1);
		const next = match[1];
		if (!abbreviation.test(upTo) || (/\betc\.$/i.test(upTo) && next !== undefined && /[A-Z]/.test(next))) {
			return match.index + 1;
		}
	}

	return text.length;
};

/**
 * The first sentence of a doc comment's text: up to a period before a capital, a backquote, a
 * parenthesis or the end, abbreviations excepted ("e.g. `x`" does not end one). A text that lists
 * values (`` `'error'`: … `'accepted'`: … ``) keeps every sentence of the list.
 */
export const firstSentence = (text) => {
	const value = /^\s*`[^`]+`:/;
	let end = sentenceEnd(text, 0);
	if (value.test(text)) {
		while (end < text.length && value.test(text.slice(end))) {
			end = sentenceEnd(text, end);
		}
	}

	return text.slice(0, end).trim();
};

/** The properties of an interface or type literal: name, type as written, required, `@default`, first sentence. */
export const propertiesOf = (node, source) => node.members.filter(ts.isPropertySignature).map((member) => {
	const doc = docOf(member);
	return { name: member.name.getText(source), type: member.type ? typeText(member.type, source) : '', required: !member.questionToken, default: tagOf(doc, 'default'), text: firstSentence(doc.text), documented: doc.text !== '' };
});

/** An options table: option, type, default (or "required"), what it does. */
export const optionsTable = (properties) => ['| option | type | default | |', '|---|---|---|---|',
	...properties.map((option) => `| \`${option.name}\` | \`${cell(option.type)}\` | ${option.required ? 'required' : option.default ? cell(option.default) : '—'} | ${cell(option.text)} |`)];

/** A table of fields or members: name, type, what it is. */
const membersTable = (heading, members) => [`| ${heading} | type | |`, '|---|---|---|', ...members.map((member) => `| \`${member.name}\` | \`${cell(member.type)}\` | ${cell(member.text)} |`)];

/** GitHub's (and npm's) anchor of a heading. */
export const anchorOf = (heading) => heading.toLowerCase().replaceAll(/[^\p{L}\p{N}\s_-]/gu, '').replaceAll(' ', '-');

/** The interface or type literal a type node names, with the file it is declared in, or undefined. */
const objectType = (checker, node) => {
	if (ts.isTypeLiteralNode(node)) {
		return { declaration: node, source: node.getSourceFile() };
	}

	if (!ts.isTypeReferenceNode(node)) {
		return undefined;
	}

	let symbol = checker.getSymbolAtLocation(node.typeName);
	if (symbol && symbol.flags & ts.SymbolFlags.Alias) {
		symbol = checker.getAliasedSymbol(symbol);
	}

	const declaration = symbol?.declarations?.find(ts.isInterfaceDeclaration);
	return declaration ? { declaration, source: declaration.getSourceFile(), name: declaration.name.text } : undefined;
};

/** A parameter as a declaration file shows it: `name?: type`. */
const parameterText = (checker, parameter, source) => {
	const optional = parameter.questionToken || parameter.initializer ? '?' : '';
	const type = parameter.type ? typeText(parameter.type, source) : checker.typeToString(checker.getTypeAtLocation(parameter));
	return `${parameter.dotDotDotToken ? '...' : ''}${parameter.name.getText(source)}${optional}: ${type}`;
};

/** What a function-like declaration takes and returns, as a declaration file shows it. */
const signatureText = (checker, fn, source) => {
	const generics = fn.typeParameters ? `<${fn.typeParameters.map((each) => typeText(each, source)).join(', ')}>` : '';
	const parameters = fn.parameters.map((parameter) => parameterText(checker, parameter, source)).join(', ');
	const returns = fn.type ? typeText(fn.type, source) : checker.typeToString(checker.getReturnTypeOfSignature(checker.getSignatureFromDeclaration(fn)));
	return `${generics}(${parameters}): ${returns}`;
};

/**
 * The table of a function's options: its parameter named `options`, when its type is an interface or
 * a type literal of documented properties, or a link to the table that already documents it.
 */
const parameterTables = (checker, fn, documented) => fn.parameters.flatMap((parameter) => {
	const name = parameter.name.getText();
	const found = name === 'options' && parameter.type ? objectType(checker, parameter.type) : undefined;
	if (!found) {
		return [];
	}

	if (found.name && documented.has(found.name)) {
		const heading = documented.get(found.name);
		return [`\`${name}\`: \`${found.name}\`, in [${heading}](#${anchorOf(heading)}).`, ''];
	}

	const properties = propertiesOf(found.declaration, found.source);
	return properties.some((property) => property.documented) ? [`\`${name}\`:`, '', ...optionsTable(properties), ''] : [];
});

/** The members of the interface a function returns, when it is declared in the function's own file. */
const returnTable = (checker, fn, source) => {
	const found = fn.type && objectType(checker, fn.type);
	if (!found?.name || found.source !== source) {
		return [];
	}

	const members = found.declaration.members.filter((member) => ts.isPropertySignature(member) || ts.isMethodSignature(member)).map((member) => ({
		name: member.name.getText(source),
		type: ts.isPropertySignature(member) ? (member.type ? typeText(member.type, source) : '') : `(${member.parameters.map((parameter) => parameterText(checker, parameter, source)).join(', ')}) => ${member.type ? typeText(member.type, source) : 'void'}`,
		text: firstSentence(docOf(member).text),
	}));
	return [`It returns \`${found.name}\`:`, '', ...membersTable('member', members), ''];
};

/** A class's public fields: declared properties that are not private. */
const fieldsOf = (checker, declaration, source) => declaration.members
	.filter((member) => ts.isPropertyDeclaration(member) && !ts.isPrivateIdentifier(member.name) && !ts.getModifiers(member)?.some((modifier) => modifier.kind === ts.SyntaxKind.PrivateKeyword || modifier.kind === ts.SyntaxKind.ProtectedKeyword))
	.map((member) => ({
		name: member.name.getText(source),
		type: member.type ? typeText(member.type, source) : checker.typeToString(checker.getTypeAtLocation(member)),
		text: firstSentence(docOf(member).text),
	}));

/** The function-like node behind a declaration: a function, a method signature, or a `const` holding an arrow. */
const functionOf = (declaration) => {
	if (ts.isFunctionDeclaration(declaration) || ts.isMethodSignature(declaration) || ts.isMethodDeclaration(declaration)) {
		return declaration;
	}

	const initializer = ts.isVariableDeclaration(declaration) ? declaration.initializer : undefined;
	return initializer && (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer)) ? initializer : undefined;
};

/** The declaration exported as `name` (or `Interface.member`) by the module `file`. */
const declarationOf = (checker, program, file, name) => {
	const source = program.getSourceFile(file);
	if (!source) {
		throw new Error(`${file}: not found`);
	}

	const [exported, member] = name.split('.');
	let symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)).find((each) => each.name === exported);
	if (symbol && symbol.flags & ts.SymbolFlags.Alias) {
		symbol = checker.getAliasedSymbol(symbol);
	}

	if (symbol && member) {
		symbol = checker.getDeclaredTypeOfSymbol(symbol).getProperty(member);
	}

	const declaration = symbol?.declarations?.[0];
	if (!declaration) {
		throw new Error(`${file}: exports no ${name}`);
	}

	return declaration;
};

/** The parameter names of a function-like node, for a heading: `(api, url, options?)`. */
const parameterNames = (fn) => `(${fn.parameters.map((parameter) => `${parameter.name.getText()}${parameter.questionToken || parameter.initializer ? '?' : ''}`).join(', ')})`;

/** A function's or client method's entry: heading, signature, TSDoc, its options and what it returns. */
const functionEntry = (checker, name, fn, doc, documented) => {
	const source = fn.getSourceFile();
	const method = name.includes('.');
	const own = name.split('.').at(-1);
	return [
		`##### \`${method ? `api.${own}` : name}${parameterNames(fn)}\``, '', '```ts', `${method ? '' : 'function '}${own}${signatureText(checker, fn, source)};`, '```', '',
		...(doc.text ? [doc.text, ''] : []), ...parameterTables(checker, fn, documented), ...returnTable(checker, fn, source),
	];
};

/** A class's entry: heading, what it extends and its constructor, TSDoc, its public fields. */
const classEntry = (checker, name, declaration, doc) => {
	const source = declaration.getSourceFile();
	const made = declaration.members.find(ts.isConstructorDeclaration);
	const heritage = declaration.heritageClauses?.map((clause) => ` ${clause.getText(source)}`).join('') ?? '';
	const generics = declaration.typeParameters ? `<${declaration.typeParameters.map((each) => typeText(each, source)).join(', ')}>` : '';
	const parameters = made ? made.parameters.map((parameter) => parameterText(checker, parameter, source)).join(', ') : '';
	const fields = fieldsOf(checker, declaration, source);
	return [
		`##### \`${name}\``, '', '```ts', `class ${name}${generics}${heritage} {`, `\tconstructor(${parameters});`, '}', '```', '',
		...(doc.text ? [doc.text, ''] : []), ...(fields.length > 0 ? [...membersTable('field', fields), ''] : []),
	];
};

/**
 * The reference of each `[entry, name]` (an export of `steadfetch/<entry>`, or a client method as
 * `Interface.member`), grouped by entry; `documented` maps the interfaces that have an options table
 * of their own to its heading. `fileOf(entry)` is the entry's source file.
 */
export const describe = (list, documented, fileOf) => {
	const files = [...new Set(list.map(([entry]) => fileOf(entry)))];
	const program = ts.createProgram(files, {
		target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
		lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], types: [], noEmit: true, skipLibCheck: true,
	});
	const checker = program.getTypeChecker();
	const parts = [];
	let group;
	for (const [entry, name] of list) {
		if (entry !== group) {
			group = entry;
			parts.push(`#### \`${entry}\``, '');
		}

		const declaration = declarationOf(checker, program, fileOf(entry), name);
		const fn = functionOf(declaration);
		if (fn) {
			parts.push(...functionEntry(checker, name, fn, docOf(declaration), documented));
		} else if (ts.isClassDeclaration(declaration)) {
			parts.push(...classEntry(checker, name, declaration, docOf(declaration)));
		} else {
			throw new Error(`${name}: neither a function nor a class`);
		}
	}

	return parts;
};
