export { mathAnswerKey } from './math-equivalence';
export { choiceAnswerKey } from './choice-equivalence';
export { VoteTally, type VoteSample, type VoteSummary, type VotedAnswer } from './vote-tally';
