// Validates Kubernetes objects against the Kubernetes API's schema, without a cluster, in two passes:
// 1. the validators kubernetes-models generates from the API's OpenAPI document (types, formats,
//    required fields), one per apiVersion/kind; an apiVersion/kind the API does not have is an error;
// 2. the TypeScript types generated from the same document, each object type-checked as an object
//    literal of its kind: an unknown field (a typo such as `readinesProbe`) is an error, as it is for
//    an API server's strict field validation (the OpenAPI schema itself does not forbid extra fields).
// Reads a JSON array of objects on stdin; writes a JSON array of {kind, name, error} (empty when
// every object is valid). A separate ESM process because kubernetes-models is ESM only (Jest runs
// the tests as CommonJS).
import path from 'node:path';
import process from 'node:process';
import ts from 'typescript';

const idOf = (object) => ({ kind: String(object?.kind), name: String(object?.metadata?.name) });

/** The model class of the object's apiVersion/kind, or undefined when the API has no such kind. */
async function modelOf({ apiVersion, kind } = {}) {
  try {
    return (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    return undefined;
  }
}

function schemaErrors(object, Model) {
  if (!Model) return [{ ...idOf(object), error: `no ${object?.apiVersion} ${object?.kind} in the Kubernetes API` }];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [{ ...idOf(object), error: error instanceof Error ? error.message : String(error) }];
  }
}

/** Type-checks every object of a known kind as a literal of its generated interface; one line per object. */
function fieldErrors(objects) {
  const file = path.join(process.cwd(), '__k8s_objects.ts');
  const lines = objects.map(
    (object, i) => `import type { I${object.kind} as T${i} } from 'kubernetes-models/${object.apiVersion}/${object.kind}';`,
  );
  const first = lines.length;
  lines.push(...objects.map((object, i) => `export const o${i}: T${i} = ${JSON.stringify(object)};`));
  const source = lines.join('\n');
  const host = ts.createCompilerHost({});
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const line =
      diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line : -1;
    const object = objects[line - first];
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    return object ? { ...idOf(object), error: message } : { kind: 'unknown', name: 'unknown', error: message };
  });
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const objects = JSON.parse(input);
const models = await Promise.all(objects.map(modelOf));
const errors = objects.flatMap((object, i) => schemaErrors(object, models[i]));
const known = objects.filter((_, i) => models[i]);
// An object already wrong by the schema is reported once.
const wrong = new Set(errors.map((e) => `${e.kind}/${e.name}`));
errors.push(...fieldErrors(known).filter((e) => !wrong.has(`${e.kind}/${e.name}`)));
process.stdout.write(`${JSON.stringify(errors)}\n`);
