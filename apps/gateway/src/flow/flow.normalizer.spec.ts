import { describe, expect, it } from 'vitest';
import type { HistoryChoice, HistoryPage } from '@app/interact-client';
import { htmlToText, normalizePages } from './flow.normalizer.js';

describe('htmlToText', () => {
  it.each([
    [
      'named entities of accented letters',
      '<p>Caf&eacute; r&eacute;sum&eacute;, Gr&uuml;&szlig;e, Espa&ntilde;a</p>',
      'Café résumé, Grüße, España',
    ],
    ['entities in their own case', '&Eacute;t&eacute;', 'Été'],
    ['numeric entities', 'Smile &#128512; &#x263A;', 'Smile 😀 ☺'],
    ['escaped markup, kept as text', 'Type &lt;b&gt; for bold', 'Type <b> for bold'],
    [
      'tags, comments and runs of white space',
      '<h2>Safety first</h2><!-- draft --><p>Was anyone&nbsp;hurt?\n</p>',
      'Safety first Was anyone hurt?',
    ],
    ['an unknown entity, left as written', 'a &bogus; b', 'a &bogus; b'],
  ])('decodes %s', (_name, html, text) => {
    expect(htmlToText(html)).toBe(text);
  });
});

describe('normalizePages', () => {
  const choice = (widget: string | null, value: string | null): HistoryChoice => ({
    id: '1',
    label: 'Label',
    value,
    referenceName: null,
    widget,
    images: [],
  });
  const page = (...choices: HistoryChoice[]): HistoryPage => ({
    timestamp: null,
    language: null,
    title: null,
    referenceName: null,
    header: '<p> </p>',
    footer: null,
    sections: [{ id: null, label: null, referenceName: null, header: null, footer: null, choices }],
  });

  it('makes a widget it does not know, whatever its name, an answer of kind other that keeps its value', () => {
    const [normalized] = normalizePages([page(choice('constructor', 'typed'), choice(null, '1'))]);
    expect(normalized.answers.map(({ kind, widget, value, selected }) => ({ kind, widget, value, selected }))).toEqual([
      { kind: 'other', widget: 'constructor', value: 'typed', selected: null },
      { kind: 'other', widget: null, value: '1', selected: null },
    ]);
  });

  it('numbers what upstream gives no id from 1, and reads a header with no words as none', () => {
    const [normalized] = normalizePages([
      page(choice('choiceOption', null), { ...choice('choiceOption', '1'), id: null }),
    ]);
    expect(normalized.answers.map((answer) => answer.id)).toEqual(['1.1', '1.2']);
    expect(normalized.answers[0].selected).toBeNull();
    expect(normalized.sections[0].answerIds).toEqual(['1.1', '1.2']);
    expect(normalized.header).toBeNull();
    expect(normalized.navigatedAt).toBeNull();
  });
});
