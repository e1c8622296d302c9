import { Module, type DynamicModule } from '@nestjs/common';
import { CredentialsService } from './credentials/credentials.service.js';
import { FaultInjectionController } from './faults/fault-injection.controller.js';
import { FaultInjectionService } from './faults/fault-injection.service.js';
import { FullFlowService } from './histories/full-flow.service.js';
import { HistoriesController } from './histories/histories.controller.js';
import { HistoryRepository } from './histories/history.repository.js';
import { PhotoController } from './photos/photo.controller.js';
import { FullFlowController } from './rest/full-flow.controller.js';
import { SIMULATOR_CONFIG, type SimulatorConfig } from './simulator.config.js';
import { SoapEndpoint } from './soap/soap-endpoint.js';
import { WsdlController } from './soap/wsdl.controller.js';

@Module({})
export class SimulatorModule {
  static forConfig(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      controllers: [FullFlowController, PhotoController, WsdlController, FaultInjectionController, HistoriesController],
      providers: [
        { provide: SIMULATOR_CONFIG, useValue: config },
        CredentialsService,
        FaultInjectionService,
        HistoryRepository,
        FullFlowService,
        SoapEndpoint,
      ],
    };
  }
}
