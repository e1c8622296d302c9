import { decodeHTML } from 'entities';
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

/**
 * Page headers are HTML fragments; callers want the words. Tags go first, so escaped markup stays
 * text; then every HTML entity, named ones included (editors write &eacute; for é).
 */
export function htmlToText(html: string): string {
  return decodeHTML(html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' '))
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
