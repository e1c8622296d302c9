import { INTERACT_WIDGET_KEYS } from '@app/interact';
import { PayloadError } from './upstream.errors.js';

/**
 * What the gateway takes from a history page. Only the page itself is required: Uniphore
 * documents its model in part, real histories differ from the documentation, and one history
 * that differs from our guess must not become an outage. Texts are null where upstream gives
 * none; an empty text counts as none, since XML stacks leave an empty element out, send it empty
 * or send it nil, and REST and SOAP must read alike.
 */
export interface HistoryPage {
  /** Epoch milliseconds of the navigation; older histories carry none. */
  timestamp: number | null;
  language: string | null;
  title: string | null;
  referenceName: string | null;
  /** Inner HTML of the page's header and footer. */
  header: string | null;
  footer: string | null;
  sections: HistorySection[];
}

export interface HistorySection {
  id: string | null;
  label: string | null;
  referenceName: string | null;
  header: string | null;
  footer: string | null;
  choices: HistoryChoice[];
}

export interface HistoryChoice {
  /** Upstream's own id, as text: documented as an integer, recorded as strings. */
  id: string | null;
  label: string | null;
  value: string | null;
  referenceName: string | null;
  /** The widget's key: one of INTERACT_WIDGET_KEYS, another object-valued key, or null for none. */
  widget: string | null;
  /** Device-side paths of uploaded images. */
  images: string[];
}

export interface ReadHistory {
  pages: HistoryPage[];
  /**
   * Fields of the payload that neither Uniphore's documentation nor published histories show,
   * as paths without list indexes (`page.pageContent.contentSections.sectionChoices.rating`).
   */
  unknownFields: string[];
}

/** The fields of a choice that are not its widget, although an object may stand there (firstName goes with collectionItem). */
const CHOICE_PROPERTIES = [
  'id',
  'choiceLabel',
  'choiceValue',
  'referenceName',
  'displayStyle',
  'tableHeaders',
  'firstName',
] as const;

/**
 * The fields each object is known to carry: documented, or seen in published histories. Anything
 * else is read past and reported, so that operators see Interact change its payload.
 */
const KNOWN = {
  page: ['timestamp', 'language', 'pageNavigation', 'pageContent', 'pageMenu', 'allowVerticalScroll'],
  pageNavigation: ['navigationTitle', 'pageReferenceName', 'navigationLeft', 'navigationRight'],
  pageContent: ['contentHeader', 'contentFooter', 'contentSections'],
  html: ['id', 'innerHtml'],
  section: [
    'id',
    'sectionLabel',
    'sectionGroupType',
    'selectionType',
    'sectionNumberOfColumns',
    'sectionChoices',
    'sectionHeader',
    'sectionFooter',
    'referenceName',
    'displayStyle',
    'tableHeaders',
  ],
  // collectionItem is in published histories: a widget the gateway shows as kind "other", known all the same.
  choice: [...CHOICE_PROPERTIES, 'collectionItem', ...INTERACT_WIDGET_KEYS],
  clickToContinue: ['buttonLabel'],
  choiceOption: ['multiSelect'],
  choiceSwitch: ['onLabel', 'offLabel'],
  selectFromList: ['listName'],
  textInput: ['inputType', 'maxLength', 'maxCharacters', 'numberOfLines', 'textInputFormat', 'textMask', 'isMandatory'],
  uploadImageList: ['images'],
  image: ['img_path'],
} as const;

type Shape = keyof typeof KNOWN;
const KNOWN_SETS = Object.fromEntries(
  Object.entries(KNOWN).map(([shape, fields]) => [shape, new Set<string>(fields)]),
) as unknown as Record<Shape, ReadonlySet<string>>;

const WIDGET_KEYS = new Set<string>(INTERACT_WIDGET_KEYS);

const CHOICE_PROPERTY_SET = new Set<string>(CHOICE_PROPERTIES);

/** Bounds what one history can add to the drift report, and so to metric labels and logs. */
const UNKNOWN_FIELDS_PER_HISTORY = 32;
const FIELD_NAME_MAX = 64;

type Raw = Record<string, unknown>;

class Reader {
  readonly unknown = new Set<string>();

  /** Reports the fields of `raw` that `shape` does not know. */
  check(raw: Raw, shape: Shape, path: string): void {
    const known = KNOWN_SETS[shape];
    for (const field in raw) {
      if (known.has(field) || this.unknown.size >= UNKNOWN_FIELDS_PER_HISTORY) continue;
      this.unknown.add(`${path}.${field.length > FIELD_NAME_MAX ? `${field.slice(0, FIELD_NAME_MAX)}…` : field}`);
    }
  }

  html(value: unknown, path: string): string | null {
    // A header written as the HTML itself is read as such.
    if (typeof value === 'string') return text(value);
    const raw = object(value);
    if (raw === null) return null;
    this.check(raw, 'html', path);
    return text(raw.innerHtml);
  }

  widgetOf(raw: Raw): string | null {
    let other: string | null = null;
    for (const field in raw) {
      const value = raw[field];
      if (value === undefined || value === null) continue;
      if (WIDGET_KEYS.has(field)) return field;
      other ??= !CHOICE_PROPERTY_SET.has(field) && isObject(value) ? field : null;
    }
    return other;
  }

