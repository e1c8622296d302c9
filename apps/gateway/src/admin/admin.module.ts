import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module.js';
import { AdminServer } from './admin.server.js';

@Module({
  imports: [HealthModule],
  providers: [AdminServer],
  exports: [AdminServer],
})
export class AdminModule {}
