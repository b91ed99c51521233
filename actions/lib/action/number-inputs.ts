/**
 * The one grammar for numbers given as text (action inputs, CLI flags): plain decimal digits, and
 * for a fraction a decimal point, nothing else. `Number()` and `z.coerce.number()` also take
 * `0x3`, `1e3`, `0b11`, `Infinity` and surrounding whitespace, so one action accepted what another
 * refused; every action now reads numbers through here.
 */
import { z } from 'zod';

const WHOLE_NUMBER = /^\d+$/;
const DECIMAL_NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

/** `text` as a whole number (digits only), or undefined when it is not one. */
export function parseWholeNumber(text: string): number | undefined {
  return WHOLE_NUMBER.test(text) ? Number(text) : undefined;
}

/** `text` as a non-negative decimal (`0.05`, `1`, `.5`), or undefined when it is not one. */
export function parseDecimal(text: string): number | undefined {
  return DECIMAL_NUMBER.test(text) ? Number(text) : undefined;
}

interface Bounds {
  min: number;
  max: number;
  /** Why the maximum is what it is, shown instead of the unit: "GitHub's job limit". */
  maxWhy?: string;
}

/**
 * A whole number of `unit` within bounds, as an input schema over the raw string (absent means
 * `fallback`). Messages: "must be a whole number of minutes", "must be at least 1 minutes",
 * "must be at most 360 (GitHub's job limit)".
 */
export function wholeNumberInput(unit: string, fallback: number, bounds: Bounds) {
  return z
    .string()
    .default(String(fallback))
    .pipe(z.string().regex(WHOLE_NUMBER, `must be a whole number of ${unit} (decimal digits only)`))
    .transform(Number)
    .pipe(
      z
        .number()
        .min(bounds.min, `must be at least ${bounds.min} ${unit}`)
        .max(bounds.max, `must be at most ${bounds.max}${bounds.maxWhy ? ` (${bounds.maxWhy})` : ` ${unit}`}`),
    );
}

/** A decimal fraction within [min, max] (e.g. an error rate), as an input schema over the raw string. */
export function decimalInput(fallback: number, bounds: { min: number; max: number; belowMin: string; aboveMax: string }) {
  return z
    .string()
    .default(String(fallback))
    .pipe(z.string().regex(DECIMAL_NUMBER, `must be a number between ${bounds.min} and ${bounds.max}, written with digits and a decimal point (e.g. 0.01)`))
    .transform(Number)
    .pipe(z.number().min(bounds.min, bounds.belowMin).max(bounds.max, bounds.aboveMax));
}
