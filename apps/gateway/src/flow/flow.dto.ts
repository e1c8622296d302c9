import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, NotContains, ValidateBy } from 'class-validator';
import type { AnswerKind, Flow } from './flow.model.js';

/**
 * Interaction ids and caller attributes end up inside upstream URLs. Percent-encoding protects
 * the path, but not from what the gateway or upstream might decode or collapse later: slashes and
 * their look-alikes, backslashes, control characters, encoded sequences and bare dot segments.
 * Invisible formatting characters (Cf: zero-width, bidirectional controls, BOM, tags) and the
 * line and paragraph separators make two ids that look alike differ, and no real one holds them.
 * U+FFFE and U+FFFF are not characters XML may carry: a SOAP call with one is not well-formed.
 */
const FORBIDDEN_CHARACTERS =
  /[/\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u2044\u2215\u29f8\u29f9\uff0f\uff3c\ufffe\uffff]|%[0-9a-f]{2}/iu;

/** Compatibility forms (small, fullwidth, two-dot leader) turn into "/", "\\" or dots under NFKC. */
const UNSAFE_WHEN_NORMALIZED = /[/\\]|^\.{1,2}$/;

function LookupValue(field: string, description: string, example: string) {
  return applyDecorators(
    ApiProperty({ description, example, minLength: 1, maxLength: 128 }),
    IsString(),
    Length(1, 128, { message: `${field} must be 1 to 128 characters long` }),
    Matches(/^(?!\s)[\s\S]*(?<!\s)$/, { message: `${field} must not begin or end with white space` }),
    Matches(/^(?!\.{1,2}$)/, { message: `${field} must not be "." or ".."` }),
    // No Interact id or caller attribute holds them; the SOAP transport escapes every value anyway.
    // A rule of its own name: class-validator keeps one message per name, and a value with a "/" breaks both.
    ValidateBy({
      name: 'noMarkup',
      validator: {
        validate: (value) => typeof value === 'string' && !/[<>&]/.test(value),
        defaultMessage: () => `${field} must not contain "<", ">" or "&"`,
      },
    }),
    Matches(new RegExp(`^(?:(?!${FORBIDDEN_CHARACTERS.source}).)*$`, 'isu'), {
      message: `${field} must not contain "/", "\\", control or invisible formatting characters, line or paragraph separators, U+FFFE, U+FFFF or percent-encoded sequences`,
    }),
    ValidateBy({
      name: 'safeWhenNormalized',
      validator: {
        validate: (value) => typeof value === 'string' && !UNSAFE_WHEN_NORMALIZED.test(value.normalize('NFKC')),
        defaultMessage: () => `${field} must not contain look-alikes of "/", "\\" or a dot segment`,
      },
    }),
  );
}

const ACCOUNT_ID_RULE = /^[A-Za-z0-9_-]{1,64}$/;

class AccountParams {
  @ApiProperty({ description: 'Interact account id, as configured in the gateway.', example: '12345678' })
  @Matches(ACCOUNT_ID_RULE, { message: 'accountId must be 1 to 64 letters, digits, "_" or "-"' })
  accountId!: string;
}

export class InteractionFlowParams extends AccountParams {
  @LookupValue('interactionId', 'Interact unique interaction id.', '040100713')
  interactionId!: string;
}

export class CallerAttributeFlowParams extends AccountParams {
  @LookupValue(
    'callerAttribute',
    'A caller attribute: DTMF code, DNID, call-return number, caller id or history search id.',
    '112233',
  )
  callerAttribute!: string;
}

export class FlowQuery {
  @ApiPropertyOptional({
    description: 'Search the last 12 months instead of the last 3. Slower upstream.',
    enum: ['true', 'false'],
    default: 'false',
  })
  @IsOptional()
  // Compared as text: a query string "false" must never turn into a true boolean.
  @IsIn(['true', 'false'], { message: 'widerSearch must be "true" or "false"' })
  @NotContains(',', { message: 'widerSearch must be "true" or "false"' })
  widerSearch?: 'true' | 'false';
}

