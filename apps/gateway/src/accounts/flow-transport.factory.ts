import { Injectable } from '@nestjs/common';
import { RestFlowTransport, RestPhotoTransport, SoapFlowTransport, type FlowTransport } from '@app/interact-client';
import type { GatewayAccount } from '../config/gateway.config.js';

/**
 * Makes each account's wire transport. A provider of its own, so that a test module can put
 * another in its place and keep the rest of the accounts module as it runs.
 */
@Injectable()
export class FlowTransportFactory {
  create(account: GatewayAccount): FlowTransport {
    return account.transport === 'rest' ? new RestFlowTransport(account) : new SoapFlowTransport(account);
  }

  /** REST whatever the account's wire: Interact publishes no SOAP form of the photo method. */
  createPhotos(account: GatewayAccount): RestPhotoTransport {
    return new RestPhotoTransport(account);
  }
}
