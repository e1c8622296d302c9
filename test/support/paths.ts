import { ACCOUNT_ROUTE, LOOKUP_ROUTES } from '../../apps/gateway/src/flow/flow.lookups.js';
import { photoHref } from '../../apps/gateway/src/flow/photo-id.js';

/** A route template with its one parameter filled in. */
const fill = (template: string, value: string) => template.replace(/:\w+/, encodeURIComponent(value));

/**
 * A lookup route's path, from the gateway's own route table, so that the tests follow a route that
 * moves: by interaction id, or by caller attribute. Each parameter is encoded; a test of hostile or
 * malformed paths writes its own string.
 */
export function flowPath(accountId: string, lookup: string | { callerAttribute: string }, query = ''): string {
  const [kind, value] =
    typeof lookup === 'string' ? ['interactionId', lookup] : ['callerAttribute', lookup.callerAttribute];
  const route = LOOKUP_ROUTES.find((candidate) => candidate.kind === kind);
  if (!route) throw new Error(`no lookup route of kind ${kind}`);
  return `/${fill(ACCOUNT_ROUTE, accountId)}/${fill(route.path, value)}${query}`;
}

/** The photo route's path, as the gateway writes it into a flow found by interaction id. */
export function photoPath(accountId: string, interactionId: string, photoId: string, query = ''): string {
  return `${photoHref(accountId, interactionId, photoId)}${query}`;
}
