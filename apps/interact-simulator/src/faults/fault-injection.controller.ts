import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { FaultInjectionService } from './fault-injection.service.js';
import { FaultsUpdateDto } from './fault-injection.dto.js';
import { ENTITY_TRAP } from './hostile-payloads.js';

@Controller('__simulator')
export class FaultInjectionController {
  constructor(private readonly faults: FaultInjectionService) {}

  @Get('stats')
  stats() {
    return this.faults.snapshot();
  }

  @Get('faults')
  current() {
    return this.faults.currentFaults();
  }

  @Put('faults')
  update(@Body() update: FaultsUpdateDto) {
    this.faults.setFaults(update);
    return this.faults.currentFaults();
  }

  /** Never fetched by a parser that leaves external entities alone. */
  @Get(ENTITY_TRAP)
  entityTrap(): string {
    this.faults.countEntityFetch();
    return 'entity-trap';
  }

  @Post('reset')
  @HttpCode(204)
  reset(): void {
    this.faults.reset();
  }
}
