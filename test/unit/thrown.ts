/** What `make()` does: the name and message of what it throws synchronously, or 'made'. */
export const thrown = (make: () => unknown): string => {
	try {
		make();
		return 'made';
	} catch (error) {
		return `${(error as Error).name}: ${(error as Error).message}`;
	}
};
