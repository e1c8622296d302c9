/**
 * Interact's page model as Uniphore documents it: one object per page the user navigated, with
 * upstream's own field names. The simulator writes its seeded histories in it. Real histories
 * differ (string ids, no timestamps, other fields and widgets: see ../shared/upstream), so the
 * gateway relies on none of this: libs/interact-client's page reader takes any such page.
 */
export interface InteractButton {
  buttonState: string;
  buttonVisible: boolean;
  buttonLabel: string;
  buttonAction: string;
}

export interface InteractPageNavigation {
  navigationTitle: string;
  pageReferenceName: string;
  navigationLeft: InteractButton;
  navigationRight: InteractButton;
}

export interface InteractImage {
  img_path: string;
}

/** Each choice carries exactly one of these keys; its presence says which widget it was. */
export interface InteractWidgets {
  clickToContinue: { buttonLabel: string };
  choiceOption: { multiSelect: boolean };
  choiceSwitch: { onLabel: string; offLabel: string };
  selectFromList: { listName: string };
  textInput: { inputType: string; maxLength: number };
  uploadImageList: { images: InteractImage[] };
}

export type InteractWidgetKey = keyof InteractWidgets;

export const INTERACT_WIDGET_KEYS: readonly InteractWidgetKey[] = [
  'clickToContinue',
  'choiceOption',
  'choiceSwitch',
  'selectFromList',
  'textInput',
  'uploadImageList',
];

interface InteractChoiceBase {
  id: number;
  choiceLabel: string;
  /** "1"/"0" for options and list items, "true"/"false" for switches, the text for inputs. */
  choiceValue: string;
}

export type InteractChoice = {
  [K in InteractWidgetKey]: InteractChoiceBase & { [P in K]: InteractWidgets[K] };
}[InteractWidgetKey];

export interface InteractSection {
  id: number;
  sectionLabel: string;
  sectionGroupType: string;
  sectionNumberOfColumns: number;
  sectionChoices: InteractChoice[];
}

export interface InteractPage {
  /** Epoch milliseconds of the navigation. */
  timestamp: number;
  language: string;
  pageNavigation: InteractPageNavigation;
  pageContent: {
    contentHeader: { id: number; innerHtml: string };
    contentSections: InteractSection[];
  };
}
