export { CLASS_COUNT, DOMAINS } from './domains';
export type { ClassifierDomain } from './domains';
export { DomainClassifier } from './domain-classifier';
export type { Classification, ClassifyOptions, DomainClassifierOptions, FeatureContribution } from './domain-classifier';
export { DEFAULT_TRUNCATION, normaliseText, truncateText } from './text-features';
export type { TruncationOptions } from './text-features';
export { DEFAULT_TRAIN_OPTIONS, calibrationStats, encodeDataset, fitModel, fitTemperature, trainModel } from './trainer';
export type { CalibrationReport, EncodedDataset, FittedFold, TrainOptions, TrainingItem } from './trainer';
export type { LinearModel } from './linear-model';
export { readDataset, readSeedExamples, readTrainingData, seedExamplesPaths } from './dataset';
export type { Dataset, DatasetFileSummary, TrainingDataOptions } from './dataset';
export { ARTIFACT_FORMAT, ARTIFACT_VERSION, committedModelPath, loadModel, saveModel } from './model-artifact';
export type { ArtifactManifest } from './model-artifact';
export { datasetOf, leaveOneSourceOut, leaveOneSourceOutWith } from './evaluation';
export type { ClassMetrics, EvalReport, FoldProgress, HoldOut, SourceResult } from './evaluation';
export { heldOutCalibration, policyCounts, renderEvalMarkdown } from './eval-report';
export type { EvalContext, HeldOutCalibration, NamedReport, PolicyCounts } from './eval-report';
export { BASELINE_BITS, encodeWordNgrams, fitLogisticBaseline, fitNaiveBayes, wordNgramBuckets } from './baselines';
export { DEFAULT_ROUTE_POLICY, decideRoute, defaultOtherFallback, otherFallbackSchema, routeFallbackSchema } from './route-policy';
export type { RouteFallback, RouteOutcome, RoutePolicy } from './route-policy';
export { classifyLines } from './classify-lines';
export type { ClassifyLinesOptions } from './classify-lines';
export {
  WORD_CLUSTERS_FILE,
  clusterWords,
  committedWordClustersPath,
  formatWordClusters,
  parseWordClusters,
  readWordClusters,
  sphericalKMeans,
} from './word-clusters';
export type { ClusterWordsOptions, WordClusters } from './word-clusters';
