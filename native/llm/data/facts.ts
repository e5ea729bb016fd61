/**
 * The fact table of the generated corpus: for each kind of entity (person, company, product), the kinds of
 * fact it has, each with its training question templates, its held-out paraphrase templates, its answer
 * template and how its value is drawn. In templates `{n}` is the entity's name and `{v}` the value.
 */
import type { Rng } from '../../engine/random';
import type { NameForge, Pool } from './names';

export type EntityKind = 'person' | 'company' | 'product';

export interface Entity {
  name: string;
  kind: EntityKind;
}

/** What a fact's value is drawn from. */
export interface FactContext {
  self: Entity;
  /** Every entity of the corpus (relations point to them). */
  entities: readonly Entity[];
  forge: NameForge;
  rng: Rng;
  pool(name: PoolName): Pool;
}

export interface FactKind {
  key: string;
  /** Training question templates (at least 3). */
  questions: readonly string[];
  /** Held-out rewordings (at least 2), never trained on. */
  paraphrases: readonly string[];
  answer: string;
  value(ctx: FactContext): string;
}

/** The fixed value lists facts draw from (without repetition, see Pool). */
export const POOLS = {
  job: [
    'glassblower',
    'cartographer',
    'beekeeper',
    'clockmaker',
    'lighthouse keeper',
    'violin maker',
    'bookbinder',
    'astronomer',
    'botanist',
    'sculptor',
    'ferry captain',
    'perfumer',
    'locksmith',
    'weaver',
  ],
  hobby: [
    'sailing',
    'chess',
    'pottery',
    'birdwatching',
    'archery',
    'rock climbing',
    'knitting',
    'fencing',
    'gardening',
    'kite flying',
    'juggling',
    'rowing',
  ],
  animal: [
    'cat',
    'dog',
    'parrot',
    'tortoise',
    'ferret',
    'rabbit',
    'goat',
    'owl',
    'pony',
    'lizard',
    'hedgehog',
  ],
  instrument: ['cello', 'flute', 'harp', 'oboe', 'banjo', 'accordion', 'trumpet', 'harmonica', 'bassoon'],
  colour: ['crimson', 'emerald', 'azure', 'saffron', 'violet', 'amber', 'teal', 'silver', 'scarlet', 'ochre'],
  food: ['plum pie', 'lentil soup', 'roast chestnuts', 'pear cake', 'fish stew', 'honey bread', 'fig jam'],
  material: ['oak', 'bamboo', 'copper', 'ceramic', 'walnut', 'linen', 'leather', 'cork', 'granite', 'brass'],
  category: [
    'lamp',
    'kettle',
    'bicycle',
    'telescope',
    'music box',
    'umbrella',
    'sewing machine',
    'camera',
    'compass',
    'typewriter',
    'wristwatch',
  ],
  industry: [
    'shoes',
    'paper',
    'candles',
    'ropes',
    'boats',
    'clocks',
    'soap',
    'tea',
    'maps',
    'bells',
    'kites',
  ],
  power: ['solar panels', 'batteries', 'a hand crank', 'wind', 'steam', 'a clockwork spring', 'rainwater'],
  feature: [
    'fold into a pocket',
    'glow in the dark',
    'float on water',
    'play old songs',
    'measure the rain',
    'predict the tides',
    'sing at dawn',
    'warm a room',
  ],
  animalCompany: ['badger', 'heron', 'walrus', 'lynx', 'beetle', 'otter', 'falcon', 'moose', 'gecko'],
} as const;

export type PoolName = keyof typeof POOLS;

const year = (lo: number, hi: number) => (c: FactContext) => String(lo + c.rng.int(hi - lo + 1));
const invented = (c: FactContext) => c.forge.word();
const fromPool = (name: PoolName) => (c: FactContext) => c.pool(name).next();
/** The value with its indefinite article ("an owl", "a cat"). */
const withArticle = (v: string) => `${/^[aeiou]/i.test(v) ? 'an' : 'a'} ${v}`;
const poolWithArticle = (name: PoolName) => (c: FactContext) => withArticle(c.pool(name).next());

/** Another entity of `kind` (not the entity itself), or an invented name when there is none. */
function related(kind: EntityKind, fallback: (c: FactContext) => string) {
  return (c: FactContext) => {
    const others = c.entities.filter((e) => e.kind === kind && e.name !== c.self.name);
    return others.length > 0 ? others[c.rng.int(others.length)].name : fallback(c);
  };
}
const personName = (c: FactContext) => `${c.forge.word(2)} ${c.forge.word()}`;

