import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { InferenceError } from '../inference.errors';
import type { ChatMessage } from '../inference.types';
import type { ModelFolder } from './model-folder';

/** Tokenizer + chat template of one model folder (main thread: prompts are checked before they queue). */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template | undefined;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;

  constructor(private readonly folder: ModelFolder) {
    try {
      this.tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    } catch (error) {
      throw new InferenceError('MODEL_LOAD_FAILED', `${folder.dir}/tokenizer.json could not be loaded: ${(error as Error).message}`);
    }
    this.bosToken = tokenString(folder.tokenizerConfig.bos_token ?? folder.specialTokensMap.bos_token);
    this.eosToken = tokenString(folder.tokenizerConfig.eos_token ?? folder.specialTokensMap.eos_token);
    if (folder.chatTemplate !== undefined) {
      try {
        this.template = new Template(folder.chatTemplate);
      } catch (error) {
        throw new InferenceError('MODEL_LOAD_FAILED', `the chat template of ${folder.dir} does not parse: ${(error as Error).message}`);
      }
    }
  }

  /** The prompt text for `messages` with the generation prompt appended. */
  renderChat(messages: ChatMessage[]): string {
    if (!this.template) return messages.map((message) => message.content).join('\n\n');
    try {
      return this.template.render({
        messages,
        add_generation_prompt: true,
        bos_token: this.bosToken ?? '',
        eos_token: this.eosToken ?? '',
      });
    } catch (error) {
      throw new InferenceError('INVALID_ARGUMENT', `the chat template failed on these messages: ${(error as Error).message}`);
    }
  }

  /** Token ids of the chat prompt; a template that writes the BOS token itself is not given a second one. */
  encodeChat(messages: ChatMessage[]): number[] {
    const text = this.renderChat(messages);
    const templateAddsBos = this.bosToken !== undefined && text.startsWith(this.bosToken);
    return this.encode(text, !templateAddsBos);
  }

  encode(text: string, addSpecialTokens: boolean): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: number[], skipSpecialTokens = true): string {
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  get vocabSize(): number {
    return this.folder.geometry.vocabSize;
  }
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}
