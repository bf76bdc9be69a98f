import { languageGroupOf } from './language-groups';

describe('languageGroupOf', () => {
  it.each([
    ['A farmer has 12 cows and buys 7 more. How many cows does he have now?', 'eng'],
    ['Ein Bauer hat 12 Kühe und kauft noch 7 dazu. Wie viele Kühe hat er jetzt?', 'deu'],
    ['Un fermier a 12 vaches et en achète 7 de plus. Combien de vaches a-t-il maintenant ?', 'fra'],
    ['Un granjero tiene 12 vacas y compra 7 más. ¿Cuántas vacas tiene ahora?', 'spa'],
    ['Um fazendeiro tem 12 vacas e compra mais 7. Quantas vacas ele tem agora?', 'por'],
    ['У фермера 12 коров, и он покупает ещё 7. Сколько коров у него теперь?', 'rus'],
    ['एक किसान के पास 12 गायें हैं और वह 7 और खरीदता है। अब उसके पास कितनी गायें हैं?', 'hi'],
    ['一个农民有12头牛，又买了7头。他现在有多少头牛？', 'zh'],
    ['農家は牛を12頭飼っていて、さらに7頭買いました。今、牛は何頭いますか。', 'ja'],
  ])('%s → %s', (text, group) => {
    expect(languageGroupOf(text)).toBe(group);
  });

  it('reads code with one-letter names as English, not as the language whose list has every letter', () => {
    expect(languageGroupOf('def f(a, b, c):\n    for d in a, b, c:\n        e = d\n    return e')).toBe('eng');
  });

  it('falls back to English when no function word votes', () => {
    expect(languageGroupOf('SELECT name FROM users WHERE id = 7')).toBe('eng');
    expect(languageGroupOf('')).toBe('eng');
  });
});
