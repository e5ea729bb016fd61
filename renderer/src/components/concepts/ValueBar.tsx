/** A small horizontal bar for a value in a table column (decorative: the number is printed next to it). */

const WIDTH = 96;
const HEIGHT = 10;

/**
 * The bar of `value` on a scale of ±`max`; when the column has negative values (`diverging`) zero is in the
 * middle and negative values go left.
 */
export function ValueBar(props: { value: number; max: number; diverging: boolean }) {
  const { value, max, diverging } = props;
  const scale = max > 0 ? Math.min(1, Math.abs(value) / max) : 0;
  const zero = diverging ? WIDTH / 2 : 0;
  const length = (diverging ? WIDTH / 2 : WIDTH) * scale;
  const x = value < 0 ? zero - length : zero;
  return (
    <svg width={WIDTH} height={HEIGHT} aria-hidden="true" focusable="false" className="value-bar">
      <rect x={0} y={0} width={WIDTH} height={HEIGHT} fill="#f1f5f9" />
      <rect x={x} y={1} width={length} height={HEIGHT - 2} fill={value < 0 ? '#64748b' : '#c2410c'} />
      {diverging && <line x1={zero} x2={zero} y1={0} y2={HEIGHT} stroke="#0f172a" strokeWidth={1} />}
    </svg>
  );
}

/** The largest absolute value of a column, and whether it has negative values. */
export function columnScale(values: number[]): { max: number; diverging: boolean } {
  return {
    max: values.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    diverging: values.some((v) => v < 0),
  };
}
