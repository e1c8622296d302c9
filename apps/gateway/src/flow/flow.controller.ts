import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../problems/problem.dto.js';
import { CallerAttributeFlowParams, FLOW_EXAMPLE, FlowDto, FlowQuery, InteractionFlowParams } from './flow.dto.js';
import type { Flow } from './flow.model.js';
import { FlowService } from './flow.service.js';

const FLOW_PROBLEMS = [
  'validation-failed',
  'account-not-found',
  'interaction-not-found',
  'upstream-unauthorized',
  'upstream-error',
  'upstream-timeout',
  'internal-error',
] as const;

@ApiTags('flows')
@Controller('v1/accounts/:accountId')
export class FlowController {
  constructor(private readonly flows: FlowService) {}

  @Get('interactions/:interactionId/flow')
  @ApiOperation({
    operationId: 'getInteractionFlow',
    security: [],
    summary: 'Get the full flow of an interaction',
    description: 'Every page the customer navigated in the interaction, with their answers and uploaded photo paths.',
  })
  @ApiOkResponse({ type: FlowDto, description: 'The normalized flow.', example: FLOW_EXAMPLE })
  @ApiProblemResponses(...FLOW_PROBLEMS)
  byInteraction(@Param() params: InteractionFlowParams, @Query() query: FlowQuery): Promise<Flow> {
    return this.flows.getFlow(params.accountId, {
      kind: 'interactionId',
      value: params.interactionId,
      widerSearch: query.widerSearch === 'true',
    });
  }

  @Get('caller-attributes/:callerAttribute/flow')
  @ApiOperation({
    operationId: 'getCallerAttributeFlow',
    security: [],
    summary: 'Get the full flow found by a caller attribute',
    description:
      'The latest interaction that carries the caller attribute (DTMF, DNID, call-return number, caller id or history search id).',
  })
  @ApiOkResponse({
    type: FlowDto,
    description: 'The normalized flow.',
    example: {
      ...FLOW_EXAMPLE,
      interactionId: null,
      lookup: { by: 'callerAttribute', value: '112233', widerSearch: false },
    },
  })
  @ApiProblemResponses(...FLOW_PROBLEMS)
  byCallerAttribute(@Param() params: CallerAttributeFlowParams, @Query() query: FlowQuery): Promise<Flow> {
    return this.flows.getFlow(params.accountId, {
      kind: 'callerAttribute',
      value: params.callerAttribute,
      widerSearch: query.widerSearch === 'true',
    });
  }

  // The router cannot match an empty segment to a parameter; these routes let validation say so with a 400.
  @Get('interactions//flow')
  @ApiExcludeEndpoint()
  byEmptyInteraction(@Param() params: InteractionFlowParams, @Query() query: FlowQuery): Promise<Flow> {
    return this.byInteraction(params, query);
  }

  @Get('caller-attributes//flow')
  @ApiExcludeEndpoint()
  byEmptyCallerAttribute(@Param() params: CallerAttributeFlowParams, @Query() query: FlowQuery): Promise<Flow> {
    return this.byCallerAttribute(params, query);
  }
}
