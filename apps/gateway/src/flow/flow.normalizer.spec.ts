import { describe, expect, it } from 'vitest';
import { htmlToText } from './flow.normalizer.js';

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
