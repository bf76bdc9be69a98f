import { HubErrorCode } from './hub.errors';
import { resolveRepoId } from './known-models';
import { dtypeOfOnnxPath, onnxPathOfDtype, selectWorkerFiles, type HubTreeEntry } from './model-files';

const file = (path: string, size = 10): HubTreeEntry => ({ type: 'file', path, size, oid: '0'.repeat(40) });
const listing = [
  { type: 'directory', path: 'onnx', size: 0, oid: '' } as HubTreeEntry,
  ...['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'README.md'].map(
    (path) => file(path),
  ),
  ...['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model_q4.onnx', 'onnx/model_q4f16.onnx', 'onnx/model_quantized.onnx'].map((path) =>
    file(path),
  ),
  ...['onnx/model.onnx_data_10', 'onnx/model.onnx_data_2', 'onnx/model.onnx_data_1'].map((path) => file(path)),
];

describe('selectWorkerFiles', () => {
  it('takes the configs, the tokenizer and one dtype without the external data of another', () => {
    expect(selectWorkerFiles(listing, 'q4').map((entry) => entry.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'special_tokens_map.json',
      'onnx/model_q4.onnx',
    ]);
  });

  it('takes every external data chunk of the fp32 graph in numeric order before the graph, and the chat template when present', () => {
    const paths = selectWorkerFiles([...listing, file('chat_template.jinja')], 'fp32').map((entry) => entry.path);
    expect(paths.slice(5)).toEqual([
      'chat_template.jinja',
      'onnx/model.onnx_data',
      'onnx/model.onnx_data_1',
      'onnx/model.onnx_data_2',
      'onnx/model.onnx_data_10',
      'onnx/model.onnx',
    ]);
  });

  it('names the dtypes on offer when the requested one is absent', () => {
    expect(() => selectWorkerFiles(listing, 'fp16')).toThrow(
      expect.objectContaining({ code: HubErrorCode.INVALID_ARGUMENT, message: expect.stringContaining('available: fp32, q4, q4f16, q8') }),
    );
    expect(() => selectWorkerFiles(listing, 'q3')).toThrow(/unknown dtype/);
  });

  it('takes the optional files only when present, and refuses a repo without a tokenizer', () => {
    const minimal = listing.filter((entry) => !['generation_config.json', 'special_tokens_map.json'].includes(entry.path));
    expect(selectWorkerFiles(minimal, 'q4').map((entry) => entry.path)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model_q4.onnx',
    ]);
    expect(() =>
      selectWorkerFiles(
        listing.filter((entry) => entry.path !== 'tokenizer.json'),
        'q4',
      ),
    ).toThrow(expect.objectContaining({ code: HubErrorCode.NOT_FOUND, message: expect.stringContaining('tokenizer.json') }));
  });

  it('maps dtypes and file names both ways', () => {
    expect(
      ['fp32', 'fp16', 'q4', 'q4f16', 'q8', 'int8', 'uint8', 'bnb4'].map((dtype) => dtypeOfOnnxPath(onnxPathOfDtype(dtype) as string)),
    ).toEqual(['fp32', 'fp16', 'q4', 'q4f16', 'q8', 'int8', 'uint8', 'bnb4']);
    expect(dtypeOfOnnxPath('onnx/model_q4.onnx_data')).toBeUndefined();
    expect(dtypeOfOnnxPath('onnx/decoder_model_q4.onnx')).toBeUndefined();
  });
});

describe('resolveRepoId', () => {
  it('maps the aliases to the onnx-community exports and passes Hub ids through', () => {
    expect(resolveRepoId('mobilellm-r1-950m')).toBe('onnx-community/MobileLLM-R1-950M-ONNX');
    expect(resolveRepoId('MobileLLM-R1-360M')).toBe('onnx-community/MobileLLM-R1-360M-ONNX');
    expect(resolveRepoId('onnx-community/Qwen3-0.6B-ONNX')).toBe('onnx-community/Qwen3-0.6B-ONNX');
  });

  it('rejects what is not a Hub id', () => {
    for (const bad of ['qwen', 'a/b/c', '../etc', 'org/..', '']) {
      expect(() => resolveRepoId(bad)).toThrow(expect.objectContaining({ code: HubErrorCode.INVALID_ARGUMENT }));
    }
  });
});
