import { Module, type DynamicModule } from '@nestjs/common';
import { GatewayConfigModule } from './config/gateway-config.module.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { FlowModule } from './flow/flow.module.js';
import { ProblemsModule } from './problems/problems.module.js';

@Module({})
export class AppModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [GatewayConfigModule.forConfig(config), ProblemsModule, FlowModule],
    };
  }
}
