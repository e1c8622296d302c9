import type { LookupKind } from '@app/interact';

/** The gateway's normalized flow: the same for every upstream transport. */
export type AnswerKind = 'option' | 'switch' | 'list' | 'text' | 'photos' | 'continue' | 'other';

export interface FlowAnswer {
  /** "<section id>.<choice id>", upstream's ids (positions from 1 where it gives none); unique within its page. */
  id: string;
  /** The section's label. */
  section: string | null;
  label: string | null;
  kind: AnswerKind;
  /** The text entered for `text` and `other`, "1"/"0" for options, list items and continue, "true"/"false" for switches; null for photos, and where upstream gives none. */
  value: string | null;
  /** Whether an option, list item, switch or continue was chosen; null where choosing does not apply or upstream gives no value. */
  selected: boolean | null;
  /** Upstream's own id of the choice. */
  choiceId: string | null;
  referenceName: string | null;
  /** Upstream's name of the widget (`choiceOption`, `collectionItem`, …); null when the choice names none. */
  widget: string | null;
}

export interface FlowSection {
  /** Upstream's own id of the section. */
  id: string | null;
  label: string | null;
  referenceName: string | null;
  /** Plain text of the section's header and footer. */
  header: string | null;
  footer: string | null;
  /** The section's answers, by id, in the page's `answers`. */
  answerIds: string[];
}

export interface FlowPhoto {
  answerId: string;
  /** Device-side path recorded at upload. */
  path: string;
  /** Opaque id of the photo within its flow (see photoIdOf). */
  id: string;
  /** Where the gateway serves the image; null for a flow found by caller attribute, which names no interaction. */
  href: string | null;
}

export interface FlowPage {
  /** Position in the flow, from 0. */
  index: number;
  title: string | null;
  referenceName: string | null;
  /** Null where upstream gives no time (older histories). */
  navigatedAt: string | null;
  language: string | null;
  /** Plain text of the page's header; null when the page has none. */
  header: string | null;
  answers: FlowAnswer[];
  photos: FlowPhoto[];
  /** Plain text of the page's footer. */
  footer: string | null;
  sections: FlowSection[];
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
