import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module.js';
import { ApiKeyHook } from './api-key.hook.js';

@Module({
  imports: [CacheModule],
  providers: [ApiKeyHook],
})
export class AuthModule {}
