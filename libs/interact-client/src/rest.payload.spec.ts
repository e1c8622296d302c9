import { describe, expect, it } from 'vitest';
import { readRestPayload, restStatusFailure } from './rest.payload.js';
import {
  PayloadError,
  UpstreamFailedError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
} from './upstream.errors.js';

const button = (visible: boolean) => ({
  buttonState: 'enabled',
  buttonVisible: visible,
  buttonLabel: '',
  buttonAction: '',
});
const page = (choice: Record<string, unknown>, timestamp: unknown = 1795379251099) => ({
  timestamp,
  language: 'en-US',
  pageNavigation: {
    navigationTitle: 'Step 1',
    pageReferenceName: 'step-1',
    navigationLeft: button(false),
    navigationRight: button(true),
  },
  pageContent: {
    contentHeader: { id: 1, innerHtml: '<p>Question</p>' },
    contentSections: [
      {
        id: 1,
        sectionLabel: 'Answer',
        sectionGroupType: 'vertical',
        sectionNumberOfColumns: 1,
        sectionChoices: [{ id: 1, choiceLabel: 'Yes', choiceValue: '1', ...choice }],
      },
    ],
  },
});

const read = (body: string) => readRestPayload(new TextEncoder().encode(body));
const failure = (body: string): Error => {
  try {
    read(body);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the payload to be refused');
};

describe('readRestPayload', () => {
  it('reads EMPTY and an empty body as no pages', () => {
    expect(read('EMPTY').pages).toEqual([]);
    expect(read('').pages).toEqual([]);
    expect(read(' \n').pages).toEqual([]);
  });

  it('reads a list of pages, a widget written as null counting as absent', () => {
    const [first] = read(JSON.stringify([page({ choiceOption: { multiSelect: false }, textInput: null })])).pages;
    const [choice] = first.sections[0].choices;
    expect(choice).toMatchObject({ id: '1', label: 'Yes', value: '1', widget: 'choiceOption' });
  });

  it('skips a UTF-8 byte order mark, as recorded Interact answers begin with one', () => {
    const body = JSON.stringify([page({ clickToContinue: { buttonLabel: 'Go' } })]);
    const withMark = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(body)]);
    expect(readRestPayload(withMark).pages[0].title).toBe('Step 1');
    expect(readRestPayload(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('EMPTY')])).pages).toEqual([]);
  });

  it('refuses what is not a JSON list of pages', () => {
    expect(failure('<html/>').message).toBe('upstream payload is not JSON');
    expect(failure('{"pages":[]}').message).toBe('upstream payload is not a list of pages');
    expect(failure('{"pages":[]}')).toBeInstanceOf(PayloadError);
  });

  it('reads a timestamp no date can hold as no time, rather than failing on it', () => {
    const [first] = read(JSON.stringify([page({ clickToContinue: { buttonLabel: 'Go' } }, 8.7e15)])).pages;
    expect(first.timestamp).toBeNull();
    expect(first.title).toBe('Step 1');
  });

  it('refuses a page that is not an object, naming it', () => {
    const error = failure(JSON.stringify([page({ clickToContinue: {} }), 'page two']));
    expect(error).toBeInstanceOf(PayloadError);
    expect(error.message).toBe('upstream payload: pages[1] is not an object');
  });
});

describe('restStatusFailure', () => {
  it('reads the 404 sentence as not found, quoted as in Uniphore’s table or not', () => {
    expect(restStatusFailure(404, 'history for UUID 4c22 was not found')).toBeInstanceOf(UpstreamNotFoundError);
    expect(restStatusFailure(404, '"history for UUID 4c22 was not found"')).toBeInstanceOf(UpstreamNotFoundError);
    expect(restStatusFailure(404, 'history for attribute 112233 was not found\n')).toBeInstanceOf(
      UpstreamNotFoundError,
    );
  });

  it('reads any other 404, a 401 and a 500 as what they are', () => {
    const other = restStatusFailure(404, '<html>Not Found</html>');
    expect(other).not.toBeInstanceOf(UpstreamNotFoundError);
    expect(other).toBeInstanceOf(UpstreamFailedError);
    expect(restStatusFailure(401, '')).toBeInstanceOf(UpstreamUnauthorizedError);
    expect(restStatusFailure(500, 'exception').message).toBe('upstream answered 500');
  });
});
