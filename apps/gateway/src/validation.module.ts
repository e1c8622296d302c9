import { Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { GatewayValidationPipe } from './validation.pipe.js';

/**
 * The one GatewayValidationPipe: Nest's global pipe and CachedFlowHook's alike, so that a cache hit
 * and Nest judge the input by the same rules and share one memory of what passed.
 */
@Module({
  providers: [GatewayValidationPipe, { provide: APP_PIPE, useExisting: GatewayValidationPipe }],
  exports: [GatewayValidationPipe],
})
export class ValidationModule {}
