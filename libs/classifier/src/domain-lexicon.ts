import { MULTILINGUAL_WORDS } from './domain-lexicon-multilingual';
import { DOMAINS, type ClassifierDomain } from './domains';

/**
 * Hand-written domain vocabularies. Each hit emits a shared `lex:<domain>` feature besides the
 * word itself: its weight is learned from every source of a class at once, so it carries to
 * sources and phrasings the training data lacks (SQL titles, clinical abstracts, chatty requests).
 * A word belongs to at most one list; words common to two domains (function, graph, set) are left out.
 * The code list also holds operator runs (`=>`, `===`, `&&`) that mark pasted code.
 */
const WORDS: Record<ClassifierDomain, string> = {
  math: `equation equations solve solving integer integers prime primes polynomial polynomials derivative derivatives
    integral integrals matrix matrices probability sum quotient remainder divisible divisor divisors fraction fractions
    ratio ratios percent percentage average median geometry triangle triangles circle circles radius angle angles
    perimeter area square squares cube cubes sqrt factor factors factorial digits digit multiply multiplied divide
    divided subtract subtracted algebra arithmetic theorem proof prove lemma vector vectors logarithm log exponent
    exponents sequence series modulo mod gcd lcm inequality inequalities simplify evaluate expression coefficient
    coefficients parabola hyperbola ellipse polygon rectangle rectangular hexagon pentagon diameter circumference
    hypotenuse sine cosine tangent sin cos tan cot sec trigonometric asymptote asymptotes infinity subset subsets
    subgroup subgroups homomorphism isomorphism isomorphic abelian cyclic eigenvalue eigenvalues determinant
    permutation permutations combinations combinatorics dice odds interest profit discount reciprocal integer
    decimal decimals numerator denominator quadratic linear cubic parallelogram trapezoid rhombus congruent
    perpendicular parallel vertex vertices diagonal diagonals axis intercept slope calculus arithmetic geometric
    mathematics math maths real complex natural rational irrational number numbers multiple multiples`,
  code: `python java javascript typescript cpp csharp rust golang ruby php perl bash shell sql mysql postgresql postgres
    sqlite tsql plsql query queries table tables column columns database databases select join joins insert
    schema stored procedure trigger method methods class classes object objects array arrays list lists string
    strings dict dictionary dictionaries tuple tuples loop loops recursion recursive algorithm algorithms compile
    compiler runtime exception exceptions bug bugs debug debugging script scripts code coding program programs
    programming programmer pointer pointers stack queue heap hash hashmap hashtable linked api apis http json xml
    html css regex regexp file files directory directories folder folders command commands terminal linux unix
    git docker server client thread threads process processes cpu cache register registers instruction
    instructions byte bytes boolean null def print println printf import lambda iterate iterator iterators sort
    sorted sorting grep sed awk chmod chown ssh datetime timestamp varchar nvarchar numpy pandas dataframe
    django flask npm nodejs react async await syntax parse parsing parser library module package framework
    software compiler kernel os subroutine bitwise boolean integerarray typeerror valueerror stacktrace
    segmentation segfault localhost url urls endpoint cron tar zip gzip symlink sudo pip virtualenv repo
    github commit branch merge refactor unittest variable variables index indexes indices
    => === !== && || :: -> </ /> #! ++ --`,
  science: `physics chemistry biology atom atoms atomic molecule molecules molecular electron electrons proton protons
    neutron neutrons nucleus ion ions ionic covalent reaction reactions chemical element elements acid acids
    oxygen hydrogen carbon nitrogen sodium chloride helium energy force forces mass velocity acceleration gravity
    gravitational momentum friction newton newtons joule joules watt watts volt volts voltage current resistance
    circuit ohm ohms magnetic electric electricity charge wave waves wavelength frequency light photon photons
    quantum thermodynamics heat temperature entropy pressure gas gases liquid liquids solid solids cell cells
    cellular dna rna gene genes genetic protein proteins enzyme enzymes organism organisms species evolution
    ecosystem photosynthesis plant plants animal animals bacteria virus viruses tissue tissues organ organs blood
    heart brain neuron neurons patient patients clinical disease diseases cancer tumor tumors therapy treatment
    syndrome infection mortality cohort randomized diagnosis symptoms medical medicine drug drugs dose hormone
    insulin immune antibody antibodies metabolism planet planets solar orbit rocks mineral minerals fossil
    fossils weather climate atmosphere erosion volcano experiment hypothesis scientist scientists laboratory
    microscope engineering thermal fluid torque turbine kinetic isotope radioactive nuclear magnet lens
    refraction sound kelvin celsius molar moles mole ph catalyst oxidation electrode capacitor inductor
    transistor semiconductor resistor amplifier hertz pascal viscosity density buoyancy friction
    chromosome mitosis meiosis ribosome mitochondria nutrient nutrients habitat predator prey mammal mammals
    mol atm kpa mpa hz khz mhz ghz ev kev mev nm kj kw kv psi btu rpm coulomb coulombs tesla farad ampere amperes
    amps molarity molality enthalpy emf flux capacitance inductance resistivity conductivity adiabatic
    isothermal compressor nozzle boiler specimen alloy steel reactor combustion exothermic endothermic solute
    solvent solution concentration titration electrolysis spectrum spectroscopy optics lens lenses
    outcomes cohort prognosis postoperative surgery surgical mg serum plasma biopsy lesions chronic acute
    incidence prevalence placebo pathology pathogen vaccine vaccination receptor receptors inflammation
    physician physicians hospital hospitalized diabetes hypertension cardiac pulmonary renal hepatic`,
  other: `history historical war president king queen country countries city capital government law legal court
    constitution rights policy economics economy philosophy philosopher religion religious god church bible
    culture society social psychology politics political election vote novel author book film movie song music
    singer band actor actress tv team sport sports football soccer baseball basketball player league olympic
    olympics art artist painting poem poet feel feeling friend friends family wife husband mom dad kids love
    happy sad recipe cook cooking food restaurant travel vacation hotel holiday birthday wedding school teacher
    job boss career money advice relationship girlfriend boyfriend dog cat pet hobby weekend tired bored hungry
    famous singer album festival language languages word words grammar meaning synonym century empire
    revolution ancient emperor dynasty kingdom prime_minister senate congress parliament tax taxes business
    company marketing manager employee employees customer customers ethics moral morality
    accounting audit auditor jurisprudence legislation statute plaintiff defendant contract tort crime criminal
    prehistory archaeology anthropology sociology sociologist geography migration population urban rural
    democracy republic federal amendment treaty diplomacy foreign sovereignty nationalism colonial slavery
    renaissance medieval reformation enlightenment ideology capitalism socialism communism feminism
    buddhism buddhist hindu islam muslim christian christianity judaism jewish confucius kant plato aristotle
    utilitarian virtue argument fallacy premise belief attitude behavior personality therapist counseling
    advertising brand consumer consumers stakeholder stakeholders organization organizational leadership
    celebrity celebrities magazine newspaper television radio composer opera theater theatre poetry
    novelist playwright sculpture museum`,
};

/**
 * Domain index (DOMAINS order: math 0, code 1, science 2, other 3) of each lexicon word: the
 * English lists, then their translations (domain-lexicon-multilingual.ts), which share the same
 * `lex:<domain>` features, so a German or Japanese problem borrows what the English sources taught.
 * A word already listed keeps its first domain.
 */
export const LEXICON_DOMAIN_OF: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>();
  for (const lists of [WORDS, MULTILINGUAL_WORDS]) {
    DOMAINS.forEach((domain, index) => {
      for (const word of lists[domain].split(/\s+/)) if (word && !map.has(word)) map.set(word, index);
    });
  }
  return map;
})();
