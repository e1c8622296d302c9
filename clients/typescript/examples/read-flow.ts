/**
 * Reads a flow with fetch and the generated types, and says what each answer was:
 *
 *   GATEWAY_URL=http://localhost:3000 API_KEY=demo-key npm exec -- tsx clients/typescript/examples/read-flow.ts 12345678 040100713
 *
 * The account and interaction id default to the demo's.
 */
import { pathToFileURL } from 'node:url';
import type { components, paths } from '../gateway-api.js';

type FlowOperation = paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow']['get'];
type Flow = FlowOperation['responses'][200]['content']['application/json'];
type Problem = components['schemas']['Problem'];
type Answer = components['schemas']['Answer'];

export async function readFlow(
  baseUrl: string,
  apiKey: string,
  { accountId, interactionId }: FlowOperation['parameters']['path'],
  query: FlowOperation['parameters']['query'] = {},
): Promise<Flow> {
  const url = new URL(
    `/v1/accounts/${encodeURIComponent(accountId)}/interactions/${encodeURIComponent(interactionId)}/flow`,
    baseUrl,
  );
  if (query?.widerSearch !== undefined) url.searchParams.set('widerSearch', String(query.widerSearch));
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!response.ok) {
    const problem = (await response.json()) as Problem;
    // The type is one of the slugs the document lists: a client can switch on it.
    if (problem.type.endsWith('/problems/interaction-not-found')) throw new Error(`no such flow: ${problem.detail}`);
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
  return (await response.json()) as Flow;
}

/** What the customer did, told from the answer's kind: `value` and `selected` narrow with it. */
export function describe(answer: Answer): string {
  const label = answer.label ?? answer.id;
  switch (answer.kind) {
    case 'text':
    case 'other': {
      // Narrowed by kind: the text entered, and a selected that is null, as choosing does not apply.
      const entered: string | null = answer.value;
      const selected: null = answer.selected;
      return `${label}: ${entered === null ? 'nothing entered' : `"${entered}"`} (selected ${selected})`;
    }
    case 'photos': {
      // Narrowed by kind: never a value; the page's photos list what was uploaded.
      const value: null = answer.value;
      return `${label}: photos uploaded (value ${value})`;
    }
    case 'option':
    case 'switch':
    case 'list':
    case 'continue': {
      const chosen: boolean | null = answer.selected;
      return `${label}: ${chosen === null ? 'no value' : chosen ? 'chosen' : 'not chosen'}`;
    }
    default: {
      // Every kind is handled: a new one in the document breaks this line at compile time.
      const unknown: never = answer;
      return String(unknown);
    }
  }
}

async function main(): Promise<void> {
  const [accountId = '12345678', interactionId = '040100713'] = process.argv.slice(2);
  const flow = await readFlow(process.env.GATEWAY_URL ?? 'http://localhost:3000', process.env.API_KEY ?? 'demo-key', {
    accountId,
    interactionId,
  });
  for (const page of flow.pages) {
    console.log(`${page.index}. ${page.title ?? '(untitled page)'}`);
    for (const answer of page.answers) console.log(`   ${describe(answer)}`);
  }
}

// Run, not imported.
if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
