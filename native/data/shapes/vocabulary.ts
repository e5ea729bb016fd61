/**
 * The concept vocabulary of the synthetic `shapes` dataset and its class table. Every image is described by
 * one value per attribute; a concept is one attribute value (`shape:circle`, `colour:red`, ...), except the
 * values meaning "nothing" (plain texture, no part, centred). A class fixes shape, colour, texture and part;
 * the position is a nuisance, random in every class. The ground truth (which concepts are specific to a
 * class, which are shared) is derived from the table, never written by hand.
 */

export const ATTRIBUTES = ['shape', 'colour', 'texture', 'part', 'position'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** The values of each attribute; the first value of texture, part and position is "nothing" (not a concept). */
export const VALUES = {
  shape: ['circle', 'square', 'triangle', 'cross'],
  colour: ['red', 'green', 'blue', 'yellow', 'magenta', 'cyan'],
  texture: ['plain', 'stripes', 'dots', 'checker'],
  part: ['none', 'corner', 'frame', 'bar', 'side'],
  position: ['centre', 'left', 'right'],
} as const satisfies Record<Attribute, readonly string[]>;

/** Attributes whose first value is the absence of a concept. */
const NOTHING_FIRST: ReadonlySet<Attribute> = new Set(['texture', 'part', 'position']);

/** One image's description: a value index per attribute. */
export type ShapeAttributes = Record<Attribute, number>;

export interface ShapesConcept {
  /** `attribute:value`, e.g. `colour:red`. */
  name: string;
  attribute: Attribute;
  value: string;
  /** Index of the value in VALUES[attribute]. */
  valueIndex: number;
}

/** Every concept, in a fixed order: shapes, colours, textures, parts, positions. */
export const SHAPES_CONCEPTS: readonly ShapesConcept[] = ATTRIBUTES.flatMap((attribute) =>
  (VALUES[attribute] as readonly string[])
    .map((value, valueIndex) => ({ name: `${attribute}:${value}`, attribute, value, valueIndex }))
    .filter((c) => !(NOTHING_FIRST.has(attribute) && c.valueIndex === 0)),
);

export interface ShapesClassSpec {
  name: string;
  shape: string;
  colour: string;
  texture: string;
  part: string;
}

/**
 * The class table. Shared concepts: shape:circle (0, 1), shape:square (2, 3), colour:red (0, 2),
 * texture:dots (1, 3). Each class has two concepts of its own; colour:blue and the positions belong to no
 * class (they are random or only in the concept example sets).
 */
export const SHAPES_CLASSES: readonly ShapesClassSpec[] = [
  { name: 'red-checker-circle', shape: 'circle', colour: 'red', texture: 'checker', part: 'corner' },
  { name: 'green-dotted-circle', shape: 'circle', colour: 'green', texture: 'dots', part: 'frame' },
  { name: 'red-striped-square', shape: 'square', colour: 'red', texture: 'stripes', part: 'bar' },
  { name: 'yellow-dotted-square', shape: 'square', colour: 'yellow', texture: 'dots', part: 'side' },
  { name: 'magenta-triangle', shape: 'triangle', colour: 'magenta', texture: 'plain', part: 'none' },
  { name: 'cyan-cross', shape: 'cross', colour: 'cyan', texture: 'plain', part: 'none' },
];

function valueIndex(attribute: Attribute, value: string): number {
  const i = (VALUES[attribute] as readonly string[]).indexOf(value);
  if (i < 0) throw new RangeError(`unknown ${attribute} '${value}'`);
  return i;
}

/** The attribute values a class fixes (position excluded). */
export function classAttributes(spec: ShapesClassSpec): Omit<ShapeAttributes, 'position'> {
  return {
    shape: valueIndex('shape', spec.shape),
    colour: valueIndex('colour', spec.colour),
    texture: valueIndex('texture', spec.texture),
    part: valueIndex('part', spec.part),
  };
}

/** The concepts an image with these attributes shows (indices into SHAPES_CONCEPTS). */
export function conceptsOf(attrs: ShapeAttributes): number[] {
  const out: number[] = [];
  SHAPES_CONCEPTS.forEach((c, i) => {
    if (attrs[c.attribute] === c.valueIndex) out.push(i);
  });
  return out;
}

/** The concepts every image of a class shows (its defining concepts; position excluded). */
export function classConcepts(spec: ShapesClassSpec): string[] {
  const a = classAttributes(spec);
  return SHAPES_CONCEPTS.filter((c) => c.attribute !== 'position' && a[c.attribute] === c.valueIndex).map(
    (c) => c.name,
  );
}

export interface ShapesGroundTruth {
  /** Per class: the concepts all its images show. */
  classConcepts: string[][];
  /** Per class: the concepts its images show and no other class's images do. */
  specific: string[][];
  /** Concepts defining two or more classes. */
  shared: string[];
}

/** Which concepts are specific to each class and which are shared, for the given classes. */
export function groundTruth(classes: readonly ShapesClassSpec[]): ShapesGroundTruth {
  const per = classes.map(classConcepts);
  const count = new Map<string, number>();
  for (const list of per) for (const c of list) count.set(c, (count.get(c) ?? 0) + 1);
  return {
    classConcepts: per,
    specific: per.map((list) => list.filter((c) => count.get(c) === 1)),
    shared: SHAPES_CONCEPTS.map((c) => c.name).filter((c) => (count.get(c) ?? 0) >= 2),
  };
}
