/** An empty variable means unset: Kubernetes passes an env entry without a value as "", Compose an unset ${VAR} alike. */
export function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === '' ? undefined : raw;
}

const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * The number a variable's text spells, or undefined. Plain decimal text only: Number() alone would
 * also take "0x10", "1e3", " 5 " and "+5", and a typo must not pass for a value. Neither form takes
 * a sign. Counts, bytes and milliseconds are `whole`; seconds and shares may take a fraction.
 */
export function decimal(raw: string, whole: boolean): number | undefined {
  if (!(whole ? WHOLE : DECIMAL).test(raw)) return undefined;
  const value = Number(raw);
  return (whole ? Number.isSafeInteger(value) : Number.isFinite(value)) ? value : undefined;
}
