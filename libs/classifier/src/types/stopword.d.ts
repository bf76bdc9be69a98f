// The stopword package (MIT) ships no types: the lists the classifier reads, as arrays of words.
declare module 'stopword' {
  export const eng: readonly string[];
  export const deu: readonly string[];
  export const fra: readonly string[];
  export const spa: readonly string[];
  export const por: readonly string[];
  export const rus: readonly string[];
  export const hin: readonly string[];
}
