import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayAccount, type GatewayConfig } from '../config/gateway.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { FlowTransportFactory } from './flow-transport.factory.js';
import { ResilientTransport, type CircuitStateName } from './resilient-transport.js';

export interface ConfiguredAccount {
  account: GatewayAccount;
  transport: ResilientTransport;
}

/** The configured Interact accounts, each with the one resilient transport built for it at start-up. */
@Injectable()
export class AccountsService implements OnApplicationShutdown {
  private readonly accounts = new Map<string, ConfiguredAccount>();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    metrics: MetricsService,
    transports: FlowTransportFactory,
  ) {
    for (const account of config.accounts) {
      const wire = transports.create(account);
      const clientsAllowed = config.clients.filter((client) => client.accounts.includes(account.accountId)).length;
      this.accounts.set(account.accountId, {
        account,
        transport: new ResilientTransport(wire, account, metrics, clientsAllowed, transports.createPhotos(account)),
      });
    }
  }

  find(accountId: string): ConfiguredAccount | undefined {
    return this.accounts.get(accountId);
  }

  circuitStates(): Record<string, { transport: string; state: CircuitStateName }> {
    return Object.fromEntries(
      [...this.accounts].map(([id, { transport }]) => [
        id,
        { transport: transport.kind, state: transport.circuitState },
      ]),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.accounts.values()].map(({ transport }) => transport.close()));
  }
}
