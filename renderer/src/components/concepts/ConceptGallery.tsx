/** What each concept looks like: its maps over the class's images where it is strongest, and crops there. */
import type { ConceptInspection } from '../../../../native/services/api';

export function ConceptGallery({ inspection: ins }: { inspection: ConceptInspection }) {
  const className = ins.classNames[ins.forgetClass];
  const how =
    ins.bank.mapsBy === 'nmf'
      ? 'the concept’s NMF map'
      : ins.bank.mapsBy === 'integrated-gradients'
        ? 'Integrated Gradients of the concept’s score'
        : 'NMF maps or Integrated Gradients';
  return (
    <div>
      <p className="hint">
        For each concept, the training images of class {className} where it is strongest, with where it lies
        in red ({how}), and a crop around its strongest place.
      </p>
      <ul
        className="concept-gallery"
        aria-label={`Where each concept appears in images of class ${className}`}
      >
        {ins.concepts.map((c) => (
          <li key={c.name}>
            <figure>
              <figcaption>
                {c.name} <span className="hint">rank {c.rank}</span>
              </figcaption>
              <div className="gallery-row">
                {c.examples.maps.map((src, i) => (
                  <img
                    // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list: the position is the image's identity
                    key={i}
                    src={src}
                    width={56}
                    height={56}
                    alt={`Concept ${c.name}: where it lies in example ${i + 1} of class ${className}`}
                  />
                ))}
              </div>
              <div className="gallery-row">
                {c.examples.patches.map((src, i) => (
                  <img
                    // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list: the position is the image's identity
                    key={i}
                    src={src}
                    width={36}
                    height={36}
                    alt={`Concept ${c.name}: crop ${i + 1} around its strongest place`}
                  />
                ))}
              </div>
            </figure>
          </li>
        ))}
      </ul>
    </div>
  );
}
