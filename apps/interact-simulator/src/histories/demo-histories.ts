import type { InteractButton, InteractChoice, InteractPage, InteractSection } from '@app/interact';
import { recordedClaim, recordedSparse, type RecordedPage } from './recorded-histories.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const STEP_MS = 45_000;

/** `pages` in the documented model; `recorded` in the shape real Interact was recorded sending. */
export type SeededOutcome =
  | { kind: 'pages'; pages: InteractPage[] }
  | { kind: 'recorded'; pages: RecordedPage[] }
  | { kind: 'empty' }
  | { kind: 'internal-error' };

export interface SeededHistory {
  uniqueId: string;
  callerAttributes: string[];
  /** When the interaction was completed; decides whether a 3- or 12-month search finds it. */
  completedAt: number;
  outcome: SeededOutcome;
}

const button = (label: string, action: string, visible = true): InteractButton => ({
  buttonState: 'enabled',
  buttonVisible: visible,
  buttonLabel: label,
  buttonAction: action,
});

interface PageSpec {
  title: string;
  referenceName: string;
  headerHtml: string;
  sections: Omit<InteractSection, 'id' | 'sectionGroupType' | 'sectionNumberOfColumns'>[];
  last?: boolean;
}

function page(spec: PageSpec, index: number, timestamp: number): InteractPage {
  return {
    timestamp,
    language: 'en-US',
    pageNavigation: {
      navigationTitle: spec.title,
      pageReferenceName: spec.referenceName,
      navigationLeft: button('Back', 'back', index > 0),
      navigationRight: button(spec.last ? 'Finish' : 'Next', spec.last ? 'finish' : 'next'),
    },
    pageContent: {
      contentHeader: { id: 1, innerHtml: spec.headerHtml },
      contentSections: spec.sections.map((section, sectionIndex) => ({
        id: sectionIndex + 1,
        sectionLabel: section.sectionLabel,
        sectionGroupType: 'vertical',
        sectionNumberOfColumns: 1,
        sectionChoices: section.sectionChoices,
      })),
    },
  };
}

/** Pages are stamped backwards from completion, one step apart, ending at `completedAt`. */
function stamp(specs: PageSpec[], completedAt: number): InteractPage[] {
  return specs.map((spec, index) => page(spec, index, completedAt - (specs.length - 1 - index) * STEP_MS));
}

const option = (id: number, label: string, selected: boolean): InteractChoice => ({
  id,
  choiceLabel: label,
  choiceValue: selected ? '1' : '0',
  choiceOption: { multiSelect: false },
});

const listItem = (id: number, label: string, selected: boolean): InteractChoice => ({
  id,
  choiceLabel: label,
  choiceValue: selected ? '1' : '0',
  selectFromList: { listName: 'vehicleTypes' },
});

function claimHistory(): PageSpec[] {
  return [
    {
      title: 'Welcome',
      referenceName: 'welcome',
      headerHtml: '<h1>How can we help?</h1>',
      sections: [
        {
          sectionLabel: 'Reason for contact',
          sectionChoices: [
            option(1, 'Report damage', true),
            option(2, 'Track a claim', false),
            option(3, 'Something else', false),
          ],
        },
      ],
    },
    {
      title: 'Injuries',
      referenceName: 'injuries',
      headerHtml: '<h2>Safety first</h2><p>Was anyone hurt?&nbsp;Tell us &amp; we&#39;ll help.</p>',
      sections: [
        {
          sectionLabel: 'Injuries',
          sectionChoices: [
            {
              id: 1,
              choiceLabel: 'Was anyone injured?',
              choiceValue: 'false',
              choiceSwitch: { onLabel: 'Yes', offLabel: 'No' },
            },
          ],
        },
        {
          sectionLabel: 'Vehicle',
          sectionChoices: [listItem(1, 'Car', true), listItem(2, 'Motorbike', false), listItem(3, 'Van', false)],
        },
      ],
    },
    {
      title: 'What happened',
      referenceName: 'description',
      headerHtml: '<p>Describe what happened <em>in your own words</em></p>',
      sections: [
        {
          sectionLabel: 'Description',
          sectionChoices: [
            {
              id: 1,
              choiceLabel: 'What happened?',
              choiceValue: 'Rear-ended at a red light & pushed <2 m> into the junction; "no" injuries',
              textInput: { inputType: 'TEXT', maxLength: 500 },
            },
          ],
        },
      ],
    },
    {
      title: 'Photos',
      referenceName: 'photos',
      headerHtml: '<p>Upload photos of the damage</p>',
      last: true,
      sections: [
        {
          sectionLabel: 'Damage photos',
          sectionChoices: [
            {
              id: 1,
              choiceLabel: 'Photos of the damage',
              choiceValue: '',
              uploadImageList: {
                images: [
                  { img_path: '/mnt/sdcard/home/downloads/i1152998579.png' },
                  { img_path: '/mnt/sdcard/home/downloads/i1152998580 (1).png' },
                ],
              },
            },
            { id: 2, choiceLabel: 'Submit', choiceValue: '1', clickToContinue: { buttonLabel: 'Submit' } },
          ],
        },
      ],
    },
  ];
}

