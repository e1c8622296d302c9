import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import * as soap from 'soap';
import {
  EMPTY_HISTORY_BODY,
  INTERNAL_ERROR_BODY,
  SOAP_AGENT_NAMESPACE,
  SOAP_ENDPOINT_PATH,
  SOAP_NOT_FOUND_ELEMENT,
  SOAP_OPERATIONS,
  SOAP_PORT,
  SOAP_SERVICE,
  UNAUTHORIZED_CODE,
  UNAUTHORIZED_MESSAGE,
  soapText,
  type LookupKind,
} from '@app/interact';
import { FaultInjectionService } from '../faults/fault-injection.service.js';
import { hostileAnswer } from '../faults/hostile-payloads.js';
import { FullFlowService } from '../histories/full-flow.service.js';
import { WSDL_FILE, WSDL_XML } from './soap-assets.js';
import { dialectEnvelope } from './soap-dialect.js';

type SoapCallback = (error: unknown, result?: unknown) => void;

const ENVELOPE_KEY = 'SOAP-ENV';

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Interact's "not found" on SOAP is no fault: it is the success body of another operation,
 * GetInteractionUniqueIdResponse, in another namespace. The soap server can only answer with the
 * called operation's own output, so this envelope is written by hand.
 */
function notFoundEnvelope(sentence: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<${ENVELOPE_KEY}:Envelope xmlns:${ENVELOPE_KEY}="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<${ENVELOPE_KEY}:Header/><${ENVELOPE_KEY}:Body>` +
    `<ns2:${SOAP_NOT_FOUND_ELEMENT} xmlns:ns2="${SOAP_AGENT_NAMESPACE}">` +
    `<ns2:uniqueId>${escapeXml(sentence)}</ns2:uniqueId>` +
    `</ns2:${SOAP_NOT_FOUND_ELEMENT}></${ENVELOPE_KEY}:Body></${ENVELOPE_KEY}:Envelope>`
  );
}

const isTrue = (value: unknown) => value === true || value === 'true' || value === '1';

/** Every text of the pages as the soap package must be given it (see soapText). */
function asText(value: unknown): unknown {
  if (typeof value === 'string') return soapText(value);
  if (Array.isArray(value)) return value.map(asText);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, asText(child)]));
  return value;
}

/** Interact's SOAP endpoint, served by the soap package on the simulator's own HTTP server. */
@Injectable()
export class SoapEndpoint implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly fullFlow: FullFlowService,
    private readonly faults: FaultInjectionService,
  ) {}

  /** Pages as the soap package must be given them (see asText), made once per history. */
  private readonly textPages = new WeakMap<readonly object[], unknown>();

  private asText(pages: readonly object[]): unknown {
    let text = this.textPages.get(pages);
    if (text === undefined) this.textPages.set(pages, (text = asText(pages)));
    return text;
  }

  onApplicationBootstrap(): Promise<void> {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const operation = (kind: LookupKind) => {
      const field = SOAP_OPERATIONS[kind].field;
      return (
        args: Record<string, unknown>,
        callback: SoapCallback | undefined,
        _headers: unknown,
        req: IncomingMessage,
        res: ServerResponse,
      ) => {
        // The soap server always passes its two-argument callback; its typings declare one.
        const reply = callback as SoapCallback;
        void this.answer(kind, String(args[field] ?? ''), isTrue(args.widerSearch), req, res, reply);
      };
    };
    return new Promise((resolve, reject) => {
      soap.listen(server, {
        path: SOAP_ENDPOINT_PATH,
        xml: WSDL_XML,
        uri: WSDL_FILE,
        envelopeKey: ENVELOPE_KEY,
        suppressStack: true,
        services: {
          [SOAP_SERVICE]: {
            [SOAP_PORT]: {
              [SOAP_OPERATIONS.interactionId.operation]: operation('interactionId'),
              [SOAP_OPERATIONS.callerAttribute.operation]: operation('callerAttribute'),
            },
          },
        },
        callback: (error: unknown) => (error ? reject(error) : resolve()),
      });
    });
  }

  private async answer(
    kind: LookupKind,
    value: string,
    widerSearch: boolean,
    req: IncomingMessage,
    res: ServerResponse,
    callback: SoapCallback,
  ): Promise<void> {
    const answer = await this.fullFlow.answer({ transport: 'soap', headers: req.headers, kind, value, widerSearch });
    switch (answer.outcome) {
      case 'unauthorized':
        callback({ Fault: { faultcode: UNAUTHORIZED_CODE, faultstring: UNAUTHORIZED_MESSAGE, statusCode: 500 } });
        return;
      case 'internal-error':
        callback({ Fault: { faultcode: `${ENVELOPE_KEY}:Server`, faultstring: INTERNAL_ERROR_BODY, statusCode: 500 } });
        return;
      case 'not-found':
        res.statusCode = 200;
        res.setHeader('Content-Type', 'text/xml; charset=utf-8');
        res.end(notFoundEnvelope(answer.sentence));
        return;
      case 'empty':
        callback(null, EMPTY_HISTORY_BODY);
        return;
      case 'found': {
        const { soapDialect } = this.faults;
        if (soapDialect === null) {
          callback(null, { page: this.asText(answer.pages) });
          return;
        }
        res.statusCode = 200;
        res.setHeader('Content-Type', 'text/xml; charset=utf-8');
        res.end(dialectEnvelope(SOAP_OPERATIONS[kind].response, answer.pages, soapDialect));
        return;
      }
      case 'hostile': {
        // Like not-found, written by hand: the soap server would only ever write well-formed output.
        const origin = `http://${req.headers.host}`;
        const hostile = hostileAnswer(answer.payload, {
          wire: 'soap',
          kind,
          origin,
          headers: req.headers,
          pages: answer.pages,
        });
        await this.faults.sendHostile('soap', res, hostile);
        return;
      }
    }
  }
}