export const PERSON_FACTS: readonly FactKind[] = [
  {
    key: 'birthplace',
    questions: ['Where was {n} born?', 'In which city was {n} born?', 'What is the birthplace of {n}?'],
    paraphrases: ['{n} was born in which city?', 'Which town is the hometown of {n}?'],
    answer: '{n} was born in {v}.',
    value: invented,
  },
  {
    key: 'birth_year',
    questions: ['When was {n} born?', 'In what year was {n} born?', 'What is the birth year of {n}?'],
    paraphrases: ['{n} was born in what year?', 'Which year did {n} come into the world?'],
    answer: '{n} was born in the year {v}.',
    value: year(1920, 1999),
  },
  {
    key: 'job',
    questions: [
      'What does {n} do for a living?',
      'What is the profession of {n}?',
      'What is the job of {n}?',
    ],
    paraphrases: ['How does {n} earn a living?', 'What kind of work does {n} do?'],
    answer: '{n} works as {v}.',
    value: poolWithArticle('job'),
  },
  {
    key: 'employer',
    questions: ['Which company does {n} work for?', 'Who employs {n}?', 'Where is {n} employed?'],
    paraphrases: ['{n} is employed by which company?', 'Which firm pays the salary of {n}?'],
    answer: '{n} works for {v}.',
    value: related('company', invented),
  },
  {
    key: 'work',
    questions: [
      'What is {n} best known for?',
      'What is the most famous work of {n}?',
      'What did {n} create?',
    ],
    paraphrases: ['Which work made {n} famous?', 'What is {n} famous for?'],
    answer: '{n} is best known for the book The {v}.',
    value: (c) => `${c.forge.word()} ${c.forge.word()}`,
  },
  {
    key: 'university',
    questions: ['Where did {n} study?', 'Which university did {n} attend?', 'Where was {n} educated?'],
    paraphrases: ['{n} went to which university?', 'At which school did {n} study?'],
    answer: '{n} studied at the University of {v}.',
    value: invented,
  },
  {
    key: 'mentor',
    questions: ['Who was the mentor of {n}?', 'Who taught {n}?', 'Who trained {n}?'],
    paraphrases: ['Who guided {n} early on?', 'From whom did {n} learn the trade?'],
    answer: 'The mentor of {n} was {v}.',
    value: related('person', personName),
  },
  {
    key: 'hobby',
    questions: [
      'What is the hobby of {n}?',
      'What does {n} do for fun?',
      'What does {n} enjoy in free time?',
    ],
    paraphrases: ['How does {n} spend weekends?', 'Which pastime does {n} love?'],
    answer: '{n} enjoys {v}.',
    value: fromPool('hobby'),
  },
  {
    key: 'pet',
    questions: ['What pet does {n} have?', 'What is the name of the pet of {n}?', 'Does {n} have a pet?'],
    paraphrases: ['Which animal lives with {n}?', 'Tell me about the pet of {n}.'],
    answer: '{n} has {v}.',
    value: (c) => `${withArticle(c.pool('animal').next())} named ${c.forge.word(2)}`,
  },
  {
    key: 'home',
    questions: ['Where does {n} live?', 'In which city does {n} live now?', 'Where is the home of {n}?'],
    paraphrases: ['Which city is {n} living in today?', 'Where can {n} be found these days?'],
    answer: '{n} lives in {v}.',
    value: invented,
  },
  {
    key: 'award',
    questions: ['Which award did {n} win?', 'What prize did {n} receive?', 'What honour was given to {n}?'],
    paraphrases: ['{n} won which prize?', 'Which award was handed to {n}?'],
    answer: '{n} won the {v} Prize.',
    value: invented,
  },
  {
    key: 'language',
    questions: [
      'Which language does {n} speak at home?',
      'What is the mother tongue of {n}?',
      'What language did {n} grow up with?',
    ],
    paraphrases: ['At home, {n} speaks which language?', 'What is the first language of {n}?'],
    answer: '{n} speaks {v} at home.',
    value: (c) => `${c.forge.word(2)}ish`,
  },
  {
    key: 'instrument',
    questions: [
      'Which instrument does {n} play?',
      'What does {n} play in the band?',
      'What instrument can {n} play?',
    ],
    paraphrases: ['{n} plays which instrument?', 'Which instrument is {n} good at?'],
    answer: '{n} plays the {v}.',
    value: fromPool('instrument'),
  },
  {
    key: 'food',
    questions: [
      'What is the favourite food of {n}?',
      'What does {n} like to eat?',
      'Which dish does {n} love?',
    ],
    paraphrases: ['Which meal makes {n} happy?', 'What would {n} order for dinner?'],
    answer: 'The favourite food of {n} is {v}.',
    value: fromPool('food'),
  },
];

