import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Length, Matches, NotContains, ValidateBy } from 'class-validator';
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
    // First: an empty segment breaks most of the rules below, and only this one says what is wrong.
    IsNotEmpty({ message: `${field} must not be empty` }),
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

export class AccountParams {
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
  @ApiProperty({
    description:
      "Section id and choice id, upstream's own (a position from 1 where upstream gives none), unique within the page.",
    example: '1.1',
  })
  id!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Label of the section the answer belongs to; null when upstream gives none.',
    example: 'Reason for contact',
  })
  section!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Label of the choice (for collection items, their button label); null when upstream gives none.',
    example: 'Report damage',
  })
  label!: string | null;

  @ApiProperty({
    enum: ['option', 'switch', 'list', 'text', 'photos', 'continue', 'other'],
    description:
      'The widget, by what it asks. `other` is a widget the gateway does not know (see `widget`): its label and value are kept.',
    example: 'option',
  })
  kind!: AnswerKind;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description:
      'Text entered (text, other); "1"/"0" (option, list, continue); "true"/"false" (switch); null for photos and where upstream gives no value.',
    example: '1',
  })
  value!: string | null;

  @ApiProperty({
    type: 'boolean',
    nullable: true,
    description: 'Whether it was chosen; null for text, photos and other, and where upstream gives no value.',
    example: true,
  })
  selected!: boolean | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: "Upstream's own id of the choice, as text; null when upstream gives none.",
    example: '1428325870376-2175b09b-24d1',
  })
  choiceId!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: "The choice's reference name in the flow's design, where upstream gives one.",
    example: 'reason',
  })
  referenceName!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description:
      "Upstream's name of the widget, such as `choiceOption` or `collectionItem`; null when the choice names none.",
    example: 'choiceOption',
  })
  widget!: string | null;
}

export class FlowSectionDto {
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: "Upstream's own id of the section, as text.",
    example: '1',
  })
  id!: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'Reason for contact' })
  label!: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'reason' })
  referenceName!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The section header as plain text; null when it has none.',
    example: 'Choose one',
  })
  header!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The section footer as plain text; null when it has none.',
    example: null,
  })
  footer!: string | null;

  @ApiProperty({
    type: [String],
    description: "Ids of the section's answers, in order, as they appear in the page's `answers`.",
    example: ['1.1', '1.2'],
  })
  answerIds!: string[];
}

export class FlowPhotoDto {
  @ApiProperty({ description: 'The answer that uploaded the photo.', example: '1.1' })
  answerId!: string;

  @ApiProperty({
    description: 'Device-side path recorded at upload.',
    example: '/mnt/sdcard/home/downloads/i1152998579.png',
  })
  path!: string;

  @ApiProperty({
    description: 'Opaque id of the photo within its flow.',
    example: 'cgNfCv18QzqrmozmD6ctD4',
    pattern: '^[A-Za-z0-9_-]{22}$',
  })
  id!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description:
      "Where the gateway serves the image (GET, same API key). Null for a flow found by caller attribute: the photo method needs the interaction's unique id, which such a flow does not name.",
    example: '/v1/accounts/12345678/interactions/040100713/photos/cgNfCv18QzqrmozmD6ctD4',
  })
  href!: string | null;
}

export class FlowPageDto {
  @ApiProperty({ description: 'Position in the flow, from 0.', example: 0 })
  index!: number;

  @ApiProperty({ type: 'string', nullable: true, description: 'Null when upstream gives none.', example: 'Welcome' })
  title!: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'Null when upstream gives none.', example: 'welcome' })
  referenceName!: string | null;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'When the user navigated to the page (UTC); null when upstream gives no time, as older histories do.',
    example: '2026-11-22T19:30:00.000Z',
  })
  navigatedAt!: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'Null when upstream gives none.', example: 'en-US' })
  language!: string | null;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The page header as plain text; null when the page has none, or an empty one.',
    example: 'How can we help?',
  })
  header!: string | null;

  @ApiProperty({ type: [FlowAnswerDto], description: 'Every answer of the page, section by section.' })
  answers!: FlowAnswerDto[];

  @ApiProperty({ type: [FlowPhotoDto] })
  photos!: FlowPhotoDto[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The page footer as plain text; null when the page has none.',
    example: null,
  })
  footer!: string | null;

  @ApiProperty({
    type: [FlowSectionDto],
    description: "The page's sections, in order, with their headers and footers and the ids of their answers.",
  })
  sections!: FlowSectionDto[];
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
          choiceId: '1',
          referenceName: null,
          widget: 'choiceOption',
        },
        {
          id: '1.2',
          section: 'Reason for contact',
          label: 'Track a claim',
          kind: 'option',
          value: '0',
          selected: false,
          choiceId: '2',
          referenceName: null,
          widget: 'choiceOption',
        },
      ],
      photos: [],
      footer: null,
      sections: [
        {
          id: '1',
          label: 'Reason for contact',
          referenceName: null,
          header: null,
          footer: null,
          answerIds: ['1.1', '1.2'],
        },
      ],
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
          choiceId: '1',
          referenceName: null,
          widget: 'uploadImageList',
        },
      ],
      photos: [
        {
          answerId: '1.1',
          path: '/mnt/sdcard/home/downloads/i1152998579.png',
          id: 'cgNfCv18QzqrmozmD6ctD4',
          href: '/v1/accounts/12345678/interactions/040100713/photos/cgNfCv18QzqrmozmD6ctD4',
        },
      ],
      footer: null,
      sections: [
        { id: '1', label: 'Damage photos', referenceName: null, header: null, footer: null, answerIds: ['1.1'] },
      ],
    },
  ],
};
