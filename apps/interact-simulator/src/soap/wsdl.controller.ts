import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SOAP_ENDPOINT_PATH, SOAP_WSDL_PATH, SOAP_XSD_PATH } from '@app/interact';
import { FaultInjectionService } from '../faults/fault-injection.service.js';
import { XSD_XML, wsdlFor } from './soap-assets.js';

@Controller()
export class WsdlController {
  constructor(private readonly faults: FaultInjectionService) {}

  @Get(SOAP_WSDL_PATH)
  async wsdl(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.faults.countWsdlRequest();
    const endpoint = `${request.protocol}://${request.host}${SOAP_ENDPOINT_PATH}`;
    await reply.type('text/xml; charset=utf-8').send(wsdlFor(endpoint));
  }

  @Get(SOAP_XSD_PATH)
  async xsd(@Res() reply: FastifyReply): Promise<void> {
    this.faults.countWsdlRequest();
    await reply.type('text/xml; charset=utf-8').send(XSD_XML);
  }
}
