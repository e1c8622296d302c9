/**
 * What a history must never lose on its way through the gateway, read from upstream's raw pages
 * with rules of their own, so that the reader is not checked against itself: each page's title,
 * and in order every choice's value and label, and every photo path.
 */
export interface Essentials {
  title: string | null;
  values: (string | null)[];
  /** Labels where upstream gives one, null elsewhere. */
  labels: (string | null)[];
  photos: string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
const textOf = (value: unknown): string | null =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) || null : null;

export function essentialsOfRaw(page: Json): Essentials {
  const navigation = isObject(page.pageNavigation) ? page.pageNavigation : {};
  const content = isObject(page.pageContent) ? page.pageContent : {};
  const choices = items(content.contentSections)
    .filter(isObject)
    .flatMap((section) => items(section.sectionChoices).filter(isObject));
  return {
    title: textOf(navigation.navigationTitle),
    values: choices.map((choice) => (choice.uploadImageList == null ? textOf(choice.choiceValue) : null)),
    labels: choices.map((choice) => textOf(choice.choiceLabel)),
    photos: choices
      .flatMap((choice) =>
        isObject(choice.uploadImageList)
          ? items(choice.uploadImageList.images).flatMap((image) => (isObject(image) ? [textOf(image.img_path)] : []))
          : [],
      )
      .filter((path): path is string => path !== null),
  };
}

interface FlowPageLike {
  title: string | null;
  answers: { label: string | null; value: string | null }[];
  photos: { path: string }[];
}

/** The same of a page of the gateway's flow; labels only where the raw page gave one. */
export function essentialsOfFlow(page: FlowPageLike, raw: Essentials): Essentials {
  return {
    title: page.title,
    values: page.answers.map((answer) => answer.value),
    labels: page.answers.map((answer, index) => (raw.labels[index] === null ? null : answer.label)),
    photos: page.photos.map((photo) => photo.path),
  };
}

/**
 * A flow's pages as another account's flow of the same history reads: identical but for the
 * account in each photo's href, which this puts in.
 */
export function pagesAsOf<P>(pages: P, fromAccount: string, toAccount: string): P {
  return JSON.parse(
    JSON.stringify(pages).replaceAll(`"/v1/accounts/${fromAccount}/`, `"/v1/accounts/${toAccount}/`),
  ) as P;
}