  choice(value: unknown, path: string): HistoryChoice | null {
    const raw = object(value);
    if (raw === null) return null;
    this.check(raw, 'choice', path);
    const widget = this.widgetOf(raw);
    const body = widget === null ? null : object(raw[widget]);
    // Only the documented widgets have known fields; any other name, "constructor" included, has none to check.
    if (body !== null && widget !== null && WIDGET_KEYS.has(widget))
      this.check(body, widget as Shape, `${path}.${widget}`);
    const images: string[] = [];
    if (widget === 'uploadImageList' && body !== null) {
      for (const image of list(body.images)) {
        // A list of bare paths is read as such.
        const imageObject = object(image);
        if (imageObject !== null) this.check(imageObject, 'image', `${path}.uploadImageList.images`);
        const imagePath = text(imageObject === null ? image : imageObject.img_path);
        if (imagePath !== null) images.push(imagePath);
      }
    }
    return {
      id: text(raw.id),
      // Collection items carry their label in the widget.
      label: text(raw.choiceLabel) ?? (body === null ? null : text(body.buttonLabel)),
      value: text(raw.choiceValue),
      referenceName: text(raw.referenceName),
      widget,
      images,
    };
  }

  section(value: unknown, path: string): HistorySection | null {
    const raw = object(value);
    if (raw === null) return null;
    this.check(raw, 'section', path);
    const choicesPath = `${path}.sectionChoices`;
    return {
      id: text(raw.id),
      label: text(raw.sectionLabel),
      referenceName: text(raw.referenceName),
      header: this.html(raw.sectionHeader, `${path}.sectionHeader`),
      footer: this.html(raw.sectionFooter, `${path}.sectionFooter`),
      choices: present(list(raw.sectionChoices).map((choice) => this.choice(choice, choicesPath))),
    };
  }

  page(value: unknown, index: number): HistoryPage {
    const raw = object(value);
    // The one thing inside a history that must be so: a page that is not an object is no page.
    if (raw === null) throw new PayloadError(`upstream payload: pages[${index}] is not an object`);
    this.check(raw, 'page', 'page');
    const navigation = object(raw.pageNavigation);
    if (navigation !== null) this.check(navigation, 'pageNavigation', 'page.pageNavigation');
    const content = object(raw.pageContent);
    if (content !== null) this.check(content, 'pageContent', 'page.pageContent');
    const sectionsPath = 'page.pageContent.contentSections';
    return {
      timestamp: epochMillis(raw.timestamp),
      language: text(raw.language),
      title: navigation === null ? null : text(navigation.navigationTitle),
      referenceName: navigation === null ? null : text(navigation.pageReferenceName),
      header: content === null ? null : this.html(content.contentHeader, 'page.pageContent.contentHeader'),
      footer: content === null ? null : this.html(content.contentFooter, 'page.pageContent.contentFooter'),
      sections:
        content === null
          ? []
          : present(list(content.contentSections).map((section) => this.section(section, sectionsPath))),
    };
  }
}

const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An object, or null where there is none. An empty or blank XML element (pretty-printed, or a
 * stack's way of writing an empty object) stands for an empty object.
 */
function object(value: unknown): Raw | null {
  if (isObject(value)) return value;
  if (typeof value === 'string' && value.trim() === '') return {};
  return null;
}

/**
 * XML has no lists of one or of none: a single element, or none, is read as such a list. An empty
 * element is one empty item, as XML writes an object whose fields were all left out.
 */
function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

const present = <T>(items: (T | null)[]): T[] => items.filter((item): item is T => item !== null);

function text(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return null;
}

/** The largest time a JavaScript Date holds: a timestamp beyond it cannot be shown as a date. */
const MAX_EPOCH_MS = 8.64e15;
const DECIMAL = /^\s*-?\d+(?:\.\d+)?\s*$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** Epoch milliseconds, as documented, or an ISO date-time; null for anything no date can hold. */
function epochMillis(value: unknown): number | null {
  let millis: number;
  if (typeof value === 'number') millis = value;
  else if (typeof value === 'string' && DECIMAL.test(value)) millis = Number(value);
  else if (typeof value === 'string' && ISO_DATE_TIME.test(value)) millis = Date.parse(value);
  else return null;
  return Number.isFinite(millis) && Math.abs(millis) <= MAX_EPOCH_MS ? Math.trunc(millis) : null;
}

/**
 * Reads the pages out of a decoded payload, JSON (REST) or the SOAP reader's element tree. What it
 * requires is a list (or a single page, as XML writes a list of one) of objects: anything else in
 * a page may be missing, differently typed or unknown.
 */
export function readInteractPages(pages: unknown): ReadHistory {
  const reader = new Reader();
  return { pages: list(pages).map((page, index) => reader.page(page, index)), unknownFields: [...reader.unknown] };
}

/** A found history that holds nothing. */
export const noPages = (): ReadHistory => ({ pages: [], unknownFields: [] });
