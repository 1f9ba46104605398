const NUMBER_CELL = /^([-+\u2212]?)(\$?)(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?(\s?%)?$/;

/** Fast path of {@link formatNumberCell} for unsigned `123` / `123.4500` cells; undefined for anything else. */
function formatPlainDecimal(cell: string): string | undefined {
  const length = cell.length;
  if (length === 0) return undefined;
  let point = -1;
  for (let index = 0; index < length; index += 1) {
    const code = cell.charCodeAt(index);
    if (code === 46 /* . */) {
      if (point >= 0 || index === 0 || index === length - 1) return undefined;
      point = index;
    } else if (code < 48 || code > 57) {
      return undefined;
    }
  }
  let end = length;
  if (point >= 0) {
    while (cell.charCodeAt(end - 1) === 48) end -= 1;
    if (end === point + 1) end = point;
  }
  let start = 0;
  const integerEnd = point >= 0 ? point : length;
  while (start < integerEnd - 1 && cell.charCodeAt(start) === 48) start += 1;
  return start === 0 && end === length ? cell : cell.slice(start, end);
}

/**
 * Writes a numeric table cell compactly without changing its value: `1469.250000` -> `1469.25`,
 * `1,009,000` -> `1009000`, `$1,234.50` -> `$1234.5`, `5.00 %` -> `5%`, `+3.20%` -> `+3.2%`. Other cells are
 * returned unchanged.
 */
export function formatNumberCell(cell: string): string {
  const plain = formatPlainDecimal(cell);
  if (plain !== undefined) return plain;
  const match = NUMBER_CELL.exec(cell);
  if (match === null) return cell;
  const [, sign = '', currency = '', integerDigits, fractionDigits, percent] = match;
  if (integerDigits === undefined && fractionDigits === undefined) return cell;
  const integerPart = (integerDigits ?? '0').replace(/,/g, '').replace(/^0+(?=\d)/, '');
  const fractionPart = (fractionDigits ?? '').replace(/0+$/, '');
  const isZero = /^0*$/.test(integerPart) && fractionPart === '';
  const normalizedSign = sign === '\u2212' ? '-' : sign;
  return `${isZero ? '' : normalizedSign}${currency}${integerPart}${fractionPart ? `.${fractionPart}` : ''}${percent ? '%' : ''}`;
}
