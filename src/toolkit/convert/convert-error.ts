/** A checkpoint that `glimpse convert` cannot turn into a package, with what exactly is missing or unsupported. */
export class ConvertError extends Error {
  override readonly name = 'ConvertError';
}
