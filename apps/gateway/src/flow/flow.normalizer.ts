import { widgetKeyOf, type InteractChoice, type InteractPage, type InteractWidgetKey } from '@app/interact';
import type { AnswerKind, FlowAnswer, FlowPage, FlowPhoto } from './flow.model.js';

const KIND_OF_WIDGET: Record<InteractWidgetKey, AnswerKind> = {
  choiceOption: 'option',
  choiceSwitch: 'switch',
  selectFromList: 'list',
  textInput: 'text',
  uploadImageList: 'photos',
  clickToContinue: 'continue',
};

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  hellip: '…',
  ndash: '–',
  mdash: '—',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
};

function codePoint(code: number, original: string): string {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
    ? String.fromCodePoint(code)
    : original;
}

/** Page headers are HTML fragments; callers want the words. Tags go first, so escaped markup stays text. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) => {
      if (name[0] === '#') {
        const hex = name[1] === 'x' || name[1] === 'X';
        return codePoint(parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10), entity);
      }
      return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

function answerOf(sectionId: number, sectionLabel: string, choice: InteractChoice): FlowAnswer {
  const kind = KIND_OF_WIDGET[widgetKeyOf(choice)];
  const chosen = kind === 'switch' ? 'true' : '1';
  // One object shape for every answer: this runs for each choice of each page of every history.
  return {
    id: `${sectionId}.${choice.id}`,
    section: sectionLabel,
    label: choice.choiceLabel,
    kind,
    value: kind === 'photos' ? null : choice.choiceValue,
    selected: kind === 'text' || kind === 'photos' ? null : choice.choiceValue === chosen,
  };
}

export function normalizePages(pages: InteractPage[]): FlowPage[] {
  return pages.map((page, index) => {
    const answers: FlowAnswer[] = [];
    const photos: FlowPhoto[] = [];
    for (const section of page.pageContent.contentSections) {
      for (const choice of section.sectionChoices) {
        const answer = answerOf(section.id, section.sectionLabel, choice);
        answers.push(answer);
        if ('uploadImageList' in choice) {
          for (const image of choice.uploadImageList.images) photos.push({ answerId: answer.id, path: image.img_path });
        }
      }
    }
    return {
      index,
      title: page.pageNavigation.navigationTitle,
      referenceName: page.pageNavigation.pageReferenceName,
      navigatedAt: new Date(page.timestamp).toISOString(),
      language: page.language,
      header: htmlToText(page.pageContent.contentHeader.innerHtml),
      answers,
      photos,
    };
  });
}
