import { Module } from '@nestjs/common';
import { AccountsService } from './accounts.service.js';
import { FlowTransportFactory } from './flow-transport.factory.js';

@Module({
  providers: [FlowTransportFactory, AccountsService],
  exports: [AccountsService],
})
export class AccountsModule {}
