import { z } from 'zod';
import { generationOptionFields } from '@slm/contracts';
import { echoInput } from '@slm/platform';

const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).transform((parts, ctx) => {
    const bad = parts.find((p) => p.type !== 'text');
    if (bad) ctx.addIssue({ code: 'custom', message: unsupportedPartMessage(bad.type) });
    return parts.map((p) => p.text ?? '').join('');
  }),
]);

function unsupportedPartMessage(type: string): string {
  const quoted = echoInput(type);
  if (/image/i.test(type))
    return `image content parts (type ${quoted}) are not supported: the models read text only; send the content as text`;
  return `content part type ${quoted} is not supported: the models read text only; send text parts`;
}

/**
 * POST /v1/chat/completions as OpenAI defines it; fields the router does not use are accepted
 * and ignored (clients send many), the ones it uses are checked.
 */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: contentSchema.nullable().optional(),
      }),
    )
    .min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  // The same bounds as every other surface (one schema), in OpenAI's spelling.
  max_tokens: generationOptionFields.maxNewTokens.nullable().optional(),
  max_completion_tokens: generationOptionFields.maxNewTokens.nullable().optional(),
  temperature: generationOptionFields.temperature.nullable().optional(),
  top_p: generationOptionFields.topP.nullable().optional(),
  seed: generationOptionFields.seed.nullable().optional(),
  stop: z.union([generationOptionFields.stop.element, generationOptionFields.stop]).nullable().optional(),
  // n samples vote on one answer (self-consistency): one choice comes back, the voted one, and the
  // samples' answers are in the vendor field `verification` (see the README).
  n: generationOptionFields.samples.nullable().optional(),
  // Vendor extension: verify by the domain's method (vote, or run the code against its examples).
  verify: generationOptionFields.verify.nullable().optional(),
  user: z.string().optional(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
