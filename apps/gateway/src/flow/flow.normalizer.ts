import { decodeHTML } from 'entities';
import type { HistoryChoice, HistoryPage } from '@app/interact-client';
import { photoIdOf } from './photo-id.js';
import type { AnswerKind, FlowAnswer, FlowPage, FlowPhoto, FlowSection } from './flow.model.js';

/** A Map, not an object: upstream names widgets, and "constructor" must not find Object's. */
const KIND_OF_WIDGET = new Map<string, AnswerKind>([
  ['choiceOption', 'option'],
  ['choiceSwitch', 'switch'],
  ['selectFromList', 'list'],
  ['textInput', 'text'],
  ['uploadImageList', 'photos'],
  ['clickToContinue', 'continue'],
]);

/**
 * Headers and footers are HTML fragments; callers want the words. Tags go first, so escaped markup
 * stays text; then every HTML entity, named ones included (editors write &eacute; for é).
 */
export function htmlToText(html: string): string {
  return decodeHTML(html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/** A header or footer with no words in it is no header. */
function plainText(html: string | null): string | null {
  if (html === null) return null;
  const text = htmlToText(html);
  return text === '' ? null : text;
}

function answerOf(id: string, section: string | null, choice: HistoryChoice): FlowAnswer {
  const kind = (choice.widget === null ? undefined : KIND_OF_WIDGET.get(choice.widget)) ?? 'other';
  const chosen = kind === 'switch' ? 'true' : '1';
  const { value } = choice;
  // One object shape for every answer: this runs for each choice of each page of every history.
  return {
    id,
    section,
    label: choice.label,
    kind,
    value: kind === 'photos' ? null : value,
    selected: kind === 'text' || kind === 'photos' || kind === 'other' || value === null ? null : value === chosen,
    choiceId: choice.id,
    referenceName: choice.referenceName,
    widget: choice.widget,
  };
}

export function normalizePages(pages: HistoryPage[]): FlowPage[] {
  return pages.map((page, index) => {
    const answers: FlowAnswer[] = [];
    const photos: FlowPhoto[] = [];
    const sections: FlowSection[] = page.sections.map((section, sectionIndex) => {
      const sectionId = section.id ?? String(sectionIndex + 1);
      const answerIds = section.choices.map((choice, choiceIndex) => {
        const answer = answerOf(`${sectionId}.${choice.id ?? choiceIndex + 1}`, section.label, choice);
        answers.push(answer);
        for (const path of choice.images) photos.push({ answerId: answer.id, path, id: photoIdOf(path), href: null });
        return answer.id;
      });
      return {
        id: section.id,
        label: section.label,
        referenceName: section.referenceName,
        header: plainText(section.header),
        footer: plainText(section.footer),
        answerIds,
      };
    });
    return {
      index,
      title: page.title,
      referenceName: page.referenceName,
      navigatedAt: page.timestamp === null ? null : new Date(page.timestamp).toISOString(),
      language: page.language,
      header: plainText(page.header),
      answers,
      photos,
      footer: plainText(page.footer),
      sections,
    };
  });
}
