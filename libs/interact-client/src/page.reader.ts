import {
  INTERACT_WIDGET_KEYS,
  type InteractButton,
  type InteractChoice,
  type InteractPage,
  type InteractSection,
  type InteractWidgets,
} from '@app/interact';
import { PayloadError } from './upstream.errors.js';

/**
 * Reads Interact's page model out of a decoded payload, JSON (REST) or the soap client's object
 * (SOAP), and checks its shape. XML has no arrays of one or of none and no empty strings, so
 * repeated elements and blank texts are accepted in both spellings.
 */
type Raw = Record<string, unknown>;

function fail(path: string, expectation: string): never {
  throw new PayloadError(`upstream payload: ${path} ${expectation}`);
}

function object(value: unknown, path: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'is not an object');
  return value as Raw;
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function text(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // An empty XML element arrives as an object without children.
  if (value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0))
    return '';
  return fail(path, 'is not text');
}

function integer(value: unknown, path: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) fail(path, 'is not an integer');
  return number;
}

/** The largest time a JavaScript Date holds: a timestamp beyond it cannot be shown as a date. */
const MAX_EPOCH_MS = 8.64e15;

function epochMillis(value: unknown, path: string): number {
  const millis = integer(value, path);
  if (Math.abs(millis) > MAX_EPOCH_MS) fail(path, 'is not a time');
  return millis;
}

// XML Schema's boolean is also spelt 1 and 0.
function boolean(value: unknown, path: string): boolean {
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return fail(path, 'is not a boolean');
}

function button(value: unknown, path: string): InteractButton {
  const raw = object(value, path);
  return {
    buttonState: text(raw.buttonState, `${path}.buttonState`),
    buttonVisible: boolean(raw.buttonVisible, `${path}.buttonVisible`),
    buttonLabel: text(raw.buttonLabel, `${path}.buttonLabel`),
    buttonAction: text(raw.buttonAction, `${path}.buttonAction`),
  };
}

function widget(raw: Raw, path: string): Partial<InteractWidgets> {
  // Some serializers write an absent field as null.
  const present = INTERACT_WIDGET_KEYS.filter((key) => raw[key] !== undefined && raw[key] !== null);
  if (present.length !== 1) fail(path, `must carry exactly one widget key, found ${present.length}`);
  const key = present[0];
  const body = raw[key] === '' ? {} : object(raw[key], `${path}.${key}`);
  switch (key) {
    case 'uploadImageList':
      return {
        uploadImageList: {
          images: list(body.images).map((image, i) => ({
            img_path: text(
              object(image, `${path}.${key}.images[${i}]`).img_path,
              `${path}.${key}.images[${i}].img_path`,
            ),
          })),
        },
      };
    case 'choiceOption':
      return {
        choiceOption: {
          multiSelect: body.multiSelect === undefined ? false : boolean(body.multiSelect, `${path}.${key}.multiSelect`),
        },
      };
    case 'choiceSwitch':
      return {
        choiceSwitch: {
          onLabel: text(body.onLabel, `${path}.${key}.onLabel`),
          offLabel: text(body.offLabel, `${path}.${key}.offLabel`),
        },
      };
    case 'selectFromList':
      return { selectFromList: { listName: text(body.listName, `${path}.${key}.listName`) } };
    case 'textInput':
      return {
        textInput: {
          inputType: text(body.inputType, `${path}.${key}.inputType`),
          maxLength: body.maxLength === undefined ? 0 : integer(body.maxLength, `${path}.${key}.maxLength`),
        },
      };
    case 'clickToContinue':
      return { clickToContinue: { buttonLabel: text(body.buttonLabel, `${path}.${key}.buttonLabel`) } };
  }
}

function choice(value: unknown, path: string): InteractChoice {
  const raw = object(value, path);
  return {
    id: integer(raw.id, `${path}.id`),
    choiceLabel: text(raw.choiceLabel, `${path}.choiceLabel`),
    choiceValue: text(raw.choiceValue, `${path}.choiceValue`),
    ...widget(raw, path),
  } as InteractChoice;
}

function section(value: unknown, path: string): InteractSection {
  const raw = object(value, path);
  return {
    id: integer(raw.id, `${path}.id`),
    sectionLabel: text(raw.sectionLabel, `${path}.sectionLabel`),
    sectionGroupType: text(raw.sectionGroupType, `${path}.sectionGroupType`),
    sectionNumberOfColumns: integer(raw.sectionNumberOfColumns ?? 1, `${path}.sectionNumberOfColumns`),
    sectionChoices: list(raw.sectionChoices).map((c, i) => choice(c, `${path}.sectionChoices[${i}]`)),
  };
}

function page(value: unknown, path: string): InteractPage {
  const raw = object(value, path);
  const navigation = object(raw.pageNavigation, `${path}.pageNavigation`);
  const content = object(raw.pageContent, `${path}.pageContent`);
  const header = object(content.contentHeader, `${path}.pageContent.contentHeader`);
  return {
    timestamp: epochMillis(raw.timestamp, `${path}.timestamp`),
    language: text(raw.language, `${path}.language`),
    pageNavigation: {
      navigationTitle: text(navigation.navigationTitle, `${path}.pageNavigation.navigationTitle`),
      pageReferenceName: text(navigation.pageReferenceName, `${path}.pageNavigation.pageReferenceName`),
      navigationLeft: button(navigation.navigationLeft, `${path}.pageNavigation.navigationLeft`),
      navigationRight: button(navigation.navigationRight, `${path}.pageNavigation.navigationRight`),
    },
    pageContent: {
      contentHeader: {
        id: integer(header.id, `${path}.pageContent.contentHeader.id`),
        innerHtml: text(header.innerHtml, `${path}.pageContent.contentHeader.innerHtml`),
      },
      contentSections: list(content.contentSections).map((s, i) =>
        section(s, `${path}.pageContent.contentSections[${i}]`),
      ),
    },
  };
}

export function readInteractPages(pages: unknown): InteractPage[] {
  return list(pages).map((p, i) => page(p, `pages[${i}]`));
}
