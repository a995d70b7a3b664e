/** Hashtags and mention candidates: pure functions, no servers. */
import { extractHashtags, extractMentionCandidates } from '../src/text';

describe('hashtags', () => {
  test.each([
    ['#Sunset #sunset #SUNSET', ['sunset']],
    ['#été #Été #日本 #мир #حب #हिन्दी', ['été', '日本', 'мир', 'حب', 'हिन्दी']],
    ['#snake_case #v2 #2024', ['snake_case', 'v2', '2024']],
    ['mail#notatag &#123; ##double #end.', ['double', 'end']],
    ['#a-b #c!d', ['a', 'c']],
    ['no tags here', []],
  ])('%s', (text, tags) => {
    expect(extractHashtags(text)).toEqual(tags);
  });

  test('composed and decomposed accents are one tag', () => {
    expect(extractHashtags('#cafe\u0301 #caf\u00e9')).toEqual(['café']);
  });

  test('a tag longer than 100 characters is not a tag', () => {
    expect(extractHashtags(`#${'a'.repeat(101)} #ok`)).toEqual(['ok']);
  });
});

describe('mention candidates', () => {
  test.each([
    ['hi @Alice and @bob_2', [['alice'], ['bob_2']]],
    ['thanks @alice.', [['alice.', 'alice']]],
    ['@al.ice is here', [['al.ice']]],
    ['mail me at bob@example.com', []],
    ['@ab too short, @alice @ALICE twice', [['alice']]],
    [`@${'x'.repeat(31)} too long`, []],
  ])('%s', (text, candidates) => {
    expect(extractMentionCandidates(text)).toEqual(candidates);
  });
});
