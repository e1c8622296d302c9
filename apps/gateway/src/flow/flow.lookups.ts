import type { Type } from '@nestjs/common';
import type { LookupKind } from '@app/interact';
import { CallerAttributeFlowParams, FLOW_EXAMPLE, InteractionFlowParams, type AccountParams } from './flow.dto.js';
import type { Flow } from './flow.model.js';

/** Where every lookup route starts: the account whose flows it reads. */
export const ACCOUNT_ROUTE = 'v1/accounts/:accountId';

/** One way to look up a flow: a GET route under an account, the lookup it makes, and its OpenAPI operation. */
export interface LookupRoute<P extends AccountParams = AccountParams> {
  readonly kind: LookupKind;
  /** Under ACCOUNT_ROUTE, with one parameter of its own: the lookup value. */
  readonly path: string;
  /** The route's parameters, as both paths of a request validate them. */
  readonly params: Type<P>;
  /** The lookup value among the parameters. A method, so that an entry of a narrower DTO is still a LookupRoute. */
  value(params: P): string;
  readonly operation: { readonly operationId: string; readonly summary: string; readonly description: string };
  /** The example of the 200 answer in the OpenAPI document. */
  readonly example: Flow;
}

// Infers P for each entry, so that its value reads its own DTO's field.
const lookupRoute = <P extends AccountParams>(route: LookupRoute<P>): LookupRoute<P> => route;

/**
 * Every lookup route. FlowController's routes, CachedFlowHook's and the OpenAPI operations are made
 * from this table: adding a lookup route is adding an entry here, and its params DTO.
 */
export const LOOKUP_ROUTES: readonly LookupRoute[] = [
  lookupRoute({
    kind: 'interactionId',
    path: 'interactions/:interactionId/flow',
    params: InteractionFlowParams,
    value: (params) => params.interactionId,
    operation: {
      operationId: 'getInteractionFlow',
      summary: 'Get the full flow of an interaction',
      description: 'Every page the customer navigated in the interaction, with their answers and uploaded photo paths.',
    },
    example: FLOW_EXAMPLE,
  }),
  lookupRoute({
    kind: 'callerAttribute',
    path: 'caller-attributes/:callerAttribute/flow',
    params: CallerAttributeFlowParams,
    value: (params) => params.callerAttribute,
    operation: {
      operationId: 'getCallerAttributeFlow',
      summary: 'Get the full flow found by a caller attribute',
      description:
        'The latest interaction that carries the caller attribute (DTMF, DNID, call-return number, caller id or history search id).',
    },
    example: {
      ...FLOW_EXAMPLE,
      interactionId: null,
      lookup: { by: 'callerAttribute', value: '112233', widerSearch: false },
      // Such a flow names no interaction, which the photo method needs.
      pages: FLOW_EXAMPLE.pages.map((page) => ({
        ...page,
        photos: page.photos.map((photo) => ({ ...photo, href: null })),
      })),
    },
  }),
];
