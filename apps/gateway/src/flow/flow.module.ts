import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { FlowController } from './flow.controller.js';
import { FlowService } from './flow.service.js';

@Module({
  imports: [AccountsModule],
  controllers: [FlowController],
  providers: [FlowService],
})
export class FlowModule {}
