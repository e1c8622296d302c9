import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { RestFlowTransport, SoapFlowTransport, type FlowTransport } from '@app/interact-client';
import { GATEWAY_CONFIG, type GatewayAccount, type GatewayConfig } from '../config/gateway.config.js';

export interface ConfiguredAccount {
  account: GatewayAccount;
  transport: FlowTransport;
}

/** The configured Interact accounts, each with the one transport built for it at start-up. */
@Injectable()
export class AccountsService implements OnApplicationShutdown {
  private readonly accounts = new Map<string, ConfiguredAccount>();

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    for (const account of config.accounts) {
      const transport = account.transport === 'rest' ? new RestFlowTransport(account) : new SoapFlowTransport(account);
      this.accounts.set(account.accountId, { account, transport });
    }
  }

  find(accountId: string): ConfiguredAccount | undefined {
    return this.accounts.get(accountId);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.accounts.values()].map(({ transport }) => transport.close()));
  }
}
