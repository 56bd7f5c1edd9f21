/** Throws a RangeError naming the option and the value unless `ok`. */
export const check = (ok: boolean, option: string, value: unknown, expected: string): void => {
	if (!ok) {
		throw new RangeError(`\`${option}\` must be ${expected}; got ${describe(value)}`);
	}
};

const describe = (value: unknown): string => {
	if (typeof value === 'string') {
		return JSON.stringify(value);
	}

	if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
		return String(value);
	}

	return typeof value;
};

export const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
export const isNonNegativeInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
export const isPositiveFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;
export const isNonNegativeFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
