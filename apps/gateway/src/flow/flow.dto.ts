import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiSchema,
  getSchemaPath,
  type ApiPropertyOptions,
} from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, NotContains, ValidateBy } from 'class-validator';
import { LOOKUP_KINDS, type LookupKind } from '@app/interact';
import type { AnswerKind, Flow, FlowAnswer } from './flow.model.js';
import { PHOTO_ID_SCHEMA } from './photo-id.js';

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

/** Lengths in code points, as JSON Schema counts them: a client checking the document's maxLength agrees. */
const LOOKUP_VALUE_LENGTH = { min: 1, max: 128 } as const;

/**
 * Every rule of LookupValue but its length, as one ECMAScript pattern for the OpenAPI document
 * (which has no flags: the `u` of JSON Schema, no `i`). The characters that NFKC turns into "/",
 * "\\" or dots are listed, not computed: a property test checks the list against every code point
 * and the pattern against the rules.
 */
const LOOKUP_VALUE_PATTERN = [
  String.raw`^(?!\s)`,
  String.raw`(?![.\u2024\ufe52\uff0e]{1,2}$|[\u2025\ufe30]$)`,
  String.raw`(?:(?!%[0-9A-Fa-f]{2})[^/\\<>&\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u2044\u2215\u29f8\u29f9\uff0f\uff3c\ufffe\uffff\u2100\u2101\u2105\u2106\ufe68])*`,
  String.raw`(?<!\s)$`,
].join('');

/** The rules of an interaction id or caller attribute, as the OpenAPI document states them. */
export const LOOKUP_VALUE_SCHEMA = {
  minLength: LOOKUP_VALUE_LENGTH.min,
  maxLength: LOOKUP_VALUE_LENGTH.max,
  pattern: LOOKUP_VALUE_PATTERN,
} as const;

function LookupValue(field: string, description: string, example: string) {
  return applyDecorators(
    ApiProperty({ description, example, ...LOOKUP_VALUE_SCHEMA }),
    // First: an empty segment breaks most of the rules below, and only this one says what is wrong.
    IsNotEmpty({ message: `${field} must not be empty` }),
    IsString(),
    ValidateBy({
      name: 'isLength',
      validator: {
        validate: (value) => {
          const length = typeof value === 'string' ? [...value].length : -1;
          return length >= LOOKUP_VALUE_LENGTH.min && length <= LOOKUP_VALUE_LENGTH.max;
        },
        defaultMessage: () =>
          `${field} must be ${LOOKUP_VALUE_LENGTH.min} to ${LOOKUP_VALUE_LENGTH.max} characters long`,
      },
    }),
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

const ACCOUNT_ID_LENGTH = { min: 1, max: 64 } as const;
const ACCOUNT_ID_RULE = new RegExp(`^[A-Za-z0-9_-]{${ACCOUNT_ID_LENGTH.min},${ACCOUNT_ID_LENGTH.max}}$`);

/** The rule of an account id, as the OpenAPI document states it. */
const ACCOUNT_ID_SCHEMA = {
  pattern: ACCOUNT_ID_RULE.source,
  minLength: ACCOUNT_ID_LENGTH.min,
  maxLength: ACCOUNT_ID_LENGTH.max,
} as const;

export class AccountParams {
  @ApiProperty({
    description: 'Interact account id, as configured in the gateway.',
    example: '12345678',
    ...ACCOUNT_ID_SCHEMA,
  })
  @Matches(ACCOUNT_ID_RULE, {
    message: `accountId must be ${ACCOUNT_ID_LENGTH.min} to ${ACCOUNT_ID_LENGTH.max} letters, digits, "_" or "-"`,
  })
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
    description: 'Search the last 12 months instead of the last 3. Slower upstream. Exactly `true` or `false`.',
    type: 'boolean',
    default: false,
  })
  @IsOptional()
  // Compared as text: a query string "false" must never turn into a true boolean.
  @IsIn(['true', 'false'], { message: 'widerSearch must be "true" or "false"' })
  @NotContains(',', { message: 'widerSearch must be "true" or "false"' })
  widerSearch?: 'true' | 'false';
}

/** What every kind of answer may carry as its value: upstream's text, or none. */
const TEXT_OR_NULL = { type: 'string', nullable: true } as const;
/** Whether it was chosen: null where upstream gives no value. */
const CHOSEN_OR_NULL = { type: 'boolean', nullable: true } as const;
/** Never a value: choosing does not apply, or the answer is its photos. */
const ALWAYS_NULL = { type: 'null', example: null } as const;

interface AnswerKindSchema {
  description: string;
  value: ApiPropertyOptions;
  selected: ApiPropertyOptions;
}