export class FlowAnswerDto {
  @ApiProperty({ description: 'Section id and choice id, unique within the page.', example: '1.1' })
  id!: string;

  @ApiProperty({ description: 'Label of the section the answer belongs to.', example: 'Reason for contact' })
  section!: string;

  @ApiProperty({ description: 'Label of the choice.', example: 'Report damage' })
  label!: string;

  @ApiProperty({ enum: ['option', 'switch', 'list', 'text', 'photos', 'continue'], example: 'option' })
  kind!: AnswerKind;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Text entered (text); "1"/"0" (option, list, continue); "true"/"false" (switch); null (photos).',
    example: '1',
  })
  value!: string | null;

  @ApiProperty({
    type: 'boolean',
    nullable: true,
    description: 'Whether it was chosen; null for text and photos.',
    example: true,
  })
  selected!: boolean | null;
}

export class FlowPhotoDto {
  @ApiProperty({ description: 'The answer that uploaded the photo.', example: '1.1' })
  answerId!: string;

  @ApiProperty({
    description: 'Device-side path recorded at upload.',
    example: '/mnt/sdcard/home/downloads/i1152998579.png',
  })
  path!: string;
}

export class FlowPageDto {
  @ApiProperty({ description: 'Position in the flow, from 0.', example: 0 })
  index!: number;

  @ApiProperty({ example: 'Welcome' })
  title!: string;

  @ApiProperty({ example: 'welcome' })
  referenceName!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When the user navigated to the page (UTC).',
    example: '2026-11-22T19:30:00.000Z',
  })
  navigatedAt!: string;

  @ApiProperty({ example: 'en-US' })
  language!: string;

  @ApiProperty({ description: 'The page header as plain text.', example: 'How can we help?' })
  header!: string;

  @ApiProperty({ type: [FlowAnswerDto] })
  answers!: FlowAnswerDto[];

  @ApiProperty({ type: [FlowPhotoDto] })
  photos!: FlowPhotoDto[];
}

export class FlowLookupDto {
  @ApiProperty({ enum: ['interactionId', 'callerAttribute'], example: 'interactionId' })
  by!: 'interactionId' | 'callerAttribute';

  @ApiProperty({ example: '040100713' })
  value!: string;

  @ApiProperty({ example: false })
  widerSearch!: boolean;
}

export class FlowDto {
  @ApiProperty({ example: '12345678' })
  accountId!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Null when a lookup by caller attribute cannot tell it.',
    example: '040100713',
  })
  interactionId!: string | null;

  @ApiProperty({ type: FlowLookupDto })
  lookup!: FlowLookupDto;

  @ApiProperty({
    type: [FlowPageDto],
    description: 'The pages in navigation order; empty for a found-but-empty history.',
  })
  pages!: FlowPageDto[];
}

export const FLOW_EXAMPLE: Flow = {
  accountId: '12345678',
  interactionId: '040100713',
  lookup: { by: 'interactionId', value: '040100713', widerSearch: false },
  pages: [
    {
      index: 0,
      title: 'Welcome',
      referenceName: 'welcome',
      navigatedAt: '2026-11-22T19:30:00.000Z',
      language: 'en-US',
      header: 'How can we help?',
      answers: [
        {
          id: '1.1',
          section: 'Reason for contact',
          label: 'Report damage',
          kind: 'option',
          value: '1',
          selected: true,
        },
        {
          id: '1.2',
          section: 'Reason for contact',
          label: 'Track a claim',
          kind: 'option',
          value: '0',
          selected: false,
        },
      ],
      photos: [],
    },
    {
      index: 1,
      title: 'Photos',
      referenceName: 'photos',
      navigatedAt: '2026-11-22T19:30:45.000Z',
      language: 'en-US',
      header: 'Upload photos of the damage',
      answers: [
        {
          id: '1.1',
          section: 'Damage photos',
          label: 'Photos of the damage',
          kind: 'photos',
          value: null,
          selected: null,
        },
      ],
      photos: [{ answerId: '1.1', path: '/mnt/sdcard/home/downloads/i1152998579.png' }],
    },
  ],
};
