import type { GatewayAccount } from '../config/gateway.config.js';

/**
 * A store key of one account's entries: the prefix, the entry's own schema version (bumped when
 * what it stores changes shape, so old entries become misses), account and environment, then the
 * parts that name the entry within them.
 */
export function accountCacheKey(
  prefix: string,
  schema: string,
  account: GatewayAccount,
  ...parts: (string | number)[]
): string {
  const part = encodeURIComponent;
  // An account without an environment gets an empty part, which no name encodes to: names are non-empty.
  return [prefix, schema, part(account.accountId), part(account.environmentName ?? ''), ...parts].join(':');
}
