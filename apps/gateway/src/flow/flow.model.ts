import type { LookupKind } from '@app/interact';

/** The gateway's normalized flow: the same for every upstream transport. */
export type AnswerKind = 'option' | 'switch' | 'list' | 'text' | 'photos' | 'continue';

export interface FlowAnswer {
  /** "<section id>.<choice id>", unique within its page. */
  id: string;
  section: string;
  label: string;
  kind: AnswerKind;
  /** The text entered for `text`, "1"/"0" for options, list items and continue, "true"/"false" for switches; null for photos. */
  value: string | null;
  /** Whether an option, list item, switch or continue was chosen; null where choosing does not apply. */
  selected: boolean | null;
}

export interface FlowPhoto {
  answerId: string;
  /** Device-side path recorded at upload. */
  path: string;
}

export interface FlowPage {
  /** Position in the flow, from 0. */
  index: number;
  title: string;
  referenceName: string;
  navigatedAt: string;
  language: string;
  header: string;
  answers: FlowAnswer[];
  photos: FlowPhoto[];
}

export interface FlowLookupSummary {
  by: LookupKind;
  value: string;
  widerSearch: boolean;
}

export interface Flow {
  accountId: string;
  interactionId: string | null;
  lookup: FlowLookupSummary;
  pages: FlowPage[];
}
