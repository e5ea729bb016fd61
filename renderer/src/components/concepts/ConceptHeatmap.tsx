/**
 * The class × concept importance as a heat map: a table (rows: classes, columns: the forget class's
 * concepts in ranked order) whose cells are coloured on a diverging scale (orange: the class relies on the
 * concept, grey-blue: negative evidence), each with its value printed and in its title.
 */
import type { ConceptInspection } from '../../../../native/services/api';
import { num } from '../../format';

const HIGH = [194, 65, 12];
const LOW = [71, 85, 105];

/** The colour of `v` on a scale of ±max (white at 0), and a readable text colour on it. */
function colours(v: number, max: number): { background: string; color: string } {
  const t = max > 0 ? Math.min(1, Math.abs(v) / max) : 0;
  const base = v < 0 ? LOW : HIGH;
  const mix = base.map((c) => Math.round(255 + (c - 255) * t));
  return { background: `rgb(${mix.join(', ')})`, color: t > 0.55 ? '#ffffff' : '#0f172a' };
}

export function ConceptHeatmap({
  inspection: ins,
  chosen,
}: { inspection: ConceptInspection; chosen: string[] }) {
  const { concepts, values } = ins.heatmap;
  const max = values.flat().reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return (
    <figure className="heatmap" aria-labelledby="heatmap-caption">
      <figcaption id="heatmap-caption">
        How much each class relies on each concept (importance through the concept bottleneck)
      </figcaption>
      <div className="heatmap-scroll">
        <table aria-label="Importance of each concept for each class">
          <thead>
            <tr>
              <th scope="col">Class</th>
              {concepts.map((name) => (
                <th key={name} scope="col" className={chosen.includes(name) ? 'chosen' : undefined}>
                  {name}
                  {chosen.includes(name) && <span className="sr-only"> (used)</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {values.map((row, c) => {
              const name = ins.classNames[c];
              const forget = c === ins.forgetClass;
              return (
                <tr key={name} className={forget ? 'forget-row' : undefined}>
                  <th scope="row">
                    {name}
                    {forget && ' (to forget)'}
                  </th>
                  {row.map((v, j) => (
                    <td
                      key={concepts[j]}
                      title={`class ${name}, concept ${concepts[j]}: importance ${num(v)}`}
                      style={colours(v, max)}
                    >
                      {num(v, 2)}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="heatmap-legend">
        <span className="swatch swatch-low" aria-hidden="true" /> negative (−{num(max, 2)}){' '}
        <span className="swatch swatch-zero" aria-hidden="true" /> 0{' '}
        <span className="swatch swatch-high" aria-hidden="true" /> relies on it (+{num(max, 2)})
      </p>
    </figure>
  );
}
