import { describe, expect, it } from 'vitest';
import { readInteractPages } from './page.reader.js';
import { PayloadError } from './upstream.errors.js';

/** A page as Jacada's published QA recordings show real Interact answering, trimmed. */
const recordedPage = {
  language: 'en',
  pageMenu: { menuItems: [] },
  allowVerticalScroll: true,
  pageNavigation: { navigationTitle: 'Choose an account', pageReferenceName: 'account' },
  pageContent: {
    contentHeader: { id: '1428325870376-2175b09b-24d0', innerHtml: '' },
    contentFooter: { id: '1428325870376-2175b09b-24d9', innerHtml: '<p>Step 1</p>' },
    contentSections: [
      {
        id: '1428325870376-2175b09b-24d1',
        sectionLabel: 'Accounts',
        selectionType: 'single',
        referenceName: 'accounts',
        displayStyle: 'list',
        tableHeaders: [],
        sectionHeader: { id: '1428325870376-2175b09b-24d2', innerHtml: '<b>Pick one</b>' },
        sectionChoices: [
          {
            id: '1428325870376-2175b09b-24e9:0',
            choiceValue: '1',
            collectionItem: { buttonLabel: 'Car policy' },
            firstName: 'buttonLabel',
          },
          {
            id: 7,
            choiceValue: 'typed',
            textInput: {
              maxCharacters: 20,
              numberOfLines: 1,
              textInputFormat: 'NONE',
              textMask: '',
              isMandatory: false,
            },
          },
        ],
      },
    ],
  },
};

describe('readInteractPages', () => {
  it('reads a page in the recorded shape, with no unknown field', () => {
    const { pages, unknownFields } = readInteractPages([recordedPage]);
    expect(unknownFields).toEqual([]);
    expect(pages).toEqual([
      {
        timestamp: null,
        language: 'en',
        title: 'Choose an account',
        referenceName: 'account',
        header: null,
        footer: '<p>Step 1</p>',
        sections: [
          {
            id: '1428325870376-2175b09b-24d1',
            label: 'Accounts',
            referenceName: 'accounts',
            header: '<b>Pick one</b>',
            footer: null,
            choices: [
              {
                id: '1428325870376-2175b09b-24e9:0',
                label: 'Car policy',
                value: '1',
                referenceName: null,
                widget: 'collectionItem',
                images: [],
              },
              { id: '7', label: null, value: 'typed', referenceName: null, widget: 'textInput', images: [] },
            ],
          },
        ],
      },
    ]);
  });

  it('reports unknown fields by path without indexes, and reads the page all the same', () => {
    const page = { ...structuredClone(recordedPage), mood: 'calm' };
    const [section] = page.pageContent.contentSections;
    section.sectionChoices[1] = { ...section.sectionChoices[1], textInput: { autocomplete: 'off' } } as never;
    (section.sectionChoices as object[]).push({ choiceValue: '4', starRating: { max: 5 } });
    const { pages, unknownFields } = readInteractPages([page, page]);
    expect(unknownFields).toEqual([
      'page.mood',
      'page.pageContent.contentSections.sectionChoices.textInput.autocomplete',
      'page.pageContent.contentSections.sectionChoices.starRating',
    ]);
    expect(pages[1].sections[0].choices[2]).toMatchObject({ widget: 'starRating', value: '4' });
  });

  it('takes widget names that Object.prototype also has as the names they are', () => {
    const choices = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((name) =>
      JSON.parse(`{"choiceValue":"v","${name}":{"buttonLabel":"${name}"}}`),
    );
    const { pages } = readInteractPages([{ pageContent: { contentSections: [{ sectionChoices: choices }] } }]);
    expect(pages[0].sections[0].choices.map((choice) => [choice.widget, choice.label])).toEqual([
      ['constructor', 'constructor'],
      ['toString', 'toString'],
      ['__proto__', '__proto__'],
      ['hasOwnProperty', 'hasOwnProperty'],
    ]);
  });

  it('bounds the fields one history can report', () => {
    const page = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x${i}${'y'.repeat(100)}`, i]));
    const { unknownFields } = readInteractPages([page]);
    expect(unknownFields).toHaveLength(32);
    expect(unknownFields[0]).toBe(`page.x0${'y'.repeat(62)}…`);
  });

  it('refuses a page that is not an object, and nothing else', () => {
    expect(() => readInteractPages([{}, 3])).toThrow(PayloadError);
    expect(() => readInteractPages([{}, 3])).toThrow('upstream payload: pages[1] is not an object');
    expect(() => readInteractPages([[]])).toThrow('upstream payload: pages[0] is not an object');
    expect(readInteractPages([{ pageNavigation: 'x', pageContent: 5 }]).pages[0]).toMatchObject({
      title: null,
      sections: [],
    });
  });
});
