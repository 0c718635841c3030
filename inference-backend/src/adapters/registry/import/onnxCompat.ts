import { onnx } from 'onnx-proto';

/**
 * ONNX's StringNormalizer (skl2onnx puts one before every TF-IDF) lowercases with the locale named
 * by its `locale` attribute, and onnxruntime defaults a missing one to en_US.UTF-8, which a plain
 * Debian or a slim container does not have: the session then fails to load. C.UTF-8 ships with
 * glibc and lowercases the same for the texts the check runs on; the import patches the attribute
 * only when the load failed for this reason, records that it did, and the reference check then
 * proves the predictions unchanged.
 */
export const PORTABLE_LOCALE = 'C.UTF-8';

/** onnxruntime's message when a StringNormalizer's locale is not installed. */
export function isMissingLocaleError(message: string): boolean {
  return /StringNormalizer::Locale/.test(message);
}

/** `bytes` with `locale` set on every StringNormalizer that names none; undefined when there is none. */
export function withStringNormalizerLocale(
  bytes: Uint8Array,
  locale: string = PORTABLE_LOCALE
): Uint8Array | undefined {
  const model = onnx.ModelProto.decode(bytes);
  let patched = 0;
  const visit = (graph: onnx.IGraphProto | null | undefined) => {
    for (const node of graph?.node ?? []) {
      for (const attribute of node.attribute ?? []) {
        if (attribute.g) visit(attribute.g);
        for (const sub of attribute.graphs ?? []) visit(sub);
      }
      if (node.opType !== 'StringNormalizer' || (node.domain ?? '') !== '') continue;
      if ((node.attribute ?? []).some((a) => a.name === 'locale')) continue;
      node.attribute = [
        ...(node.attribute ?? []),
        onnx.AttributeProto.create({
          name: 'locale',
          type: onnx.AttributeProto.AttributeType.STRING,
          s: new TextEncoder().encode(locale),
        }),
      ];
      patched++;
    }
  };
  visit(model.graph);
  return patched > 0 ? onnx.ModelProto.encode(model).finish() : undefined;
}
