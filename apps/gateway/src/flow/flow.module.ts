import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { CacheModule } from '../cache/cache.module.js';
import { ValidationModule } from '../validation.module.js';
import { CachedFlowHook } from './cached-flow.hook.js';
import { FlowController } from './flow.controller.js';
import { FlowRenderer } from './flow.renderer.js';
import { FlowService } from './flow.service.js';
import { PayloadDriftService } from './payload-drift.service.js';
import { PhotoController } from './photo.controller.js';
import { PhotoService } from './photo.service.js';

@Module({
  imports: [AccountsModule, CacheModule, ValidationModule],
  controllers: [FlowController, PhotoController],
  providers: [FlowService, FlowRenderer, CachedFlowHook, PayloadDriftService, PhotoService],
})
export class FlowModule {}
