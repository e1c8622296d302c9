import fc from 'fast-check';
import { demoHistories } from '../../apps/interact-simulator/src/histories/demo-histories.js';
import type { SoapDialect } from '../../apps/interact-simulator/src/soap/soap-dialect.js';

/**
 * Histories Interact might send that nobody wrote down: seeded pages with fields removed, ids and
 * numbers retyped, unknown fields and widgets added and values rewritten. What a mutation may
 * not do is what the gateway may refuse: make the list or a page something other than objects.
 */
type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Texts as customers and editors write them, markup, entities and CDATA included; XML carries all of them. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('<![CDATA[x]]>', ']]>', '&#x30;', '&amp;', '<b>bold</b>', ' padded ', 'tab\there', 'two\nlines'),
);

/** Names no published history uses, valid as XML names. */
const unknownName = fc.stringMatching(/^x[A-Za-z][A-Za-z0-9]{0,6}$/);

const scalar = fc.oneof(
  text.filter((value) => value !== ''),
  fc.integer(),
  fc.boolean(),
);

export interface Mutated {
  pages: Json[];
  /** Paths of the unknown fields added with a value, as the reader names them. */
  added: string[];
}

/** Retypes what a stack might send as another type: numbers as text, text that is a number as a number. */
function retyped(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && /^(0|[1-9]\d{0,14})$/.test(value)) return Number(value);
  return value;
}

const ID_LIKE = new Set(['id', 'timestamp', 'choiceValue', 'sectionNumberOfColumns', 'maxLength', 'multiSelect']);

class Mutator {
  readonly added: string[] = [];

  constructor(private readonly g: fc.GeneratorValue) {}

  private chance(percent: number): boolean {
    return this.g(fc.integer, { min: 0, max: 99 }) < percent;
  }

  /** Removes, retypes and adds fields of one object; `path` names it as the reader does, or null where it does not look. */
  private fields(raw: Json, path: string | null, addObjects: boolean): void {
    for (const key of Object.keys(raw)) {
      if (this.chance(8)) delete raw[key];
      else if (ID_LIKE.has(key) && this.chance(30)) raw[key] = retyped(raw[key]);
    }
    if (this.chance(25)) {
      const name = this.g(() => unknownName);
      const value = addObjects && this.chance(40) ? { label: this.g(() => text) } : this.g(() => scalar);
      if (!(name in raw)) {
        raw[name] = value;
        if (path !== null) this.added.push(`${path}.${name}`);
      }
    }
  }

  private choice(raw: Json): void {
    this.fields(raw, 'page.pageContent.contentSections.sectionChoices', false);
    if ('choiceValue' in raw && this.chance(15)) raw.choiceValue = this.g(() => text);
    if ('choiceLabel' in raw && this.chance(10)) raw.choiceLabel = this.g(() => text);
    if (this.chance(10)) {
      // Interact adds a widget: the one the choice had goes, and nothing else may pass for one.
      for (const key of Object.keys(raw)) if (isObject(raw[key])) delete raw[key];
      raw[this.g(() => unknownName)] = { buttonLabel: this.g(() => text), setting: this.g(() => scalar) };
    }
  }

  page(raw: Json): void {
    this.fields(raw, 'page', true);
    if (isObject(raw.pageNavigation)) this.fields(raw.pageNavigation, 'page.pageNavigation', true);
    if (isObject(raw.pageNavigation) && 'navigationTitle' in raw.pageNavigation && this.chance(10))
      raw.pageNavigation.navigationTitle = this.g(() => text);
    const content = raw.pageContent;
    if (!isObject(content)) return;
    this.fields(content, 'page.pageContent', true);
    for (const header of ['contentHeader', 'contentFooter'])
      if (isObject(content[header])) this.fields(content[header], `page.pageContent.${header}`, true);
    const sections = Array.isArray(content.contentSections) ? content.contentSections : [];
    for (const section of sections.filter(isObject)) {
      this.fields(section, 'page.pageContent.contentSections', true);
      const choices = Array.isArray(section.sectionChoices) ? section.sectionChoices : [];
      for (const choice of choices.filter(isObject)) this.choice(choice);
    }
  }
}

/** A mutated deep copy of `pages`, drawing its choices from `g` so that fast-check can shrink them. */
export function mutate(g: fc.GeneratorValue, pages: readonly object[]): Mutated {
  const copy = structuredClone(pages) as Json[];
  const mutator = new Mutator(g);
  for (const page of copy) mutator.page(page);
  return { pages: copy, added: mutator.added };
}

export const soapDialect: fc.Arbitrary<SoapDialect> = fc.record({
  prefix: fc.constantFrom('ns2', 'tns', 'S2', null),
  empty: fc.constantFrom('omit', 'element', 'nil'),
  reorder: fc.boolean(),
  cdata: fc.boolean(),
});

/** The pages of every seeded history that has some, by id, as the simulator serves them. */
export const SEEDED_PAGES: ReadonlyMap<string, readonly Json[]> = new Map(
  demoHistories(Date.now()).flatMap((history) =>
    history.outcome.kind === 'pages' || history.outcome.kind === 'recorded'
      ? [[history.uniqueId, history.outcome.pages as Json[]] as const]
      : [],
  ),
);
