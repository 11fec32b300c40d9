/**
 * Editing one document inside a manifest file without disturbing the others: their text,
 * comments and order are kept byte for byte. Pure: text in, text out.
 */
import { parseAllDocuments, stringify } from "yaml";

function documentTexts(text: string): string[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  // Cut the file at each document's start so every piece keeps its own comments and markers.
  const starts = list.map((d, i) => (i === 0 ? 0 : d.range[0]));
  return starts.map((start, i) => text.slice(start, starts[i + 1] ?? text.length));
}

function withMarker(piece: string, first: boolean): string {
  const body = piece.endsWith("\n") ? piece : `${piece}\n`;
  if (first || /^---(\s|$)/m.test(body.split("\n").find((l) => l.trim() !== "" && !l.startsWith("#")) ?? ""))
    return body;
  return `---\n${body}`;
}

/** renderManifest serialises one manifest as a YAML document. */
export function renderManifest(manifest: unknown): string {
  return stringify(manifest, { lineWidth: 0 });
}

/** renderJsonManifest serialises one manifest as indented JSON (valid YAML, and fast to write and read). */
export function renderJsonManifest(manifest: unknown): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** replaceDocument returns `text` with document `index` replaced by `manifest`. */
export function replaceDocument(text: string, index: number, manifest: unknown): string {
  const pieces = documentTexts(text);
  if (pieces.length <= 1) return renderManifest(manifest);
  return pieces
    .map((p, i) => (i === index ? withMarker(renderManifest(manifest), i === 0) : withMarker(p, i === 0)))
    .join("");
}

/** removeDocuments returns `text` without the documents at `indices`, or undefined when none remain. */
export function removeDocuments(text: string, indices: ReadonlySet<number>): string | undefined {
  const pieces = documentTexts(text).filter((_, i) => !indices.has(i));
  if (pieces.length === 0) return undefined;
  return pieces.map((p, i) => withMarker(p.replace(/^---[ \t]*\n/, ""), i === 0)).join("");
}
