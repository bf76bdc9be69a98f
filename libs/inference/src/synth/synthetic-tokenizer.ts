/**
 * Writes a byte-level BPE tokenizer in the Llama-3 layout: 256 byte tokens, merges, then special tokens.
 * The real-dimension presets fill the vocabulary to exactly 128,256 ids (specials from 128,000 as in Llama 3).
 */

/** GPT-2's reversible byte → printable character map, used by every byte-level BPE. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let c = 0x21; c <= 0x7e; c++) printable.push(c);
  for (let c = 0xa1; c <= 0xac; c++) printable.push(c);
  for (let c = 0xae; c <= 0xff; c++) printable.push(c);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    map[byte] = printable.includes(byte) ? String.fromCharCode(byte) : String.fromCharCode(256 + extra++);
  }
  return map;
}

/** Special tokens in id order after the regular vocabulary (Llama 3 order for the first ten). */
const SPECIALS = [
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|reserved_special_token_0|>',
  '<|reserved_special_token_1|>',
  '<|finetune_right_pad_id|>',
  '<|reserved_special_token_2|>',
  '<|start_header_id|>',
  '<|end_header_id|>',
  '<|eom_id|>',
  '<|eot_id|>',
];
/** Reasoning markers: added tokens, but not special, so they survive decoding like in the real models. */
const THINK_TOKENS = ['<think>', '</think>'];

/** Hand-picked English merges for the tiny tokenizer (each result is a new token). */
const TINY_MERGES = [
  'Ġ t',
  'h e',
  'i n',
  'e r',
  'a n',
  'Ġ a',
  'o n',
  'r e',
  'Ġt he',
  'e n',
  'a t',
  'o r',
  'Ġ s',
  'Ġ w',
  'i s',
  'Ġ c',
  'e s',
  'Ġ o',
  'i t',
  'Ġ f',
  'a l',
  'Ġ p',
  'in g',
  'Ġ b',
  'e d',
  'Ġ m',
  'o u',
  'Ġ i',
  'Ġ 1',
  'Ġ 2',
  '1 2',
  'Ġ +',
  'Ġ =',
  'Ġ d',
  'Ġ h',
  'l l',
  'Ġ is',
  'Ġ x',
];

export interface SyntheticTokenizer {
  tokenizerJson: object;
  tokenizerConfig: object;
  specialTokensMap: object;
  vocabSize: number;
  bosTokenId: number;
  eosTokenIds: number[];
  padTokenId: number;
}

/** The Llama-3-style chat template; it emits the BOS token itself (so prompts are encoded without specials). */
export const LLAMA3_CHAT_TEMPLATE =
  "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

/**
 * @param regularVocab ids before the specials: 0 = just the tiny merges; 128000 = Llama 3 sized.
 * @param totalVocab pad the specials with reserved tokens up to this size (0 = no padding).
 */
export function buildSyntheticTokenizer(regularVocab: number, totalVocab: number, modelMaxLength: number): SyntheticTokenizer {
  const byteChars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  const tokens: string[] = [];
  const add = (token: string): void => {
    if (token in vocab) throw new Error(`duplicate token ${token}`);
    vocab[token] = tokens.length;
    tokens.push(token);
  };
  byteChars.forEach(add);
  const merges: string[] = [];
  const merge = (left: string, right: string): void => {
    if (!(left in vocab) || !(right in vocab)) throw new Error(`merge ${left} ${right} uses an unknown token`);
    merges.push(`${left} ${right}`);
    add(left + right);
  };
  if (regularVocab === 0) {
    for (const pair of TINY_MERGES) {
      const [left, right] = pair.split(' ');
      merge(left, right);
    }
  } else {
    // Deterministic filler merges: every byte pair, then pair + byte, until the vocabulary is full.
    outer: for (const first of [...byteChars]) {
      for (const second of byteChars) {
        if (tokens.length >= regularVocab) break outer;
        merge(first, second);
      }
    }
    const pairs = tokens.slice(256);
    outer2: for (const pair of pairs) {
      for (const byte of byteChars) {
        if (tokens.length >= regularVocab) break outer2;
        if (!(pair + byte in vocab)) merge(pair, byte);
      }
    }
  }
  const firstSpecial = tokens.length;
  const specials = [...SPECIALS];
  const added: object[] = [];
  const addedDecoder: Record<string, object> = {};
  const pushAdded = (content: string, special: boolean): void => {
    const id = firstSpecial + added.length;
    const entry = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special };
    added.push({ id, ...entry });
    addedDecoder[String(id)] = entry;
  };
  specials.forEach((token) => pushAdded(token, true));
  THINK_TOKENS.forEach((token) => pushAdded(token, false));
  let reserved = 3;
  while (totalVocab > 0 && firstSpecial + added.length < totalVocab) pushAdded(`<|reserved_special_token_${reserved++}|>`, true);
  const idOf = (token: string): number => firstSpecial + [...SPECIALS, ...THINK_TOKENS].indexOf(token);
  const bos = idOf('<|begin_of_text|>');

  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [bos], tokens: ['<|begin_of_text|>'] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: true,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: addedDecoder,
    bos_token: '<|begin_of_text|>',
    chat_template: LLAMA3_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: true,
    eos_token: '<|eot_id|>',
    model_input_names: ['input_ids', 'attention_mask'],
    model_max_length: modelMaxLength,
    pad_token: '<|finetune_right_pad_id|>',
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  const specialTokensMap = {
    bos_token: { content: '<|begin_of_text|>', lstrip: false, normalized: false, rstrip: false, single_word: false },
    eos_token: { content: '<|eot_id|>', lstrip: false, normalized: false, rstrip: false, single_word: false },
    pad_token: { content: '<|finetune_right_pad_id|>', lstrip: false, normalized: false, rstrip: false, single_word: false },
  };
  return {
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
    vocabSize: firstSpecial + added.length,
    bosTokenId: bos,
    eosTokenIds: [idOf('<|end_of_text|>'), idOf('<|eom_id|>'), idOf('<|eot_id|>')],
    padTokenId: idOf('<|finetune_right_pad_id|>'),
  };
}
