import { SetMetadata, applyDecorators } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';

export const IS_PUBLIC = Symbol('IS_PUBLIC');

/** Open without an API key and not rate limited: probes, scrapers and problem pages. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), SkipThrottle());
