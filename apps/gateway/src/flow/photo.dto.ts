import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches, ValidateBy } from 'class-validator';
import { InteractionFlowParams } from './flow.dto.js';
import { PHOTO_ID_PATTERN, PHOTO_ID_SCHEMA } from './photo-id.js';

/** The pixel sizes a caller may ask for: thumbnails up to what a desktop screen shows. */
export const MAX_SIZE_BOUNDS = { min: 16, max: 4096 } as const;

export class PhotoParams extends InteractionFlowParams {
  @ApiProperty({
    description: 'The photo’s id, as its flow lists it (`pages[].photos[].id`).',
    example: 'cgNfCv18QzqrmozmD6ctD4',
    ...PHOTO_ID_SCHEMA,
  })
  @Matches(PHOTO_ID_PATTERN, { message: 'photoId must be a photo id from the flow (22 letters, digits, "_" or "-")' })
  photoId!: string;
}

export class PhotoQuery {
  @ApiPropertyOptional({
    description: `Size of the returned image in pixels, as Interact scales it (${MAX_SIZE_BOUNDS.min} to ${MAX_SIZE_BOUNDS.max}). Interact's own size when absent.`,
    type: 'integer',
    minimum: MAX_SIZE_BOUNDS.min,
    maximum: MAX_SIZE_BOUNDS.max,
    example: 640,
  })
  @IsOptional()
  // Text until checked: a query string is text, and "1e3" or "0x40" must not pass as numbers.
  @ValidateBy({
    name: 'maxSize',
    validator: {
      validate: (value) =>
        typeof value === 'string' &&
        /^[1-9][0-9]{0,3}$/.test(value) &&
        Number(value) >= MAX_SIZE_BOUNDS.min &&
        Number(value) <= MAX_SIZE_BOUNDS.max,
      defaultMessage: () => `maxSize must be a whole number from ${MAX_SIZE_BOUNDS.min} to ${MAX_SIZE_BOUNDS.max}`,
    },
  })
  maxSize?: string;
}