/** What each kind of answer carries in `value` and `selected`, as normalizePages makes them. */
const ANSWER_KINDS: Record<AnswerKind, AnswerKindSchema> = {
  option: {
    description: 'One option of a choice (`choiceOption`).',
    value: {
      ...TEXT_OR_NULL,
      description: '"1" when chosen, "0" when not; null where upstream gives none.',
      example: '1',
    },
    selected: { ...CHOSEN_OR_NULL, description: 'Whether the option was chosen; null with no value.', example: true },
  },
  switch: {
    description: 'A yes/no switch (`choiceSwitch`).',
    value: { ...TEXT_OR_NULL, description: '"true" or "false"; null where upstream gives none.', example: 'true' },
    selected: { ...CHOSEN_OR_NULL, description: 'Whether the switch was on; null with no value.', example: true },
  },
  list: {
    description: 'One item of a list to select from (`selectFromList`).',
    value: {
      ...TEXT_OR_NULL,
      description: '"1" when selected, "0" when not; null where upstream gives none.',
      example: '0',
    },
    selected: { ...CHOSEN_OR_NULL, description: 'Whether the item was selected; null with no value.', example: false },
  },
  text: {
    description: 'Text the customer entered (`textInput`).',
    value: {
      ...TEXT_OR_NULL,
      description: 'The text entered; null where upstream gives none.',
      example: 'The left door',
    },
    selected: { ...ALWAYS_NULL, description: 'Always null: choosing does not apply.' },
  },
  photos: {
    description: 'An upload of photos (`uploadImageList`): the page’s `photos` list them by this answer’s id.',
    value: { ...ALWAYS_NULL, description: 'Always null: the photos are in the page’s `photos`.' },
    selected: { ...ALWAYS_NULL, description: 'Always null: choosing does not apply.' },
  },
  continue: {
    description: 'A button to go on (`clickToContinue`).',
    value: {
      ...TEXT_OR_NULL,
      description: '"1" when clicked, "0" when not; null where upstream gives none.',
      example: '1',
    },
    selected: { ...CHOSEN_OR_NULL, description: 'Whether it was clicked; null with no value.', example: true },
  },
  other: {
    description: 'A widget the gateway does not know (see `widget`): its label and value are kept.',
    value: { ...TEXT_OR_NULL, description: 'Upstream’s value, as text; null where upstream gives none.', example: '4' },
    selected: { ...ALWAYS_NULL, description: 'Always null: the gateway cannot tell what choosing means.' },
  },
};

/** One schema per kind, named after it (`OptionAnswer`), with the exact types of its value and selected. */
function answerModel(kind: AnswerKind, { description, value, selected }: AnswerKindSchema): Type<FlowAnswer> {
  @ApiSchema({ name: `${kind[0].toUpperCase()}${kind.slice(1)}Answer`, description })
  class KindAnswer implements FlowAnswer {
    @ApiProperty({
      description:
        "Section id and choice id, upstream's own (a position from 1 where upstream gives none), unique within the page.",
      example: '1.1',
    })
    id!: string;

    @ApiProperty({
      ...TEXT_OR_NULL,
      description: 'Label of the section the answer belongs to; null when upstream gives none.',
      example: 'Reason for contact',
    })
    section!: string | null;

    @ApiProperty({
      ...TEXT_OR_NULL,
      description: 'Label of the choice (for collection items, their button label); null when upstream gives none.',
      example: 'Report damage',
    })
    label!: string | null;

    @ApiProperty({ enum: [kind], description: 'The widget, by what it asks.', example: kind })
    kind!: AnswerKind;

    @ApiProperty(value)
    value!: string | null;

    @ApiProperty(selected)
    selected!: boolean | null;

    @ApiProperty({
      ...TEXT_OR_NULL,
      description: "Upstream's own id of the choice, as text; null when upstream gives none.",
      example: '1428325870376-2175b09b-24d1',
    })
    choiceId!: string | null;

    @ApiProperty({
      ...TEXT_OR_NULL,
      description: "The choice's reference name in the flow's design, where upstream gives one.",
      example: 'reason',
    })
    referenceName!: string | null;

    @ApiProperty({
      ...TEXT_OR_NULL,
      description:
        "Upstream's name of the widget, such as `choiceOption` or `collectionItem`; null when the choice names none.",
      example: 'choiceOption',
    })
    widget!: string | null;
  }
  return KindAnswer;
}

const ANSWER_MODELS = Object.entries(ANSWER_KINDS).map(([kind, schema]) => [
  kind,
  answerModel(kind as AnswerKind, schema),
]) as [AnswerKind, Type<FlowAnswer>][];

/**
 * An answer: one of its kinds, told apart by `kind`. A schema of the document's own, not of a
 * class (no decorator makes a oneOf schema); buildOpenApiDocument adds it beside the classes'.
 */
export const ANSWER_SCHEMA_NAME = 'Answer';
export const ANSWER_SCHEMA = {
  type: 'object',
  description: "An answer of a page, of one of the kinds below by its `kind`; `widget` is upstream's own name for it.",
  oneOf: ANSWER_MODELS.map(([, model]) => ({ $ref: getSchemaPath(model) })),
  discriminator: {
    propertyName: 'kind',
    mapping: Object.fromEntries(ANSWER_MODELS.map(([kind, model]) => [kind, getSchemaPath(model)])),
  },
};

@ApiSchema({ name: 'FlowSection' })
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

@ApiSchema({ name: 'FlowPhoto' })
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
    ...PHOTO_ID_SCHEMA,
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

@ApiSchema({ name: 'FlowPage' })
@ApiExtraModels(...ANSWER_MODELS.map(([, model]) => model))
export class FlowPageDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Position in the flow, from 0.', example: 0 })
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

  @ApiProperty({
    type: 'array',
    items: { $ref: getSchemaPath(ANSWER_SCHEMA_NAME) },
    description: 'Every answer of the page, section by section.',
  })
  answers!: FlowAnswer[];

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

@ApiSchema({ name: 'FlowLookup' })
export class FlowLookupDto {
  @ApiProperty({ enum: LOOKUP_KINDS, example: 'interactionId' })
  by!: LookupKind;

  @ApiProperty({
    description: 'The interaction id or caller attribute looked up.',
    example: '040100713',
    ...LOOKUP_VALUE_SCHEMA,
  })
  value!: string;

  @ApiProperty({ example: false })
  widerSearch!: boolean;
}

@ApiSchema({ name: 'Flow' })
export class FlowDto {
  @ApiProperty({ example: '12345678', ...ACCOUNT_ID_SCHEMA })
  accountId!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Null when a lookup by caller attribute cannot tell it.',
    example: '040100713',
    ...LOOKUP_VALUE_SCHEMA,
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
