/**
 * The forget class's concepts ranked by importance: specificity, the retained classes sharing a concept,
 * the CAV's held-out accuracy, a crop of where it appears, and a checkbox to use it or not.
 */
import type { ConceptInspection } from '../../../../native/services/api';
import type { ConceptChoice } from '../../conceptChoice';
import { num, pct } from '../../format';
import { ValueBar, columnScale } from './ValueBar';

export function ConceptTable(props: {
  inspection: ConceptInspection;
  choice: ConceptChoice;
  onToggle: (name: string, on: boolean) => void;
}) {
  const { inspection: ins, choice } = props;
  const className = ins.classNames[ins.forgetClass];
  const importance = columnScale(ins.concepts.map((c) => c.importance));
  const specificity = columnScale(ins.concepts.map((c) => c.specificity));
  return (
    <table className="concept-table">
      <caption>Concepts of class {className}, most important first</caption>
      <thead>
        <tr>
          <th scope="col">Use</th>
          <th scope="col">Rank</th>
          <th scope="col">Concept</th>
          <th scope="col">Importance for class {className}</th>
          <th scope="col">Specificity</th>
          <th scope="col">Shared with</th>
          <th scope="col">Detector accuracy</th>
        </tr>
      </thead>
      <tbody>
        {ins.concepts.map((c) => {
          const used = choice.chosen.includes(c.name);
          return (
            <tr key={c.name} className={`${used ? 'chosen' : ''}${c.shared ? ' shared' : ''}`}>
              <td>
                <input
                  type="checkbox"
                  checked={used}
                  aria-label={`Use concept ${c.name}`}
                  onChange={(e) => props.onToggle(c.name, e.target.checked)}
                />
              </td>
              <td>{c.rank}</td>
              <th scope="row">
                <span className="concept-name">
                  {c.examples.patches[0] && <img src={c.examples.patches[0]} alt="" width={24} height={24} />}
                  {c.name}
                </span>
              </th>
              <td className="num-cell">
                <ValueBar value={c.importance} {...importance} /> {num(c.importance)}
              </td>
              <td className="num-cell">
                <ValueBar value={c.specificity} {...specificity} /> {num(c.specificity)}
              </td>
              <td>
                {c.shared ? (
                  <>
                    <span className="tag tag-shared">shared</span>{' '}
                    {c.sharedWith.map((s) => `class ${s.name}`).join(', ')}
                  </>
                ) : (
                  '—'
                )}
              </td>
              <td>{pct(c.heldoutAccuracy, 0)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
