/** Throws a RangeError naming the option and the value unless `ok`. */
export const check = (ok: boolean, option: string, value: unknown, expected: string): void => {
	if (!ok) {
		throw new RangeError(`\`${option}\` must be ${expected}; got ${describe(value)}`);
	}
};

/** A value as an error message shows it: a string quoted, a number, boolean, null or undefined as itself, else its type. */
export const describe = (value: unknown): string =>
	typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' || typeof value === 'boolean' || value == null ? String(value) : typeof value;

export const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
export const isNonNegativeInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
export const isPositiveFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;
export const isNonNegativeFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * How one option is checked when given (not `undefined`): the test its value must pass, what the
 * RangeError naming it says it must be, and whether the keys of its value are looked up too
 * (`retry.limit`; a number given as `retry` is its `limit`).
 */
export type Rule = readonly [test: (value: unknown) => boolean, expected: string, nested?: true];

/**
 * Throws a RangeError naming the option (its path: `prefix` and the key) for a given value that
 * breaks its rule in `rules` (by path). Only the keys given are looked at: few options, little work.
 */
export const checkRules = (options: object, rules: Readonly<Record<string, Rule>>, prefix = ''): void => {
	for (const key in options) {
		const path = prefix + key;
		const rule = rules[path];
		const value = (options as Record<string, unknown>)[key];
		if (rule && value !== undefined) {
			check(rule[0](value), path, value, rule[1]);
			if (rule[2]) {
				checkRules(typeof value === 'number' ? { limit: value } : value as object, rules, `${path}.`);
			}
		}
	}
};
