import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  EMPTY_HISTORY_BODY,
  INTERACT_API_VERSION,
  INTERNAL_ERROR_BODY,
  UNAUTHORIZED_BODY,
  UNAUTHORIZED_REASON_HEADER,
  type LookupKind,
} from '@app/interact';
import { FaultInjectionService } from '../faults/fault-injection.service.js';
import { hostileAnswer } from '../faults/hostile-payloads.js';
import { FullFlowService } from '../histories/full-flow.service.js';

const ACCOUNT_DATA = `interact/agent/version/${INTERACT_API_VERSION}/account/:accountId/interactiondata`;

/** Interact's REST "Get Full Interaction Flow", answered the way upstream answers it. */
@Controller(ACCOUNT_DATA)
export class FullFlowController {
  constructor(
    private readonly fullFlow: FullFlowService,
    private readonly faults: FaultInjectionService,
  ) {}

  @Get(':uniqueId/fullFlow')
  byUniqueId(
    @Param('accountId') accountId: string,
    @Param('uniqueId') uniqueId: string,
    @Query('widerSearch') widerSearch: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.reply('interactionId', accountId, uniqueId, widerSearch, request, reply);
  }

  @Get(':callerAttribute/fullFlow/byCallerAttribute')
  byCallerAttribute(
    @Param('accountId') accountId: string,
    @Param('callerAttribute') callerAttribute: string,
    @Query('widerSearch') widerSearch: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.reply('callerAttribute', accountId, callerAttribute, widerSearch, request, reply);
  }

  private async reply(
    kind: LookupKind,
    accountId: string,
    value: string,
    widerSearch: string | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const answer = await this.fullFlow.answer({
      transport: 'rest',
      headers: request.headers,
      accountId,
      kind,
      value,
      widerSearch: widerSearch === 'true',
    });
    switch (answer.outcome) {
      case 'unauthorized':
        await reply.code(401).header(UNAUTHORIZED_REASON_HEADER, answer.reason).send(UNAUTHORIZED_BODY);
        return;
      case 'found': {
        const json = this.fullFlow.json(answer.history, answer.pages);
        // As recorded from Interact: a byte order mark, and the charset spelt its way.
        if (answer.recorded) await reply.code(200).type('application/json;charset=UTF-8').send(`\ufeff${json}`);
        else await reply.code(200).type('application/json; charset=utf-8').send(json);
        return;
      }
      case 'empty':
        await reply.code(200).type('text/plain; charset=utf-8').send(EMPTY_HISTORY_BODY);
        return;
      case 'not-found':
        await reply.code(404).type('text/plain; charset=utf-8').send(answer.sentence);
        return;
      case 'internal-error':
        await reply.code(500).type('text/plain; charset=utf-8').send(INTERNAL_ERROR_BODY);
        return;
      case 'hostile': {
        // Written on the raw response: Fastify would buffer, complete or re-frame these bodies.
        reply.hijack();
        const origin = `${request.protocol}://${request.host}`;
        const hostile = hostileAnswer(answer.payload, {
          wire: 'rest',
          kind,
          origin,
          headers: request.headers,
          pages: answer.pages,
        });
        await this.faults.sendHostile('rest', reply.raw, hostile);
        return;
      }
    }
  }
}