function callbackHistory(): PageSpec[] {
  return [
    {
      title: 'Call me back',
      referenceName: 'callback',
      headerHtml: '<h1>We&rsquo;ll call you</h1>',
      sections: [
        {
          sectionLabel: 'Phone number',
          sectionChoices: [
            {
              id: 1,
              choiceLabel: 'Your number',
              choiceValue: '+44 20 7946 0958',
              textInput: { inputType: 'PHONE', maxLength: 20 },
            },
          ],
        },
      ],
    },
    {
      title: 'Thank you',
      referenceName: 'done',
      headerHtml: '<p>Thank you</p>',
      last: true,
      sections: [
        {
          sectionLabel: 'Done',
          sectionChoices: [
            { id: 1, choiceLabel: 'Close', choiceValue: '1', clickToContinue: { buttonLabel: 'Close' } },
          ],
        },
      ],
    },
  ];
}

/** Many small pages, for load and memory work. */
function longHistory(pageCount: number): PageSpec[] {
  return Array.from({ length: pageCount }, (_, index) => ({
    title: `Step ${index + 1}`,
    referenceName: `step-${index + 1}`,
    headerHtml: `<p>Question ${index + 1}</p>`,
    last: index === pageCount - 1,
    sections: [
      {
        sectionLabel: 'Answer',
        sectionChoices: [
          option(1, 'Yes', index % 2 === 0),
          option(2, 'No', index % 2 === 1),
          {
            id: 3,
            choiceLabel: 'Comment',
            choiceValue: `Comment on step ${index + 1}`,
            textInput: { inputType: 'TEXT', maxLength: 200 },
          },
        ],
      },
    ],
  }));
}

export const DEMO_IDS = {
  claim: '040100713',
  claimAttribute: '112233',
  callback: '4c221517-5949-4752-84b4-4784adb70dba',
  callbackAttribute: 'history1',
  notFound: '000000000',
  empty: 'empty-0001',
  internalError: 'fail-0500',
  old: 'old-0001',
  medium: 'mid-0050',
  big: 'big-5000',
  recorded: 'rec-claim-0001',
  recordedAttribute: 'rec-history1',
  recordedSparse: 'rec-sparse-0001',
} as const;

/**
 * Caller attributes of big-5000: as many lookups of it as a test needs at once, each its own key
 * (the gateway's requests for one key share one call).
 */
export const BIG_ATTRIBUTES = Array.from({ length: 16 }, (_, i) => `big-5000-${i + 1}`);

export function demoHistories(now: number): SeededHistory[] {
  const recent = now - 2 * DAY_MS;
  const pages = (specs: PageSpec[], completedAt = recent): SeededOutcome => ({
    kind: 'pages',
    pages: stamp(specs, completedAt),
  });
  const eightMonthsAgo = now - 240 * DAY_MS;
  return [
    {
      uniqueId: DEMO_IDS.claim,
      callerAttributes: [DEMO_IDS.claimAttribute],
      completedAt: recent,
      outcome: pages(claimHistory()),
    },
    {
      uniqueId: DEMO_IDS.callback,
      callerAttributes: [DEMO_IDS.callbackAttribute],
      completedAt: recent,
      outcome: pages(callbackHistory()),
    },
    { uniqueId: DEMO_IDS.empty, callerAttributes: [], completedAt: recent, outcome: { kind: 'empty' } },
    {
      uniqueId: DEMO_IDS.internalError,
      callerAttributes: [],
      completedAt: recent,
      outcome: { kind: 'internal-error' },
    },
    {
      uniqueId: DEMO_IDS.old,
      callerAttributes: [],
      completedAt: eightMonthsAgo,
      outcome: pages(callbackHistory(), eightMonthsAgo),
    },
    { uniqueId: DEMO_IDS.medium, callerAttributes: [], completedAt: recent, outcome: pages(longHistory(50)) },
    {
      uniqueId: DEMO_IDS.big,
      callerAttributes: BIG_ATTRIBUTES,
      completedAt: recent,
      outcome: pages(longHistory(5000)),
    },
    {
      uniqueId: DEMO_IDS.recorded,
      callerAttributes: [DEMO_IDS.recordedAttribute],
      completedAt: recent,
      outcome: { kind: 'recorded', pages: recordedClaim() },
    },
    {
      uniqueId: DEMO_IDS.recordedSparse,
      callerAttributes: [],
      completedAt: recent,
      outcome: { kind: 'recorded', pages: recordedSparse() },
    },
  ];
}