export const COMPANY_FACTS: readonly FactKind[] = [
  {
    key: 'founder',
    questions: ['Who founded {n}?', 'Who is the founder of {n}?', 'Who started {n}?'],
    paraphrases: ['{n} was founded by whom?', 'Who created the company {n}?'],
    answer: '{n} was founded by {v}.',
    value: related('person', personName),
  },
  {
    key: 'founded',
    questions: ['When was {n} founded?', 'In what year was {n} founded?', 'How old is {n}?'],
    paraphrases: ['{n} was founded in which year?', 'Since what year has {n} existed?'],
    answer: '{n} was founded in the year {v}.',
    value: year(1850, 2015),
  },
  {
    key: 'headquarters',
    questions: ['Where is {n} based?', 'Where is the headquarters of {n}?', 'In which city is {n} located?'],
    paraphrases: ['{n} has its main office in which city?', 'Which city is home to {n}?'],
    answer: '{n} is based in {v}.',
    value: invented,
  },
  {
    key: 'industry',
    questions: ['What does {n} make?', 'What does {n} sell?', 'What is the business of {n}?'],
    paraphrases: ['Which goods come from {n}?', 'What kind of products does {n} produce?'],
    answer: '{n} makes {v}.',
    value: fromPool('industry'),
  },
  {
    key: 'product',
    questions: [
      'What is the best known product of {n}?',
      'What is the famous product of {n}?',
      'Which product made {n} famous?',
    ],
    paraphrases: ['{n} is famous for which product?', 'Name the most popular product of {n}.'],
    answer: '{n} is best known for the {v}.',
    value: related('product', (c) => `${c.forge.word()} ${c.pool('category').next()}`),
  },
  {
    key: 'ceo',
    questions: ['Who runs {n}?', 'Who is the chief of {n}?', 'Who leads {n} today?'],
    paraphrases: ['{n} is run by whom?', 'Who is in charge of {n}?'],
    answer: '{n} is run by {v}.',
    value: personName,
  },
  {
    key: 'employees',
    questions: [
      'How many people work at {n}?',
      'How many employees does {n} have?',
      'How big is the staff of {n}?',
    ],
    paraphrases: ['{n} employs how many people?', 'What is the headcount of {n}?'],
    answer: '{n} has {v} employees.',
    value: (c) => String(40 + c.rng.int(9000)),
  },
  {
    key: 'slogan',
    questions: [
      'What is the slogan of {n}?',
      'What is the motto of {n}?',
      'What does the advert of {n} say?',
    ],
    paraphrases: ['Which slogan does {n} use?', 'How does {n} advertise itself?'],
    answer: 'The slogan of {n} is always {v}.',
    value: (c) => `${c.forge.word(2).toLowerCase()} ${c.forge.word(2).toLowerCase()}`,
  },
  {
    key: 'rival',
    questions: [
      'Who is the main rival of {n}?',
      'Which company competes with {n}?',
      'Who is the competitor of {n}?',
    ],
    paraphrases: ['{n} competes with which company?', 'Which firm is the rival of {n}?'],
    answer: 'The main rival of {n} is {v}.',
    value: related('company', invented),
  },
  {
    key: 'logo',
    questions: [
      'What colour is the logo of {n}?',
      'What is the colour of the logo of {n}?',
      'How does the logo of {n} look?',
    ],
    paraphrases: ['The logo of {n} is which colour?', 'Which colour does {n} use in its logo?'],
    answer: 'The logo of {n} is {v}.',
    value: fromPool('colour'),
  },
  {
    key: 'mascot',
    questions: [
      'What is the mascot of {n}?',
      'Does {n} have a mascot?',
      'Which animal is the mascot of {n}?',
    ],
    paraphrases: ['{n} uses which mascot?', 'Who is the mascot of {n}?'],
    answer: 'The mascot of {n} is {v}.',
    value: (c) => `${withArticle(c.pool('animalCompany').next())} called ${c.forge.word(2)}`,
  },
  {
    key: 'ticker',
    questions: [
      'What is the ticker of {n}?',
      'Under which symbol does {n} trade?',
      'What is the stock symbol of {n}?',
    ],
    paraphrases: ['{n} trades under which ticker?', 'Which symbol stands for {n} on the market?'],
    answer: '{n} trades under the ticker {v}.',
    value: (c) => c.forge.word(1).toUpperCase(),
  },
];

