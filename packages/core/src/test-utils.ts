/**
 * Helpers shared by core's tests (not part of the package: excluded from the build).
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const manifestPath = createRequire(import.meta.url).resolve('../../models/d4rt-tiny/manifest.json');

/** The shipped d4rt-tiny manifest as JSON (a fresh copy each call). */
export function shippedManifestJson(): Record<string, any> {
  return JSON.parse(readFileSync(manifestPath, 'utf8'));
}

/**
 * d4rt-tiny's manifest without its optional tracker graph (files, hash, section, the encoder's
 * `layers` output): the plain encoder + decoder model tests grow into other layouts.
 */
export function plainManifestJson(): Record<string, any> {
  const m = shippedManifestJson();
  delete m.files.tracker;
  delete m.hashes?.tracker;
  delete m.tracker;
  delete m.encoder.outputs.layers;
  return m;
}
