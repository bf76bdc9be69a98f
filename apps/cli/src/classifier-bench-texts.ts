/** Deterministic bench texts of 20..2,000 characters in every domain's phrasing. */
export function benchTexts(count: number): string[] {
  const parts = [
    'Solve for x: $3x^2 - 5x + 2 = 0$ and give both roots as fractions.',
    'hey, can you help me fix my python script? it throws KeyError when the dict is empty:\n    for k in d: print(d[k])',
    'Which gas do plants absorb from the air during photosynthesis?\nA. oxygen\nB. carbon dioxide\nC. nitrogen\nD. helium',
    'Who wrote the novel Pride and Prejudice, and in which year was it first published?',
    'SELECT name, COUNT(*) FROM orders o JOIN users u ON o.user_id = u.id GROUP BY name HAVING COUNT(*) > 3;',
    'A 2 kg block slides down a frictionless incline of 30 degrees. What is its acceleration in m/s^2?',
    'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
    'what is the best way to spend a rainy weekend with my kids?',
  ];
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = 20 + ((i * 7919) % 1981);
    let text = '';
    for (let k = i; text.length < target; k++) text += `${parts[k % parts.length]} `;
    texts.push(text.slice(0, target));
  }
  return texts;
}