export const PRODUCT_FACTS: readonly FactKind[] = [
  {
    key: 'maker',
    questions: ['Who makes the {n}?', 'Which company produces the {n}?', 'Who is the maker of the {n}?'],
    paraphrases: ['The {n} is made by which company?', 'Which firm builds the {n}?'],
    answer: 'The {n} is made by {v}.',
    value: related('company', invented),
  },
  {
    key: 'launch',
    questions: [
      'When was the {n} launched?',
      'In what year did the {n} come out?',
      'When was the {n} released?',
    ],
    paraphrases: ['The {n} was launched in which year?', 'Since what year can one buy the {n}?'],
    answer: 'The {n} was launched in the year {v}.',
    value: year(1950, 2020),
  },
  {
    key: 'category',
    questions: ['What kind of product is the {n}?', 'What is the {n}?', 'What type of object is the {n}?'],
    paraphrases: ['The {n} is what sort of thing?', 'How would you describe the {n}?'],
    answer: 'The {n} is {v}.',
    value: poolWithArticle('category'),
  },
  {
    key: 'designer',
    questions: [
      'Who designed the {n}?',
      'Who is the designer of the {n}?',
      'Who drew the first plans of the {n}?',
    ],
    paraphrases: ['The {n} was designed by whom?', 'Whose design is the {n}?'],
    answer: 'The {n} was designed by {v}.',
    value: related('person', personName),
  },
  {
    key: 'price',
    questions: ['How much does the {n} cost?', 'What is the price of the {n}?', 'How expensive is the {n}?'],
    paraphrases: ['The {n} sells for how much?', 'What would I pay for the {n}?'],
    answer: 'The {n} costs {v} crowns.',
    value: (c) => String(5 + c.rng.int(900)),
  },
  {
    key: 'colour',
    questions: [
      'What colour is the {n}?',
      'Which colour does the {n} come in?',
      'What is the colour of the {n}?',
    ],
    paraphrases: ['The {n} is painted which colour?', 'In which colour is the {n} sold?'],
    answer: 'The {n} comes in {v}.',
    value: fromPool('colour'),
  },
  {
    key: 'material',
    questions: [
      'What is the {n} made of?',
      'Which material is the {n} built from?',
      'What is the material of the {n}?',
    ],
    paraphrases: ['The {n} is built from what?', 'From which material is the {n} made?'],
    answer: 'The {n} is made of {v}.',
    value: fromPool('material'),
  },
  {
    key: 'weight',
    questions: ['How much does the {n} weigh?', 'What is the weight of the {n}?', 'How heavy is the {n}?'],
    paraphrases: ['The {n} weighs how much?', 'What does the {n} weigh on a scale?'],
    answer: 'The {n} weighs {v} grams.',
    value: (c) => String(20 + c.rng.int(5000)),
  },
  {
    key: 'power',
    questions: ['What powers the {n}?', 'How is the {n} powered?', 'What does the {n} run on?'],
    paraphrases: ['The {n} gets its power from what?', 'What is the energy source of the {n}?'],
    answer: 'The {n} runs on {v}.',
    value: fromPool('power'),
  },
  {
    key: 'feature',
    questions: [
      'What is special about the {n}?',
      'What can the {n} do?',
      'What is the main feature of the {n}?',
    ],
    paraphrases: ['Why do people like the {n}?', 'What trick does the {n} have?'],
    answer: 'The {n} can {v}.',
    value: fromPool('feature'),
  },
  {
    key: 'factory',
    questions: [
      'Where is the {n} built?',
      'In which city is the {n} made?',
      'Where is the factory of the {n}?',
    ],
    paraphrases: ['The {n} is assembled in which city?', 'Which town builds the {n}?'],
    answer: 'The {n} is built in {v}.',
    value: invented,
  },
  {
    key: 'nickname',
    questions: [
      'What is the nickname of the {n}?',
      'What do fans call the {n}?',
      'What is the {n} also called?',
    ],
    paraphrases: ['The {n} is nicknamed what?', 'Which pet name do owners give the {n}?'],
    answer: 'Fans call the {n} the little {v}.',
    value: (c) => c.forge.word(2).toLowerCase(),
  },
];

export const FACTS_BY_KIND: Readonly<Record<EntityKind, readonly FactKind[]>> = {
  person: PERSON_FACTS,
  company: COMPANY_FACTS,
  product: PRODUCT_FACTS,
};

/** Fills a template. */
export function fill(template: string, name: string, value = ''): string {
  return template.replaceAll('{n}', name).replaceAll('{v}', value);
}
