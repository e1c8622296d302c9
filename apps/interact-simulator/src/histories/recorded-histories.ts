/**
 * Histories in the shape that real Interact has been recorded answering (Jacada's published QA
 * recordings; see ../shared/upstream), which differs from the documented model of
 * demo-histories.ts: string ids, no timestamps, pages without a header or with an empty one,
 * footers, section headers and footers, `selectionType`, reference names, display styles, table
 * headers, collection items, choices without a label, and fields nobody documents. They are
 * written as plain JSON on purpose: the gateway must read them without sharing our model of them.
 */
export type RecordedPage = Record<string, unknown>;

const id = (suffix: string) => `1428325870376-2175b09b-8bd4-4c9b-a2b1-${suffix}`;

const navigation = (title: string, referenceName: string) => ({
  navigationTitle: title,
  pageReferenceName: referenceName,
  navigationLeft: { buttonState: 'enabled', buttonVisible: true, buttonLabel: 'Back', buttonAction: 'back' },
  navigationRight: { buttonState: 'enabled', buttonVisible: true, buttonLabel: 'Next', buttonAction: 'next' },
});

const page = (title: string, referenceName: string, pageContent: Record<string, unknown>): RecordedPage => ({
  language: 'en',
  pageMenu: { menuItems: [] },
  allowVerticalScroll: true,
  pageNavigation: navigation(title, referenceName),
  pageContent,
});

const collectionItem = (choiceId: string, label: string) => ({
  id: choiceId,
  choiceValue: '0',
  referenceName: 'accounts',
  collectionItem: { buttonLabel: label },
  firstName: 'buttonLabel',
});

/** A claim as recorded: every difference from the documented model at least once. */
export function recordedClaim(): RecordedPage[] {
  return [
    page('Choose an account', 'account', {
      // No contentHeader at all.
      contentSections: [
        {
          id: id('24d1'),
          sectionLabel: 'Your accounts',
          selectionType: 'single',
          referenceName: 'accounts',
          displayStyle: 'list',
          tableHeaders: [],
          sectionHeader: { id: id('24d2'), innerHtml: '<p>Pick the account the claim is for</p>' },
          sectionChoices: [
            collectionItem(`${id('24e9')}:0`, 'Car policy 7781'),
            collectionItem(`${id('24e9')}:1`, 'Home policy 1204'),
          ],
        },
      ],
    }),
    page('Your details', 'details', {
      contentHeader: { id: id('24f0'), innerHtml: '' },
      contentSections: [
        {
          id: id('24f1'),
          sectionLabel: 'Contact',
          sectionGroupType: 'vertical',
          sectionNumberOfColumns: 1,
          sectionFooter: { id: id('24f3'), innerHtml: '<small>We only call about this claim.</small>' },
          sectionChoices: [
            {
              id: id('24f2'),
              choiceValue: 'Dana Levi',
              referenceName: 'fullName',
              textInput: {
                inputType: 'TEXT',
                maxLength: 80,
                maxCharacters: 80,
                numberOfLines: 1,
                textInputFormat: 'NONE',
                textMask: '',
                isMandatory: true,
              },
            },
            {
              id: id('24f4'),
              choiceLabel: 'Best time to call',
              choiceValue: '1',
              referenceName: 'morning',
              displayStyle: 'radio',
              choiceOption: { multiSelect: false },
            },
          ],
        },
      ],
      contentFooter: { id: id('24f5'), innerHtml: '<p>Step 2 of 3</p>' },
    }),
    page('Photos', 'photos', {
      contentHeader: { id: id('2500'), innerHtml: '<h2>Photos of the damage</h2>' },
      contentSections: [
        {
          id: id('2501'),
          sectionLabel: 'Damage',
          selectionType: 'none',
          sectionChoices: [
            {
              id: id('2502'),
              choiceLabel: 'Front bumper',
              choiceValue: '',
              uploadImageList: { images: [{ img_path: '/mnt/sdcard/home/downloads/i1152998579' }] },
            },
          ],
        },
      ],
    }),
  ];
}

/** The least a history can be: pages with a title and nothing else, or with sections and no ids. */
export function recordedSparse(): RecordedPage[] {
  return [
    { pageNavigation: { navigationTitle: 'Thank you' } },
    {
      pageContent: {
        contentSections: [{ sectionChoices: [{ choiceLabel: 'Rate us', choiceValue: '5', starRating: { max: 5 } }] }],
      },
    },
  ];
}
