import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lostFacts } from '../fact-check';
import { compressText } from './compress-section';
import { compressItemList, compressItems, dedupeItemTexts } from './news-items';
import { NEWS, NEWS_TEXT, renderNewsItem } from './test-fixtures';

describe('news and social items', () => {
  test('drops syndicated copies and keeps only the new facts of a repeat', () => {
    const compressed = compressText(NEWS_TEXT, 'news');
    const headlines = compressed.split('\n\n').map((item) => item.split('\n')[0] ?? '');
    assert.equal(headlines.filter((line) => line.includes('Tesla to furlough')).length, 1);
    assert.equal(headlines.filter((line) => line.includes('IMF says')).length, 1);
    const retail = compressed.split('\n\n').filter((item) => item.includes('Retail sales plunge'));
    assert.equal(retail.length, 2, 'the repeat adds industrial production, so it stays');
    assert.equal(retail[1]?.split('\n')[1], 'Industrial production dropped 5.4%, also the most since 1946.');
  });

  test('trims a long body to its lead and its fact-bearing sentences, and keeps short bodies whole', () => {
    const compressed = compressText(NEWS_TEXT, 'news');
    const first = compressed.split('\n\n')[0] ?? '';
    assert.ok(first.includes('The rally was broad, with all 11 major sectors ending higher.'), first);
    assert.ok(
      first.includes('Traders said') === false && !first.includes('Energy and financial shares'),
      first,
    );
    assert.ok(first.startsWith('2020-04-17 | Reuters | Wall Street rallies'), first);
    assert.ok(!compressed.includes('Read more'));
    const short = '2020-04-14 | Reuters | Oil steadies\nTraders were cautious. Prices barely moved.';
    assert.equal(compressText(short, 'news'), short);
  });

  test('de-duplicates across sections, one item per section, without losing a fact', () => {
    const texts = NEWS.map(renderNewsItem);
    const deduplicated = dedupeItemTexts(texts, 'news');
    assert.equal(deduplicated.length, texts.length);
    assert.equal(deduplicated[1], '', 'the syndicated copy of item 1 is empty');
    assert.equal(deduplicated[16], '', 'the repeated Tesla item is empty');
    assert.deepEqual(lostFacts(texts.join('\n\n'), deduplicated.join('\n\n')), []);
  });

  test('keeps both stories when headlines differ by one word, dropping only sentences repeated verbatim', () => {
    const items = [
      '2020-04-16 | Newswire | Dow rises on stimulus hopes as oil rebounds\nThe Dow gained 1.5%. Investors cheered the plan.',
      '2020-04-16 | Newswire | Dow falls on stimulus hopes as oil rebounds\nThe Dow slid 1.5%. Investors cheered the plan.',
    ];
    assert.deepEqual(compressItemList(items, { longBodyWords: 60 }), [
      items[0],
      '2020-04-16 | Newswire | Dow falls on stimulus hopes as oil rebounds\nThe Dow slid 1.5%.',
    ]);
  });

  test('drops reposted social posts whose facts are already there', () => {
    const posts = [
      '2020-04-17 | StockTwits | @trader1: $SPY breaking out above 285, loading calls for next week',
      '2020-04-17 | StockTwits | @trader2: $SPY breaking out above 285, loading calls for next week',
      '2020-04-17 | Reddit | u/value: Fed backstop or not, earnings will be ugly; staying in cash',
    ];
    const compressed = compressItems(posts.join('\n\n'), { longBodyWords: 80 });
    assert.deepEqual(compressed.split('\n\n'), [posts[0], posts[2]]);
  });
});
